"""The benchmarks still run: corpus determinism, an import, every report line (no timing asserts)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import orjson
import pytest

from bench import import_bench, make_corpus, query_bench
from evidence.importers.ctgov import read_ctgov_json

STUDIES = 50


def _digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*.json")):
        sha.update(path.relative_to(folder).as_posix().encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "studies"
    make_corpus.write_corpus(STUDIES, 7, out)
    return out


def test_corpus_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    make_corpus.write_corpus(STUDIES, 7, tmp_path / "again")
    assert _digest(tmp_path / "again") == _digest(corpus)
    make_corpus.write_corpus(STUDIES, 8, tmp_path / "other")
    assert _digest(tmp_path / "other") != _digest(corpus)


def test_zip_is_deterministic(tmp_path: Path) -> None:
    make_corpus.write_corpus(10, 3, tmp_path / "a.zip")
    make_corpus.write_corpus(10, 3, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_corpus_is_sharded_with_unique_valid_ids(corpus: Path) -> None:
    files = sorted(corpus.rglob("*.json"))
    assert len(files) == STUDIES
    ids = [orjson.loads(f.read_bytes())["protocolSection"]["identificationModule"]["nctId"]
           for f in files]
    assert len(set(ids)) == STUDIES
    for path, nct in zip(files, ids, strict=True):
        assert path.name == f"{nct}.json"
        assert path.parent.name == f"{nct[:7]}xxxx"


def test_every_generated_study_imports() -> None:
    # 400 studies: enough for results sections (13%), EudraCT IDs and several arm counts.
    with_results = eudract = 0
    arm_counts = set()
    for name, data in make_corpus.iter_studies(400, 11):
        [item] = list(read_ctgov_json(name, data))
        assert item.error is None, f"{name}: {item.error}"
        assert item.record is not None
        with_results += bool(item.record.results or item.record.adverse_events)
        eudract += any(r.registry == "eudract" for r in item.record.registrations)
        arm_counts.add(len(orjson.loads(data)["protocolSection"]["armsInterventionsModule"]
                           .get("armGroups", [])))
    assert 20 <= with_results <= 90
    assert eudract > 0
    assert {1, 2, 3, 4} <= arm_counts


def test_huge_study_has_about_two_thousand_adverse_event_terms() -> None:
    pools = make_corpus.load_pools()
    # Find the first study the generator makes huge, without writing the corpus.
    for index, nct in enumerate(make_corpus.nct_ids(3000, 1)):
        study = make_corpus.make_study(index, nct, 1, pools)
        ae = study.get("resultsSection", {}).get("adverseEventsModule", {})
        terms = len(ae.get("seriousEvents", [])) + len(ae.get("otherEvents", []))
        if terms > 1000:
            assert terms == 341 + 1688
            return
    pytest.fail("no very large study in 3,000")


def test_import_and_query_reports(corpus: Path, tmp_path: Path) -> None:
    out = import_bench.run(corpus, tmp_path, ("sqlite",), isolate=False, batch=20,
                           yardstick_trials=1500, parts=True)
    res = out["engines"]["sqlite"]
    assert res["studies"] == STUDIES and res["created"] == STUDIES and res["failed"] == 0
    assert res["reimport_unchanged"] == STUDIES
    assert res["stages"]["write"] > 0 and "map" not in res["reimport_stages"]
    # The baseline re-inserts exactly the rows the import wrote.
    assert res["raw"]["rows"] == res["total_rows"]
    report = import_bench.format_report(out)
    # The floor taken apart: the same rows each time, less indexed each time.
    parts = out["floor_parts"]
    assert [p["rows"] for p in parts] == [res["total_rows"]] * 3
    assert [p["search_index_rows"] for p in parts] == [res["index_rows"], 0, 0]
    assert res["index_rows"] > 0
    assert parts[0]["indexes"] == parts[1]["indexes"] > parts[2]["indexes"] == 0
    assert not list(tmp_path.glob("floor-part.db*"))  # each copy removed after its pass
    assert "the raw SQLite floor taken apart" in report
    assert "without it and without non-unique indexes" in report
    yard = out["yardstick"]
    assert (yard["trials"], yard["rows"], yard["stored_rows"]) == (1500, 1500 * 60, 1500 * 60)
    assert "the issue's import targets carried to this machine (x " in report
    assert "evidence's schema through the same plain sqlite3 (raw baseline): " in report
    for metric in ("import studies/s", "import seconds", "rows written", "import rows/s",
                   "raw baseline rows/s", "raw baseline seconds", "raw baseline studies/s",
                   "import / raw (total)",
                   "writer seconds (measured)", "write / raw", "peak RSS MB (writer)",
                   "peak RSS MB (largest worker)", "database bytes/study",
                   "re-import studies/s", "failed studies", "write", "wait", "map", "digests",
                   "single pass: read", "single pass: map", "single pass: checks"):
        assert any(line.startswith(metric + " ") for line in report.splitlines()), metric

    queries = query_bench.run(str(tmp_path / "import.db"), tmp_path, lookups=10, names=3,
                              repeat=2, export_limit=5)
    text = query_bench.format_report(queries)
    for metric in ("lookup by registration ID (whole record)", "results by endpoint name",
                   "  the same, floor = v_results through plain sqlite3",
                   "summary render en", "summary render zh", "summary export en",
                   "summary export zh"):
        assert any(line.startswith(metric) for line in text.splitlines()), metric
    assert "search en " in text and "search zh " in text  # evidence.search exists: must be timed
    assert queries["summaries"]["en"]["export_trials"] == 5


def test_yardstick_rows_and_scale(tmp_path: Path) -> None:
    from bench import yardstick

    rows = yardstick.batch_rows(1, 3, random.Random(1))
    assert {name: len(r) for name, r in rows.items()} == {
        "trial": 3, "arm": 12, "result": 45, "provenance": 120}
    assert sum(map(len, rows.values())) == 3 * yardstick.ROWS_PER_TRIAL
    # Ids are pre-assigned and link: every result's arm is an arm of its own trial.
    arm_trial = {arm[0]: arm[1] for arm in rows["arm"]}
    assert all(arm_trial[r[2]] == r[1] for r in rows["result"])
    # Batches that do not divide the count still store every trial once (ids unique).
    yard = yardstick.measure(2500, folder=tmp_path)
    assert yard["stored_rows"] == 2500 * 60
    assert yard["scale"] == yard["trials_per_s"] / 4000.0
    assert yardstick.scaled(1000.0, yard) == 1000.0 * yard["scale"]
    assert list(tmp_path.iterdir()) == []  # its database is gone
    assert yard["python_mloops_per_s"] > 0
    assert "python loop, million iterations/s" in yardstick.format_report(yard)


def test_full_import_prints_its_report(corpus: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from bench import full_import

    assert full_import.main(["--corpus", str(corpus), "--db", str(tmp_path / "f.db"),
                             "--every", "25", "--jobs", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in out[:2]] == ["25 studies", "50 studies"]
    assert out[2].startswith(f"import: {STUDIES} item(s): {STUDIES} created, 0 updated, "
                             "0 unchanged, 0 failed in ")
    assert out[3].startswith("database: ")
    assert out[4].startswith(f"re-import: {STUDIES} item(s): 0 created, 0 updated, "
                             f"{STUDIES} unchanged, 0 failed in ")

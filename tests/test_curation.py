"""Curation as a team: workflow, audit trail, optimistic locking, extractions, adjudication."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SEED_RECORD, run_cli


def _seed_variant(tmp_path: Path, name: str, mutate: Any) -> Path:
    data = copy.deepcopy(yaml.safe_load(SEED_RECORD.read_text(encoding="utf-8")))
    mutate(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _history(db: str, ident: str = "NCT02465580") -> list[dict[str, Any]]:
    result = run_cli("history", ident, "-f", "json", db=db)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_workflow_allowed_and_refused_transitions(db_url: str) -> None:
    run_cli("--curator", "alice", "import", str(SEED_RECORD), db=db_url)  # imported as reviewed

    def review(curator: str, *args: str) -> Any:
        return run_cli("--curator", curator, "review", "NCT02465580", *args, db=db_url)

    refused = review("alice", "--approve")
    assert (refused.returncode, refused.stderr) == (
        1, "Error: alice last edited this trial; another curator must verify it\n")
    no_reason = review("bob", "--reject")
    assert no_reason.stderr == "Error: a rejection needs --reason\n"
    assert review("bob", "--reject", "--reason", "check n analysed").returncode == 0
    assert review("bob", "--approve").stderr == "NCT02465580: draft -> reviewed (version 3, by bob)\n"
    assert review("bob", "--approve").stderr == (
        "Error: bob reviewed this trial; another curator must verify it\n")
    assert review("carol", "--approve").returncode == 0  # neither editor nor reviewer
    assert review("dave", "--approve").stderr == "Error: the trial is already verified\n"
    assert review("dave", "--reject", "--reason", "x").stderr == (
        "Error: only a reviewed trial can be rejected; this one is verified "
        "(use `evidence reopen`)\n")
    assert [(h["action"], h["curator"], h["status_before"], h["status_after"], h["version_after"])
            for h in _history(db_url)] == [
        ("import", "alice", None, "reviewed", 1),
        ("reject", "bob", "reviewed", "draft", 2),
        ("review", "bob", "draft", "reviewed", 3),
        ("review", "carol", "reviewed", "verified", 4)]


def test_verified_trial_refuses_edits_until_reopened(db_url: str, tmp_path: Path) -> None:
    run_cli("--curator", "alice", "import", str(SEED_RECORD), db=db_url)
    run_cli("--curator", "bob", "review", "NCT02465580", "--approve", db=db_url)
    edited = _seed_variant(tmp_path, "edited.yaml",
                           lambda d: d["comparisons"][0].update(p_reported="p = 0.052"))
    refused = run_cli("--curator", "alice", "import", str(edited), db=db_url)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == (
        f"Error: {edited}: NCT02465580: the trial is verified and refuses edits; reopen it "
        "first (evidence reopen ID --reason ...)")
    same = run_cli("import", str(SEED_RECORD), "-f", "json", db=db_url)  # no change: allowed
    assert json.loads(same.stdout)[0]["outcome"] == "unchanged"
    assert run_cli("--curator", "carol", "reopen", "NCT02465580", "--reason", "erratum",
                   db=db_url).returncode == 0
    again = run_cli("--curator", "alice", "import", str(edited), "-f", "json", db=db_url)
    assert json.loads(again.stdout)[0]["outcome"] == "updated", again.stderr
    edit = _history(db_url)[-1]
    assert (edit["action"], edit["curator"], edit["status_before"], edit["status_after"]) == (
        "edit", "alice", "draft", "draft")
    assert edit["changes"] == [{"path": "comparisons[sri4/w12//il2+placebo].p_reported",
                                "before": "p=0.052", "after": "p = 0.052"}]
    assert edit["command"].startswith("evidence --db ")


def test_edit_of_a_reviewed_trial_goes_back_to_draft(db_url: str, tmp_path: Path) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    edited = _seed_variant(tmp_path, "e.yaml", lambda d: d["arms"][0].update(n_analysed=28))
    result = run_cli("import", str(edited), db=db_url)
    assert "Note: " + str(edited) + ": status reviewed -> draft: the content changed after " \
        "review" in result.stderr
    listed = json.loads(run_cli("list", "-f", "json", db=db_url).stdout)
    assert listed[0]["curation_status"] == "draft"


def test_joining_trials_cannot_swallow_a_verified_trial(db_url: str, tmp_path: Path) -> None:
    def only(identifier: str) -> Any:
        def mutate(d: dict[str, Any]) -> None:
            d["registrations"] = [{"identifier": identifier}]
            d["publications"] = []
        return mutate

    a = _seed_variant(tmp_path, "a.yaml", only("NCT02465580"))
    b = _seed_variant(tmp_path, "b.yaml", only("NCT02932137"))
    run_cli("--curator", "alice", "import", str(a), str(b), db=db_url)
    run_cli("--curator", "bob", "review", "NCT02932137", "--approve", db=db_url)

    def both(d: dict[str, Any]) -> None:
        d["publications"] = []
        d["trial"]["title"]["en"] = "CHANGED TITLE"

    bridge = _seed_variant(tmp_path, "ab.yaml", both)
    refused = run_cli("--curator", "mallory", "import", str(bridge), db=db_url)
    assert refused.returncode == 1
    assert "the trial is verified and refuses edits" in refused.stderr
    assert len(json.loads(run_cli("list", "-f", "json", db=db_url).stdout)) == 2
    run_cli("--curator", "carol", "reopen", "NCT02932137", "--reason", "join them", db=db_url)
    joined = run_cli("--curator", "mallory", "import", str(bridge), db=db_url)
    assert joined.returncode == 0, joined.stderr
    absorbed = _history(db_url, "2")
    assert [(h["action"], h["curator"], h["reason"]) for h in absorbed][-1] == (
        "merge", "mallory", "merged into trial #1: a record lists identifiers of both")


def test_stale_version_is_refused_with_who_and_when(db_url: str, tmp_path: Path) -> None:
    run_cli("--curator", "alice", "import", str(SEED_RECORD), db=db_url)
    mine = tmp_path / "mine.yaml"
    theirs = tmp_path / "theirs.yaml"
    for path in (mine, theirs):
        run_cli("export-record", "NCT02465580", "-o", str(path), db=db_url)
    assert yaml.safe_load(mine.read_text(encoding="utf-8"))["base_version"] == 1
    data = yaml.safe_load(theirs.read_text(encoding="utf-8"))
    data["arms"][0]["n_analysed"] = 28
    theirs.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert run_cli("--curator", "bob", "import", str(theirs), db=db_url).returncode == 0
    data = yaml.safe_load(mine.read_text(encoding="utf-8"))
    data["arms"][1]["n_analysed"] = 29
    mine.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stale = run_cli("--curator", "alice", "import", str(mine), db=db_url)
    assert stale.returncode == 1
    first = stale.stderr.splitlines()[0]
    assert first.startswith(f"Error: {mine}: NCT02465580: the trial was changed by bob at ")
    assert first.endswith("(now version 2); this file is based on version 1: export it again "
                          "and redo the edit")
    shown = json.loads(run_cli("show", "NCT02465580", "-f", "json", db=db_url).stdout)
    assert [a["n_analysed"] for a in shown["arms"]] == [28, 30]  # bob's edit, nothing overwritten


def test_delete_is_audited_and_history_outlives_the_trial(db_url: str) -> None:
    run_cli("import", str(SEED_RECORD), db=db_url)
    assert run_cli("delete", "NCT02465580", "--reason", "duplicate", db=db_url).returncode == 0
    assert run_cli("show", "NCT02465580", db=db_url).returncode == 1
    actions = [h["action"] for h in _history(db_url, "1")]
    assert actions == ["import", "delete"]


def _extraction(tmp_path: Path, name: str, mutate: Any) -> Path:
    return _seed_variant(tmp_path, name, mutate)


def test_dual_extraction_diff_and_adjudication(db_url: str, tmp_path: Path) -> None:
    def alice(d: dict[str, Any]) -> None:
        d["trial"]["curation_status"] = "draft"

    def bob(d: dict[str, Any]) -> None:
        alice(d)
        d["arms"][0]["n_analysed"] = 30
        d["results"][0]["events"] = 17
        d["endpoints"][1]["name"]["zh"] = "狼疮性肾炎完全缓解"

    a = _extraction(tmp_path, "alice.yaml", alice)
    b = _extraction(tmp_path, "bob.yaml", bob)
    for curator, path in (("alice", a), ("bob", b)):
        out = run_cli("--curator", curator, "import", str(path), "--as-extraction", "-f", "json",
                      db=db_url)
        assert json.loads(out.stdout)[0]["outcome"] == "created", out.stderr
    assert json.loads(run_cli("list", "-f", "json", db=db_url).stdout) == []  # not a trial yet
    diff = run_cli("diff", "NCT02932137", "-f", "json", db=db_url)
    assert json.loads(diff.stdout) == [
        {"path": "arms[il2].n_analysed", "alice": "29", "bob": "30"},
        {"path": "endpoints[ln-cr].name.zh", "alice": "狼疮肾炎完全缓解",
         "bob": "狼疮性肾炎完全缓解"},
        {"path": "results[sri4/il2/w12//].events", "alice": "16", "bob": "17"}]
    assert diff.stderr == "3 field(s) differ between alice and bob\n"
    undecided = tmp_path / "partial.yaml"
    undecided.write_text("arms[il2].n_analysed: a\n", encoding="utf-8")
    partial = run_cli("--curator", "carol", "adjudicate", "NCT02465580", "--decisions",
                      str(undecided), db=db_url)
    assert partial.returncode == 1 and "results[sri4/il2/w12//].events" in partial.stderr
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text("arms[il2].n_analysed: a\nresults[sri4/il2/w12//].events: a\n"
                         "endpoints[ln-cr].name.zh: {value: 狼疮肾炎完全缓解}\n", encoding="utf-8")
    done = run_cli("--curator", "carol", "adjudicate", "NCT02465580", "--decisions",
                   str(decisions), db=db_url)
    assert done.returncode == 0, done.stderr
    shown = json.loads(run_cli("show", "NCT02465580", "-f", "json", db=db_url).stdout)
    assert shown["arms"][0]["n_analysed"] == 29 and shown["results"][0]["events"] == 16
    assert shown["endpoints"][1]["name"]["zh"] == "狼疮肾炎完全缓解"
    assert [(h["action"], h["curator"]) for h in _history(db_url)] == [("adjudicate", "carol")]
    # Both extractions and the decisions are kept.
    kept = run_cli("query", "SELECT curator FROM extraction ORDER BY curator", "-f", "json",
                   db=db_url)
    assert [r["curator"] for r in json.loads(kept.stdout)] == ["alice", "bob"]
    stored = run_cli("query", "SELECT curator, decisions FROM adjudication", "-f", "json",
                     db=db_url)
    row = json.loads(stored.stdout)[0]
    assert row["curator"] == "carol"


def test_interactive_adjudication_takes_answers_per_field(db_url: str, tmp_path: Path) -> None:
    def alice(d: dict[str, Any]) -> None:
        d["trial"]["curation_status"] = "draft"

    def bob(d: dict[str, Any]) -> None:
        alice(d)
        d["arms"][0]["n_analysed"] = 30
        d["results"][0]["events"] = 17

    for curator, mutate in (("alice", alice), ("bob", bob)):
        path = _seed_variant(tmp_path, f"{curator}.yaml", mutate)
        run_cli("--curator", curator, "import", str(path), "--as-extraction", db=db_url)
    # Diff order: arms[il2].n_analysed, then results[sri4/il2/w12//].events.
    done = run_cli("--curator", "carol", "adjudicate", "NCT02465580", db=db_url,
                   input_text="b\n15\n")
    assert done.returncode == 0, done.stderr
    assert "arms[il2].n_analysed" in done.stderr and "choose a, b, or type a value" in done.stderr
    shown = json.loads(run_cli("show", "NCT02465580", "-f", "json", db=db_url).stdout)
    assert shown["arms"][0]["n_analysed"] == 30  # b
    assert shown["results"][0]["events"] == 15  # typed value
    assert "events" not in shown["results"][0].get("field_provenance", {})

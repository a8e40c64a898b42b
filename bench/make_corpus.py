"""Make a synthetic ClinicalTrials.gov API v2 corpus shaped like the real fixtures.

    python bench/make_corpus.py --studies 2000 --seed 1 --out /tmp/corpus      # folder
    python bench/make_corpus.py --studies 2000 --seed 1 --out /tmp/corpus.zip  # zip

Every study is assembled from pieces of the real studies in shared/fixtures/ctgov
(modules, arm groups with their interventions, outcomes, outcome-measure shapes,
analyses, adverse-event terms), so field sizes and module presence follow real
records rather than an invented schema. The same --studies and --seed give
byte-identical output: each study has its own RNG seeded from (seed, index),
JSON is written by orjson with fixed options and zip members carry a fixed date.

About 5% of studies (ZH_SHARE) also carry Chinese text, as registry records from
Chinese sponsors sometimes do: a Chinese official title appended to the English
one, and its condition in Chinese added to the conditions and keywords (95 of
the 2,000 studies of seed 1). The importer indexes officialTitle and conditions
for search (keywords are not indexed). Which studies, and their phrases, come
from a second RNG seeded from (seed, index), so every other study, and every
other field, is byte for byte what it was before Chinese text was added.
"""

from __future__ import annotations

import argparse
import random
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "ctgov"
RESULTS_SHARE = 0.13  # share of ClinicalTrials.gov studies with posted results
HUGE_SHARE = 0.002  # "a few very large" studies, ~2,000 AE terms like NCT02513394
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
ZH_SHARE = 0.05  # share of studies with Chinese text (titles, conditions, keywords)

# Phrases of real Chinese trial titles, joined as "<agent>治疗<condition>的<design><phase>临床研究".
ZH_CONDITIONS = ("系统性红斑狼疮", "狼疮肾炎", "类风湿关节炎", "2型糖尿病", "原发性高血压",
                 "非小细胞肺癌", "慢性乙型肝炎", "慢性阻塞性肺疾病")
ZH_AGENTS = ("低剂量白细胞介素-2", "羟氯喹", "甲氨蝶呤", "吗替麦考酚酯", "他克莫司", "二甲双胍",
             "中药复方制剂")
ZH_DESIGNS = ("多中心、随机、双盲、安慰剂对照", "随机、双盲、安慰剂对照", "随机、开放标签、阳性药物对照",
              "单臂、开放标签", "前瞻性、多中心")
ZH_PHASES = ("", "II期", "III期", "IV期")

Obj = dict[str, Any]


def _copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


@dataclass
class Pools:
    """Pieces of the real fixtures that studies are sampled from."""

    studies: list[Obj] = field(default_factory=list)
    results: list[Obj] = field(default_factory=list)
    arms: list[tuple[Obj, list[Obj]]] = field(default_factory=list)
    outcomes: list[Obj] = field(default_factory=list)
    measures: list[Obj] = field(default_factory=list)
    analyses: list[Obj] = field(default_factory=list)
    ae_terms: list[Obj] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    locations: list[Obj] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def load_pools(folder: Path = FIXTURES) -> Pools:
    """Read the real fixtures (by path, never copied) into sampling pools."""
    pools = Pools()
    for path in sorted(folder.glob("*.json")):
        study = orjson.loads(path.read_bytes())
        pools.studies.append(study)
        ps = study["protocolSection"]
        mod = ps.get("armsInterventionsModule", {})
        ivs = mod.get("interventions", [])
        for group in mod.get("armGroups", []):
            linked = [iv for iv in ivs if group["label"] in iv.get("armGroupLabels", [])]
            pools.arms.append((group, linked))
        outcomes = ps.get("outcomesModule", {})
        for key in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes"):
            pools.outcomes += outcomes.get(key, [])
        pools.conditions += ps.get("conditionsModule", {}).get("conditions", [])
        pools.keywords += ps.get("conditionsModule", {}).get("keywords", [])
        pools.locations += ps.get("contactsLocationsModule", {}).get("locations", [])
        ident = ps["identificationModule"]
        for text in (ident.get("briefTitle", ""), ident.get("officialTitle", "")):
            pools.words += text.split()
        results = study.get("resultsSection")
        if results:
            pools.results.append(study)
            for measure in results.get("outcomeMeasuresModule", {}).get("outcomeMeasures", []):
                pools.measures.append({k: v for k, v in measure.items() if k != "analyses"})
                pools.analyses += measure.get("analyses", [])
            ae = results.get("adverseEventsModule", {})
            for key in ("seriousEvents", "otherEvents"):
                pools.ae_terms += [{k: v for k, v in ev.items() if k != "stats"}
                                   for ev in ae.get(key, [])]
    return pools


def nct_ids(n: int, seed: int) -> list[str]:
    """N unique, valid NCT numbers: a seeded start and a fixed stride."""
    start = random.Random(f"nct:{seed}").randrange(0, 5_000_000)
    return [f"NCT{start + i * 37:08d}" for i in range(n)]


def _regroup(node: Any, ids: list[str]) -> Any:
    """Rewrite every list of per-group items onto our group ids, cycling the template's values."""
    if isinstance(node, list):
        if node and all(isinstance(x, dict) and "groupId" in x for x in node):
            return [{**_regroup(node[j % len(node)], ids), "groupId": gid}
                    for j, gid in enumerate(ids)]
        return [_regroup(x, ids) for x in node]
    if isinstance(node, dict):
        return {k: _regroup(v, ids) for k, v in node.items()}
    return node


def _title(rng: random.Random, words: list[str], low: int, high: int) -> str:
    text = " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))
    return text[:1].upper() + text[1:]


def _type_label(kind: str) -> str:
    return kind.replace("_", " ").title()


def _arms(rng: random.Random, pools: Pools) -> tuple[list[Obj], list[Obj]]:
    """1–4 arm groups with their interventions, linked both ways by label."""
    count = rng.choice((1, 2, 2, 2, 2, 3, 3, 4))
    groups: list[Obj] = []
    interventions: dict[tuple[str, str], Obj] = {}
    for j, (template, linked) in enumerate(rng.sample(pools.arms, min(count, len(pools.arms)))):
        group = _copy(template)
        if any(g["label"] == group["label"] for g in groups):
            group["label"] = f"{group['label']} {j + 1}"
        group["interventionNames"] = []
        for iv in linked:
            key = (iv.get("type", "OTHER"), iv["name"])
            entry = interventions.setdefault(key, {**_copy(iv), "armGroupLabels": []})
            entry["armGroupLabels"].append(group["label"])
            group["interventionNames"].append(f"{_type_label(key[0])}: {key[1]}")
        groups.append(group)
    return groups, list(interventions.values())


def _secondary_ids(rng: random.Random, index: int) -> list[Obj]:
    ids: list[Obj] = []
    if rng.random() < 0.15:  # EudraCT numbers, unique per study so no two trials merge
        ids.append({"id": f"{2004 + index % 20}-{index // 20 % 1_000_000:06d}-{index % 97:02d}",
                    "type": "EUDRACT_NUMBER"})
    if rng.random() < 0.3:
        ids.append({"id": f"SPONSOR-{index:06d}", "type": "OTHER", "domain": "Sponsor"})
    return ids


def _outcomes(rng: random.Random, pools: Pools) -> Obj:
    picked = rng.sample(pools.outcomes, min(len(pools.outcomes), rng.randint(1, 14)))
    unique = list({o["measure"]: o for o in picked}.values())
    primary = max(1, min(3, len(unique) // 4 or 1))
    module: Obj = {"primaryOutcomes": unique[:primary]}
    if unique[primary:]:
        module["secondaryOutcomes"] = unique[primary:]
    copied: Obj = _copy(module)
    return copied


def _results(rng: random.Random, pools: Pools, arms: list[Obj], outcomes: Obj,
             huge: bool) -> Obj:
    """A resultsSection whose groups are the study's arms (or cohorts, for no arms)."""
    template = rng.choice(pools.results)["resultsSection"]
    titled = [(g["label"], g.get("description", "")) for g in arms] or [
        (f"Cohort {j + 1}", "") for j in range(rng.randint(1, 3))]
    size = len(titled)
    og = [f"OG{j:03d}" for j in range(size)]
    eg = [f"EG{j:03d}" for j in range(size)]
    at_risk = [rng.randint(10, 3000) for _ in range(size)]
    section: Obj = {"participantFlowModule": _copy(template["participantFlowModule"])}
    base = _copy(template["baselineCharacteristicsModule"])
    bg = [f"BG{j:03d}" for j in range(size + 1)]
    base["groups"] = [{"id": bg[j], "title": t, "description": d}
                      for j, (t, d) in enumerate(titled)] + [{"id": bg[-1], "title": "Total"}]
    base = _regroup(base, bg)
    section["baselineCharacteristicsModule"] = base
    measures = []
    planned = [(o, "PRIMARY") for o in outcomes["primaryOutcomes"]] + [
        (o, "SECONDARY") for o in outcomes.get("secondaryOutcomes", [])]
    for outcome, role in planned:
        if rng.random() < 0.1:
            continue  # not every planned outcome has posted results
        shape = _regroup(_copy(rng.choice(pools.measures)), og)
        shape.update(type=role, title=outcome["measure"], timeFrame=outcome.get("timeFrame", ""))
        if "description" in outcome:
            shape["description"] = outcome["description"]
        shape["groups"] = [{"id": og[j], "title": t, "description": d}
                           for j, (t, d) in enumerate(titled)]
        if size >= 2 and rng.random() < 0.35:
            shape["analyses"] = [{**_copy(a), "groupIds": rng.sample(og, 2)}
                                 for a in rng.sample(pools.analyses, rng.randint(1, 2))]
        measures.append(shape)
    section["outcomeMeasuresModule"] = {"outcomeMeasures": measures}
    section["adverseEventsModule"] = _adverse(rng, pools, template, titled, eg, at_risk, huge)
    section["moreInfoModule"] = _copy(template.get("moreInfoModule", {}))
    return section


def _adverse(rng: random.Random, pools: Pools, template: Obj, titled: list[tuple[str, str]],
             eg: list[str], at_risk: list[int], huge: bool) -> Obj:
    ae = {k: v for k, v in _copy(template["adverseEventsModule"]).items()
          if k not in ("eventGroups", "seriousEvents", "otherEvents")}
    ae["eventGroups"] = [{"id": eg[j], "title": t, "description": d,
                          "seriousNumAtRisk": at_risk[j], "otherNumAtRisk": at_risk[j]}
                         for j, (t, d) in enumerate(titled)]
    if huge:
        serious, other = 341, 1688
    else:
        total = rng.choice((0, *[rng.randint(1, 10)] * 4, *[rng.randint(10, 60)] * 3,
                            rng.randint(60, 300)))
        serious = total // 3
        other = total - serious
    for key, count in (("seriousEvents", serious), ("otherEvents", other)):
        events = []
        for _ in range(count):
            term = dict(rng.choice(pools.ae_terms))
            stats = []
            for gid, n in zip(eg, at_risk, strict=True):
                affected = rng.randint(0, max(1, n // 10))
                stats.append({"groupId": gid, "numEvents": affected + rng.randint(0, 3),
                              "numAffected": affected, "numAtRisk": n})
            events.append({**term, "stats": stats})
        if events:
            ae[key] = events
    return ae


def _add_chinese(study: Obj, index: int, seed: int) -> None:
    """For ~ZH_SHARE of studies, a Chinese official title and condition (own RNG: see top)."""
    rng = random.Random(f"zh:{seed}:{index}")
    if rng.random() >= ZH_SHARE:
        return
    condition = rng.choice(ZH_CONDITIONS)
    title = (f"{rng.choice(ZH_AGENTS)}治疗{condition}的{rng.choice(ZH_DESIGNS)}"
             f"{rng.choice(ZH_PHASES)}临床研究")
    ps = study["protocolSection"]
    ident = ps["identificationModule"]
    ident["officialTitle"] = f"{ident['officialTitle']} ({title})"
    ps["conditionsModule"]["conditions"].append(condition)
    ps["conditionsModule"]["keywords"].append(condition)


def make_study(index: int, nct: str, seed: int, pools: Pools) -> Obj:
    """One synthetic API v2 study, deterministic in (index, seed)."""
    rng = random.Random(f"{seed}:{index}")
    template = rng.choice(pools.studies)
    ps = _copy({k: v for k, v in template["protocolSection"].items()
                if k not in ("contactsLocationsModule", "armsInterventionsModule",
                             "outcomesModule", "conditionsModule")})
    ident = ps["identificationModule"]
    ident["nctId"] = nct
    ident["orgStudyIdInfo"] = {"id": f"ORG-{index:07d}"}
    ident["secondaryIdInfos"] = _secondary_ids(rng, index)
    ident["briefTitle"] = _title(rng, pools.words, 6, 18)
    ident["officialTitle"] = _title(rng, pools.words, 12, 35)
    if not ident["secondaryIdInfos"]:
        del ident["secondaryIdInfos"]
    year = rng.randint(2000, 2023)
    for key in ("startDateStruct", "primaryCompletionDateStruct", "completionDateStruct"):
        if key in ps.get("statusModule", {}):
            ps["statusModule"][key]["date"] = f"{year + (key != 'startDateStruct')}-" \
                                              f"{rng.randint(1, 12):02d}"
    observational = ps.get("designModule", {}).get("studyType") == "OBSERVATIONAL"
    arms, interventions = ([], []) if observational else _arms(rng, pools)
    ps["armsInterventionsModule"] = {**({"armGroups": arms} if arms else {}),
                                     "interventions": interventions or _copy(
                                         template["protocolSection"]["armsInterventionsModule"]
                                         .get("interventions", []))}
    ps["outcomesModule"] = _outcomes(rng, pools)
    ps["conditionsModule"] = {"conditions": rng.sample(pools.conditions, rng.randint(1, 4)),
                              "keywords": rng.sample(pools.keywords, rng.randint(0, 6))}
    sites = rng.choice((1, 1, 2, 3, 5, 8, 12, 20, 40, rng.randint(50, 500)))
    ps["contactsLocationsModule"] = {"locations": _copy(rng.choices(pools.locations, k=sites))}
    if "designModule" in ps and "enrollmentInfo" in ps["designModule"]:
        ps["designModule"]["enrollmentInfo"]["count"] = rng.randint(10, 6000)
    study: Obj = {"protocolSection": ps}
    with_results = rng.random() < RESULTS_SHARE
    if with_results:
        huge = rng.random() < HUGE_SHARE / RESULTS_SHARE
        study["resultsSection"] = _results(rng, pools, arms, ps["outcomesModule"], huge)
    if "documentSection" in template:
        study["documentSection"] = _copy(template["documentSection"])
    study["derivedSection"] = _copy(template["derivedSection"])
    study["hasResults"] = with_results
    _add_chinese(study, index, seed)
    return study


def iter_studies(n: int, seed: int, pools: Pools | None = None) -> Iterator[tuple[str, bytes]]:
    """(member name, JSON bytes) of every study, sharded like the bulk download (NCT0123xxxx/)."""
    pools = pools or load_pools()
    for index, nct in enumerate(nct_ids(n, seed)):
        data = orjson.dumps(make_study(index, nct, seed, pools), option=orjson.OPT_INDENT_2)
        yield f"{nct[:7]}xxxx/{nct}.json", data


def write_corpus(n: int, seed: int, out: Path) -> int:
    """Write the corpus to a folder or (suffix .zip) a zip; the total bytes of JSON written."""
    total = 0
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name, data in iter_studies(n, seed):
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
                total += len(data)
        return total
    for name, data in iter_studies(n, seed):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, required=True, help="number of studies")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output folder, or a .zip")
    args = parser.parse_args(argv)
    total = write_corpus(args.studies, args.seed, args.out)
    print(f"{args.studies} studies, {total:,} bytes of JSON -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

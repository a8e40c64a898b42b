"""Every pair of arms with comparable results: recomputed effects, tests, and the reported p."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from evidence.records import ArmRole, Comparison, Record
from evidence.stats.armdata import (
    BinaryArm,
    ContinuousArm,
    binary_arm,
    continuous_arm,
    effective_population,
    result_kind,
)
from evidence.stats.effects import Effect, binary_effects, continuous_effects
from evidence.stats.pvalues import PVerdict, judge, reported_p
from evidence.stats.tables import TestResult, binary_tests, t_tests

# Comparator arms go second so that ratios read "treatment versus control".
_CONTROL_ROLES = {ArmRole.placebo_comparator, ArmRole.active_comparator, ArmRole.sham_comparator,
                  ArmRole.no_intervention}

# endpoint, timepoint, population, category
GroupKey = tuple[str, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class EffectRow:
    """Arm 1 versus arm 2 for one endpoint x timepoint x population (x category)."""

    endpoint: str
    timepoint: str | None
    population: str | None
    category: str | None
    kind: str  # "dichotomous" or "continuous"
    arm1: BinaryArm | ContinuousArm
    arm2: BinaryArm | ContinuousArm
    effects: tuple[Effect, ...]
    tests: tuple[TestResult, ...]
    comparison: int | None = None  # index into record.comparisons
    verdict: PVerdict | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def arms(self) -> tuple[str, str]:
        """Keys of the two arms, in the order effects are computed (arm 1 versus arm 2)."""
        return self.arm1.arm, self.arm2.arm

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data for `evidence stats --format json`."""
        from dataclasses import asdict

        data = {k: v for k, v in asdict(self).items() if k != "verdict"}
        if self.verdict is not None:
            v = self.verdict
            data["p_check"] = {
                "reported": v.reported.describe(),
                "precision_from": v.reported.precision_from,
                "status": v.status,
                "reproduced_by": list(v.reproduced_by),
                "closest": v.closest.name if v.closest else None,
            }
        return data


def _groups(record: Record) -> dict[GroupKey, dict[str, int]]:
    groups: dict[GroupKey, dict[str, int]] = defaultdict(dict)
    dup: set[tuple[GroupKey, str]] = set()
    for i, res in enumerate(record.results):
        key = (res.endpoint, res.timepoint,
               effective_population(record, res.population, res.endpoint), res.category)
        if res.arm in groups[key]:
            dup.add((key, res.arm))  # two results for one arm: ambiguous, use neither
        groups[key][res.arm] = i
    for key, arm in dup:
        del groups[key][arm]
    return groups


def _comparison_group(record: Record, cmp: Comparison,
                      groups: dict[GroupKey, dict[str, int]]) -> GroupKey | None:
    pop = effective_population(record, cmp.population, cmp.endpoint)
    keys = [k for k in groups if k[:3] == (cmp.endpoint, cmp.timepoint, pop)
            and all(a in groups[k] for a in cmp.arms[:2])]
    uncategorised = [k for k in keys if k[3] is None]
    if len(uncategorised) == 1:
        return uncategorised[0]
    return keys[0] if len(keys) == 1 else None


def _row(record: Record, key: GroupKey, i1: int, i2: int,
         comparison: int | None) -> EffectRow | None:
    kind = result_kind(record, i1)
    if kind is None or kind != result_kind(record, i2):
        return None
    cmp = record.comparisons[comparison] if comparison is not None else None
    if kind == "dichotomous":
        b1, b2 = binary_arm(record, i1), binary_arm(record, i2)
        if b1 is None or b2 is None:
            return None
        arm1: BinaryArm | ContinuousArm = b1
        arm2: BinaryArm | ContinuousArm = b2
        effects = binary_effects(b1.events, b1.n, b2.events, b2.n)
        tests = binary_tests(b1.events, b1.n, b2.events, b2.n)
    else:
        c1, c2 = continuous_arm(record, i1), continuous_arm(record, i2)
        if c1 is None or c2 is None:
            return None
        arm1, arm2 = c1, c2
        effects = continuous_effects(c1.mean, c1.sd, c1.n, c2.mean, c2.sd, c2.n)
        tests = t_tests(c1.mean, c1.sd, c1.n, c2.mean, c2.sd, c2.n)
    rp = reported_p(cmp) if cmp is not None else None
    verdict = judge(rp, tests) if rp is not None else None
    return EffectRow(key[0], key[1], key[2], key[3], kind, arm1, arm2, tuple(effects),
                     tuple(tests), comparison, verdict, arm1.notes + arm2.notes)


def _arm_order(record: Record) -> dict[str, tuple[int, int]]:
    return {a.key: (a.role in _CONTROL_ROLES, i) for i, a in enumerate(record.arms)}


def _comparison_rows(record: Record, groups: dict[GroupKey, dict[str, int]]) -> list[EffectRow]:
    rows: list[EffectRow] = []
    for c, cmp in enumerate(record.comparisons):
        if len(cmp.arms) != 2:
            continue  # a three-arm global test is not a 2x2 question
        key = _comparison_group(record, cmp, groups)
        if key is None:
            continue
        a1, a2 = cmp.arms
        row = _row(record, key, groups[key][a1], groups[key][a2], c)
        if row is not None:
            rows.append(row)
    return rows


def comparison_rows(record: Record) -> list[EffectRow]:
    """The rows of `effect_table` for reported comparisons, without the other arm pairs."""
    return _comparison_rows(record, _groups(record))


def effect_table(record: Record) -> list[EffectRow]:
    """Every recomputable two-arm effect: reported comparisons first, then other arm pairs."""
    groups = _groups(record)
    rows = _comparison_rows(record, groups)
    done: set[tuple[GroupKey, str, str]] = set()
    for done_row in rows:
        done_key = (done_row.endpoint, done_row.timepoint, done_row.population, done_row.category)
        first, second = done_row.arms
        done.update({(done_key, first, second), (done_key, second, first)})
    order = _arm_order(record)
    for key, by_arm in groups.items():
        arms = sorted(by_arm, key=lambda a: order.get(a, (True, len(order))))
        for i, a1 in enumerate(arms):
            for a2 in arms[i + 1:]:
                if (key, a1, a2) in done:
                    continue
                row = _row(record, key, by_arm[a1], by_arm[a2], None)
                if row is not None:
                    rows.append(row)
    return rows

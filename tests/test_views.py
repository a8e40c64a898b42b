"""The flat analyst views on SQLite and PostgreSQL: exact rows for the seed trial."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from evidence.db import make_engine
from evidence.importing import import_paths
from evidence.reader import RawDB
from evidence.recordio import load_record
from evidence.stats import run_checks
from evidence.views import DIALECTS, VIEWS
from tests.conftest import SEED_RECORD

TITLE_EN = ("Efficacy and safety of low-dose IL-2 in the treatment of systemic lupus "
            "erythematosus: a randomised, double-blind, placebo-controlled trial")
REGS = "NCT02465580, NCT02932137"


@pytest.fixture
def seeded(db_url: str) -> str:
    """The seed imported the way `evidence import` does it, findings included."""
    engine = make_engine(db_url)
    report = import_paths(engine, [SEED_RECORD])
    engine.dispose()
    assert not report.failed
    return db_url


def _rows(url: str, sql: str) -> list[dict[str, Any]]:
    with RawDB(url) as db:
        return db.all(sql)


def test_views_are_views_not_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    insp = inspect(engine)
    names = {v.name for v in VIEWS}
    assert names <= set(insp.get_view_names())
    assert not names & set(insp.get_table_names())
    engine.dispose()


def test_results_view_rows_for_the_seed(seeded: str) -> None:
    rows = _rows(seeded, "SELECT * FROM v_results ORDER BY result_id")
    assert {(r["trial_id"], r["registration_ids"], r["trial_title_en"], r["trial_agents"])
            for r in rows} == {(1, REGS, TITLE_EN, "interleukin-2 (IL-2); placebo")}
    cols = ("endpoint_key", "endpoint_name_zh", "endpoint_role", "endpoint_met",
            "timepoint_label_en", "timepoint_label_zh", "timepoint_value", "timepoint_unit",
            "timepoint_is_primary", "population", "population_label_zh", "arm_key",
            "arm_label_en", "arm_role", "arm_agents", "param", "events", "n", "reported",
            "value", "unit")
    sri4 = ("sri4", "SLE 应答指数-4（SRI-4）应答", "primary", 0)
    w12 = ("week 12", "第 12 周", 12.0, "week", 1, None, None)
    w24 = ("week 24", "第 24 周", 24.0, "week", 0, None, None)
    ln = ("ln-cr", "狼疮肾炎完全缓解", "secondary", None,
          None, None, None, None, None, "ln", "狼疮肾炎患者")
    il2 = ("il2", "IL-2", "experimental", "interleukin-2 (IL-2)", "proportion")
    pbo = ("placebo", "placebo", "placebo_comparator", "placebo", "proportion")
    assert [tuple(r[c] for c in cols) for r in rows] == [
        (*sri4, *w12, *il2, 16, 29, "55.17%", 55.17, "%"),
        (*sri4, *w12, *pbo, 9, 30, "30.00%", 30.0, "%"),
        (*sri4, *w24, *il2, 19, 29, "65.52%", 65.52, "%"),
        (*sri4, *w24, *pbo, 11, 30, "36.67%", 36.67, "%"),
        (*ln, *il2, 7, 13, "53.85% (7/13)", 53.85, "%"),
        (*ln, *pbo, 2, 12, "16.67% (2/12)", 16.67, "%"),
    ]
    assert rows[0]["endpoint_name_en"] == "SLE Responder Index-4 (SRI-4) response"
    assert rows[0]["dispersion"] is None and rows[0]["category"] is None


def test_comparisons_view_carries_the_p_checks(seeded: str) -> None:
    rows = _rows(seeded, "SELECT * FROM v_comparisons ORDER BY comparison_id")
    # What the checks recompute for the seed, straight from evidence.stats.
    by_path = {f.path: f for f in run_checks(load_record(SEED_RECORD))
               if f.check == "p_value_reproduced"}
    assert sorted(by_path) == ["comparisons[0]", "comparisons[2]"]
    cols = ("endpoint_key", "timepoint_label_en", "population", "arms", "arm_labels_en",
            "p_reported", "p_comparator", "p_value", "p_check", "p_closest_test",
            "effect_check")
    assert [tuple(r[c] for c in cols) for r in rows] == [
        ("sri4", "week 12", None, "il2 vs placebo", "IL-2 vs placebo", "p=0.052", "=", 0.052,
         "near", "wald_log_or", None),
        ("sri4", "week 24", None, "il2 vs placebo", "IL-2 vs placebo", "p=0.027", "=", 0.027,
         None, None, None),
        ("ln-cr", None, "ln", "il2 vs placebo", "IL-2 vs placebo", "p=0.036", "=", 0.036,
         "not_reproduced", "pearson_chi2", None),
    ]
    for row, path in ((rows[0], "comparisons[0]"), (rows[2], "comparisons[2]")):
        data = by_path[path].data
        assert row["p_recomputed"] == data["tests"][data["closest"]]
        assert row["p_check_message"] == by_path[path].message
    assert round(rows[0]["p_recomputed"], 3) == 0.053  # as the finding's message prints it
    assert rows[1]["p_recomputed"] is None and rows[1]["p_check_message"] is None


def test_regimens_view_rows_for_the_seed(seeded: str) -> None:
    rows = _rows(seeded, "SELECT * FROM v_regimens ORDER BY regimen_id")
    cols = ("registration_ids", "agent_key", "agent_en", "agent_zh", "agent_kind", "arm_key",
            "arm_role", "dose_en", "dose_zh", "dose_amount", "dose_unit", "route", "frequency",
            "frequency_text_en", "cycle_on_value", "cycle_on_unit", "cycle_on_reported",
            "cycle_off_value", "cycle_off_unit", "cycle_off_reported", "cycles",
            "treatment_duration_value", "treatment_duration_unit",
            "treatment_duration_reported", "follow_up_value", "follow_up_unit",
            "follow_up_reported", "background_en")
    schedule = ("every other day", 2.0, "week", "2 weeks", 2.0, "week", "2-week break", 3,
                12.0, "week", "12 weeks", 12.0, "week", "additional 12 weeks",
                "standard treatment")
    assert [tuple(r[c] for c in cols) for r in rows] == [
        (REGS, "il2", "interleukin-2 (IL-2)", "白细胞介素 2（IL-2）", "biological", "il2",
         "experimental", "1 million IU", "100 万 IU", 1000000.0, "IU", "subcutaneous", "qod",
         *schedule),
        (REGS, "placebo", "placebo", "安慰剂", "drug", "placebo", "placebo_comparator",
         None, None, None, None, "subcutaneous", "qod", *schedule),
    ]


def test_adverse_events_view_rows_for_the_seed(seeded: str) -> None:
    rows = _rows(seeded, "SELECT arm_key, arm_label_zh, term_en, term_zh, serious, affected, "
                         "at_risk, events FROM v_adverse_events ORDER BY adverse_event_id")
    assert [tuple(r.values()) for r in rows] == [
        ("il2", "IL-2", "serious infection", "严重感染", 1, 0, 29, None),
        ("placebo", "安慰剂", "serious infection", "严重感染", 1, 2, 30, None),
    ]


def test_trials_view_row_for_the_seed(seeded: str) -> None:
    (row,) = _rows(seeded, "SELECT * FROM v_trials")
    assert {k: row[k] for k in ("trial_id", "registration_ids", "pmids", "dois", "title_en",
                                "conditions_en", "conditions_zh", "agents_en", "agents_zh",
                                "enrollment_actual", "status", "curation_status",
                                "finding_errors", "finding_warnings")} == {
        "trial_id": 1, "registration_ids": REGS, "pmids": None,
        "dois": "10.1136/annrheumdis-2019-215396", "title_en": TITLE_EN,
        "conditions_en": "systemic lupus erythematosus", "conditions_zh": "系统性红斑狼疮",
        "agents_en": "interleukin-2 (IL-2); placebo", "agents_zh": "白细胞介素 2（IL-2）; 安慰剂",
        "enrollment_actual": 60, "status": "completed", "curation_status": "reviewed",
        "finding_errors": 0, "finding_warnings": 2,
    }


README_QUERY = """
SELECT registration_ids, arm_label_en, reported, events, n
FROM v_results
WHERE endpoint_role = 'primary' AND timepoint_value = 12 AND timepoint_unit = 'week'
  AND trial_agents LIKE '%IL-2%'
ORDER BY trial_id, result_id
"""


def test_readme_question_is_one_select(seeded: str) -> None:
    """Every primary-endpoint result at week 12 for trials of IL-2."""
    rows = _rows(seeded, README_QUERY.replace("%", "%%") if "postgresql" in seeded
                 else README_QUERY)
    assert [tuple(r.values()) for r in rows] == [
        (REGS, "IL-2", "55.17%", 16, 29),
        (REGS, "placebo", "30.00%", 9, 30),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_view_column_has_a_meaning(dialect: str) -> None:
    for view in VIEWS:
        assert view.meaning
        assert all(c.meaning and c.expr(dialect) for c in view.columns)  # type: ignore[arg-type]
        assert len({c.name for c in view.columns}) == len(view.columns)

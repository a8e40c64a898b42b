"""Flat SQL views for analysts: one row per result, comparison, regimen, adverse event, trial.

Each view is declared once here, column by column with its meaning, and turned
into SQL for SQLite or PostgreSQL; migration 0003 creates them and
`evidence.schemadoc` documents them from the same declarations. Only string
aggregation, JSON access and booleans differ between the two engines. Booleans
come out as 0/1 on both, so one query text works on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Col:
    """One view column: its name, SQL expression (per dialect when they differ) and meaning."""

    name: str
    sql: str | dict[str, str]
    meaning: str

    def expr(self, dialect: Dialect) -> str:
        return self.sql if isinstance(self.sql, str) else self.sql[dialect]


@dataclass(frozen=True, slots=True)
class View:
    """A flat view: name, what one row is, columns, and the FROM clause they read."""

    name: str
    meaning: str
    columns: tuple[Col, ...]
    source: str

    def create_sql(self, dialect: Dialect) -> str:
        cols = ",\n  ".join(f"{c.expr(dialect)} AS {c.name}" for c in self.columns)
        return f"CREATE VIEW {self.name} AS\nSELECT\n  {cols}\n{self.source}"

    def drop_sql(self) -> str:
        return f"DROP VIEW IF EXISTS {self.name}"


def _joined(value: str, table: str, where: str, order: str, sep: str) -> dict[str, str]:
    """A correlated subquery joining `value` over matching rows in `order`, per dialect."""
    # SQLite before 3.44 has no ORDER BY inside group_concat; it aggregates an
    # ordered subquery in that order. PostgreSQL's string_agg takes ORDER BY.
    return {
        "sqlite": f"(SELECT group_concat(v, '{sep}') FROM (SELECT {value} AS v FROM {table} "
                  f"WHERE {where} ORDER BY {order}))",
        "postgresql": f"(SELECT string_agg({value}, '{sep}' ORDER BY {order}) FROM {table} "
                      f"WHERE {where})",
    }


def _bool(expr: str) -> str:
    return f"CASE WHEN {expr} THEN 1 WHEN NOT {expr} THEN 0 END"


def _json_text(alias: str, key: str) -> dict[str, str]:
    return {"sqlite": f"json_extract({alias}.data, '$.{key}')",
            "postgresql": f"({alias}.data->>'{key}')"}


def _json_number(alias: str, path: tuple[str, str]) -> dict[str, str]:
    outer, inner = path
    return {"sqlite": f"json_extract({alias}.data, '$.{outer}.{inner}')",
            "postgresql": f"CAST({alias}.data->'{outer}'->>'{inner}' AS DOUBLE PRECISION)"}


def _registration_ids(trial: str) -> Col:
    return Col("registration_ids",
               _joined("identifier", "registration rg", f"rg.trial_id = {trial}", "rg.position",
                       ", "),
               "The trial's registration IDs in record order, comma-separated "
               "(e.g. 'NCT02465580, NCT02932137').")


def _trial_cols(trial: str) -> tuple[Col, ...]:
    return (
        Col("trial_id", f"{trial}", "trial.id of the trial."),
        _registration_ids(trial),
        Col("trial_title_en", "t.title_en", "The trial's English title."),
        Col("trial_title_zh", "t.title_zh", "The trial's Chinese title."),
        Col("trial_agents",
            # Alias `ta`, not `iv`: v_regimens reads intervention as `iv` outside.
            _joined("COALESCE(ta.name_en, ta.name_zh)", "intervention ta",
                    f"ta.trial_id = {trial}", "ta.position", "; "),
            "Names of all the trial's interventions (English, else Chinese), '; '-separated."),
    )


def _endpoint_cols() -> tuple[Col, ...]:
    return (
        Col("endpoint_key", "e.key", "The endpoint's key within its record (e.g. 'sri4')."),
        Col("endpoint_name_en", "e.name_en", "The endpoint's English name."),
        Col("endpoint_name_zh", "e.name_zh", "The endpoint's Chinese name."),
        Col("endpoint_role", "e.role",
            "primary, secondary, safety, exploratory or other."),
        Col("endpoint_met", _bool("e.met"),
            "1 if the report says the endpoint was met, 0 if not, NULL if it does not say."),
        Col("timepoint_key", "tp.key", "The timepoint's key; NULL when the result has none."),
        Col("timepoint_label_en", "tp.label_en", "The timepoint as printed, in English."),
        Col("timepoint_label_zh", "tp.label_zh", "The timepoint as printed, in Chinese."),
        Col("timepoint_value", "tp.value", "The timepoint's number (12 for 'week 12')."),
        Col("timepoint_unit", "tp.unit", "The timepoint's unit: day, week, month or year."),
        Col("timepoint_is_primary", _bool("tp.is_primary"),
            "1 if this is the endpoint's primary timepoint, else 0; NULL without a timepoint."),
        Col("population", "p.key",
            "Key of the analysis population: the row's own, else its endpoint's; NULL means "
            "the whole randomised/analysed set."),
        Col("population_label_en", "p.label_en", "The population's English label."),
        Col("population_label_zh", "p.label_zh", "The population's Chinese label."),
    )


def _arm_cols() -> tuple[Col, ...]:
    return (
        Col("arm_key", "a.key", "The arm's key within its record (e.g. 'il2')."),
        Col("arm_label_en", "a.label_en", "The arm's English label."),
        Col("arm_label_zh", "a.label_zh", "The arm's Chinese label."),
        Col("arm_role", "a.role",
            "experimental, placebo_comparator, active_comparator, sham_comparator, "
            "no_intervention or other."),
    )


_ENDPOINT_JOINS = (
    "JOIN endpoint e ON e.id = x.endpoint_id\n"
    "LEFT JOIN timepoint tp ON tp.id = x.timepoint_id\n"
    "LEFT JOIN population p ON p.id = COALESCE(x.population_id, e.population_id)"
)

RESULTS = View(
    "v_results",
    "One row per arm-level result: a trial's endpoint x timepoint x population x arm.",
    (
        Col("result_id", "x.id", "result.id of the row."),
        *_trial_cols("x.trial_id"),
        *_endpoint_cols(),
        *_arm_cols(),
        Col("arm_agents",
            _joined("COALESCE(iv.name_en, iv.name_zh)",
                    "intervention_arm ia JOIN intervention iv ON iv.id = ia.intervention_id",
                    "ia.arm_id = a.id", "ia.position", "; "),
            "Names of the interventions given in this arm, '; '-separated."),
        Col("category", "x.category", "Response category for categorical outcomes, else NULL."),
        Col("param", "x.param",
            "What `value` is: proportion, count, mean, median, ... (see result.param)."),
        Col("events", "x.events", "Participants with the event (numerator), as reported."),
        Col("n", "x.n", "Participants analysed for this result (denominator)."),
        Col("reported", "x.reported", "The value exactly as printed, e.g. '55.17%'."),
        Col("value", "x.value", "The value parsed from `reported`, e.g. 55.17."),
        Col("unit", "x.unit", "Unit of `value`, e.g. '%'."),
        Col("dispersion", "x.dispersion", "Kind of spread: sd, se, ci, iqr, range; NULL if none."),
        Col("dispersion_reported", "x.dispersion_reported", "The spread exactly as printed."),
        Col("dispersion_value", "x.dispersion_value", "SD or SE parsed from the report."),
        Col("dispersion_low", "x.dispersion_low", "Lower bound of a CI, IQR or range."),
        Col("dispersion_high", "x.dispersion_high", "Upper bound of a CI, IQR or range."),
        Col("note", "x.note", "Curator's note on this result."),
    ),
    "FROM result x\nJOIN trial t ON t.id = x.trial_id\nJOIN arm a ON a.id = x.arm_id\n"
    + _ENDPOINT_JOINS,
)

_P_FINDING = "fp"
_EFFECT_FINDING = "fe"


def _finding_join(alias: str, check: str) -> str:
    # At most one finding per check and comparison; the lowest position wins if a
    # future check ever writes two, so the view keeps one row per comparison.
    return (f"LEFT JOIN finding {alias} ON {alias}.trial_id = x.trial_id "
            f"AND {alias}.check_name = '{check}' "
            f"AND {alias}.path = 'comparisons[' || x.position || ']' "
            f"AND {alias}.position = (SELECT MIN(f2.position) FROM finding f2 "
            f"WHERE f2.trial_id = x.trial_id AND f2.check_name = '{check}' "
            f"AND f2.path = {alias}.path)")


COMPARISONS = View(
    "v_comparisons",
    "One row per comparison between arms, with what `evidence check` found about its p "
    "and effect estimate.",
    (
        Col("comparison_id", "x.id", "comparison.id of the row."),
        *_trial_cols("x.trial_id"),
        *_endpoint_cols(),
        Col("arms",
            _joined("ca_a.key", "comparison_arm ca JOIN arm ca_a ON ca_a.id = ca.arm_id",
                    "ca.comparison_id = x.id", "ca.position", " vs "),
            "Keys of the compared arms in order, e.g. 'il2 vs placebo'."),
        Col("arm_labels_en",
            _joined("COALESCE(ca_a.label_en, ca_a.key)",
                    "comparison_arm ca JOIN arm ca_a ON ca_a.id = ca.arm_id",
                    "ca.comparison_id = x.id", "ca.position", " vs "),
            "English labels of the compared arms in order, e.g. 'IL-2 vs placebo'."),
        Col("p_reported", "x.p_reported", "The p-value exactly as printed, e.g. 'p=0.052'."),
        Col("p_comparator", "x.p_comparator", "=, <, <=, > or >= as printed before the number."),
        Col("p_value", "x.p_value", "The printed p as a number."),
        Col("method", "x.method", "The statistical test or model the report names."),
        Col("effect_measure", "x.effect_measure", "The effect measure, e.g. 'odds ratio'."),
        Col("effect_reported", "x.effect_reported", "The effect estimate exactly as printed."),
        Col("effect_value", "x.effect_value", "The effect estimate as a number."),
        Col("ci_level", "x.ci_level", "Confidence level of the interval in percent, e.g. 95."),
        Col("ci_low", "x.ci_low", "Lower confidence limit."),
        Col("ci_high", "x.ci_high", "Upper confidence limit."),
        Col("ci_reported", "x.ci_reported", "The interval exactly as printed."),
        Col("p_check", _json_text(_P_FINDING, "status"),
            "From the p_value_reproduced finding: 'near' (close to but not reproduced by a "
            "standard test) or 'not_reproduced'. NULL: no such finding, i.e. a standard test "
            "reproduced the p, or no test could be computed from the stored arm data."),
        Col("p_closest_test", _json_text(_P_FINDING, "closest"),
            "The standard test whose p came closest (e.g. 'wald_log_or'); NULL without a "
            "finding."),
        Col("p_recomputed", {
            "sqlite": f"json_extract({_P_FINDING}.data, '$.tests.' || "
                      f"json_extract({_P_FINDING}.data, '$.closest'))",
            "postgresql": f"CAST({_P_FINDING}.data->'tests'->>({_P_FINDING}.data->>'closest') "
                          "AS DOUBLE PRECISION)"},
            "The p recomputed by that closest test, unrounded; NULL without a finding."),
        Col("p_check_message", f"{_P_FINDING}.message",
            "The finding's full message, listing every test tried and its p."),
        Col("effect_check", f"CASE WHEN {_EFFECT_FINDING}.id IS NOT NULL THEN 'mismatch' END",
            "'mismatch' when the effect_vs_recomputed check found the reported effect or CI "
            "differs from the one recomputed from the arm data; else NULL."),
        Col("effect_recomputed", _json_number(_EFFECT_FINDING, ("recomputed", "estimate")),
            "Effect estimate recomputed from the arm data (only with a mismatch)."),
        Col("effect_recomputed_ci_low", _json_number(_EFFECT_FINDING, ("recomputed", "ci_low")),
            "Lower limit of the recomputed CI (only with a mismatch)."),
        Col("effect_recomputed_ci_high",
            _json_number(_EFFECT_FINDING, ("recomputed", "ci_high")),
            "Upper limit of the recomputed CI (only with a mismatch)."),
        Col("description", "x.description", "Curator's description of the comparison."),
    ),
    "FROM comparison x\nJOIN trial t ON t.id = x.trial_id\n" + _ENDPOINT_JOINS + "\n"
    + _finding_join(_P_FINDING, "p_value_reproduced") + "\n"
    + _finding_join(_EFFECT_FINDING, "effect_vs_recomputed"),
)

REGIMENS = View(
    "v_regimens",
    "One row per dosing regimen: an intervention as given in one arm.",
    (
        Col("regimen_id", "g.id", "regimen.id of the row."),
        *_trial_cols("iv.trial_id"),
        Col("agent_key", "iv.key", "The intervention's key within its record."),
        Col("agent_en", "iv.name_en", "The intervention's English name."),
        Col("agent_zh", "iv.name_zh", "The intervention's Chinese name."),
        Col("agent_kind", "iv.kind", "drug, biological, procedure, ... as registered."),
        Col("arm_key", "a.key", "The arm's key; NULL when the regimen names no arm."),
        Col("arm_label_en", "a.label_en", "The arm's English label."),
        Col("arm_label_zh", "a.label_zh", "The arm's Chinese label."),
        Col("arm_role", "a.role", "The arm's role (experimental, placebo_comparator, ...)."),
        Col("dose_en", "g.dose_en", "The dose as printed, in English (e.g. '1 million IU')."),
        Col("dose_zh", "g.dose_zh", "The dose as printed, in Chinese."),
        Col("dose_amount", "g.dose_amount", "The dose as a number in `dose_unit`."),
        Col("dose_unit", "g.dose_unit", "Unit of `dose_amount`, e.g. 'IU', 'mg/kg'."),
        Col("route", "g.route", "Route: oral, subcutaneous, intravenous, ..."),
        Col("frequency", "g.frequency", "Frequency code: qd, bid, qod, qw, ..."),
        Col("frequency_text_en", "g.frequency_text_en", "The frequency as printed, in English."),
        Col("frequency_text_zh", "g.frequency_text_zh", "The frequency as printed, in Chinese."),
        Col("cycle_on_value", "g.cycle_on_value", "Length of the on-treatment part of a cycle."),
        Col("cycle_on_unit", "g.cycle_on_unit", "Unit of `cycle_on_value`."),
        Col("cycle_on_reported", "g.cycle_on_reported", "The on-period as printed."),
        Col("cycle_off_value", "g.cycle_off_value", "Length of the break in a cycle."),
        Col("cycle_off_unit", "g.cycle_off_unit", "Unit of `cycle_off_value`."),
        Col("cycle_off_reported", "g.cycle_off_reported", "The break as printed."),
        Col("cycles", "g.cycles", "Number of cycles."),
        Col("treatment_duration_value", "g.treatment_duration_value", "Length of treatment."),
        Col("treatment_duration_unit", "g.treatment_duration_unit",
            "Unit of `treatment_duration_value`."),
        Col("treatment_duration_reported", "g.treatment_duration_reported",
            "The treatment duration as printed."),
        Col("follow_up_value", "g.follow_up_value", "Length of follow-up after treatment."),
        Col("follow_up_unit", "g.follow_up_unit", "Unit of `follow_up_value`."),
        Col("follow_up_reported", "g.follow_up_reported", "The follow-up as printed."),
        Col("background_en", "g.background_en", "Background therapy, in English."),
        Col("background_zh", "g.background_zh", "Background therapy, in Chinese."),
    ),
    "FROM regimen g\nJOIN intervention iv ON iv.id = g.intervention_id\n"
    "JOIN trial t ON t.id = iv.trial_id\nLEFT JOIN arm a ON a.id = g.arm_id",
)

ADVERSE_EVENTS = View(
    "v_adverse_events",
    "One row per adverse-event count: a term in one arm.",
    (
        Col("adverse_event_id", "x.id", "adverse_event.id of the row."),
        *_trial_cols("x.trial_id"),
        *_arm_cols(),
        Col("term_en", "x.term_en", "The event term in English, as reported."),
        Col("term_zh", "x.term_zh", "The event term in Chinese."),
        Col("serious", _bool("x.serious"), "1 for a serious adverse event, else 0."),
        Col("organ_system", "x.organ_system", "Organ system class, when reported."),
        Col("affected", "x.affected", "Participants with the event."),
        Col("at_risk", "x.at_risk", "Participants at risk in the arm."),
        Col("events", "x.events", "Number of events (one participant may have several)."),
        Col("vocabulary", "x.vocabulary", "Terminology of `term_en`, e.g. 'MedDRA 23.0'."),
    ),
    "FROM adverse_event x\nJOIN trial t ON t.id = x.trial_id\nJOIN arm a ON a.id = x.arm_id",
)

TRIALS = View(
    "v_trials",
    "One row per trial, with its IDs, conditions and agents as text.",
    (
        Col("trial_id", "t.id", "trial.id."),
        _registration_ids("t.id"),
        Col("pmids", _joined("pb.pmid", "publication pb", "pb.trial_id = t.id", "pb.position",
                             ", "),
            "PubMed IDs of the trial's publications, comma-separated."),
        Col("dois", _joined("pb.doi", "publication pb", "pb.trial_id = t.id", "pb.position",
                            ", "),
            "DOIs of the trial's publications, comma-separated."),
        Col("title_en", "t.title_en", "English title."),
        Col("title_zh", "t.title_zh", "Chinese title."),
        Col("acronym", "t.acronym", "Trial acronym."),
        Col("conditions_en", _joined("cd.name_en", "condition cd", "cd.trial_id = t.id",
                                     "cd.position", "; "),
            "Conditions studied, English, '; '-separated."),
        Col("conditions_zh", _joined("cd.name_zh", "condition cd", "cd.trial_id = t.id",
                                     "cd.position", "; "),
            "Conditions studied, Chinese, '; '-separated."),
        Col("agents_en", _joined("iv.name_en", "intervention iv", "iv.trial_id = t.id",
                                 "iv.position", "; "),
            "Intervention names, English, '; '-separated."),
        Col("agents_zh", _joined("iv.name_zh", "intervention iv", "iv.trial_id = t.id",
                                 "iv.position", "; "),
            "Intervention names, Chinese, '; '-separated."),
        Col("study_type", "t.study_type", "interventional, observational, ..."),
        Col("allocation", "t.allocation", "randomised or non_randomised."),
        Col("masking", "t.masking", "none, single, double, triple, quadruple."),
        Col("enrollment_planned", "t.enrollment_planned", "Planned number of participants."),
        Col("enrollment_actual", "t.enrollment_actual", "Actual number of participants."),
        Col("start_date", "t.start_date", "Start date as YYYY, YYYY-MM or YYYY-MM-DD."),
        Col("completion_date", "t.completion_date", "Completion date, same forms."),
        Col("status", "t.status", "Recruitment status, e.g. completed."),
        Col("curation_status", "t.curation_status", "draft, reviewed or verified."),
        Col("sponsor", "t.sponsor", "Lead sponsor."),
        Col("finding_errors",
            "(SELECT COUNT(*) FROM finding f WHERE f.trial_id = t.id AND f.severity = 'error')",
            "Error-level findings from the last `evidence check` of the trial."),
        Col("finding_warnings",
            "(SELECT COUNT(*) FROM finding f WHERE f.trial_id = t.id "
            "AND f.severity = 'warning')",
            "Warning-level findings from the last `evidence check` of the trial."),
    ),
    "FROM trial t",
)

VIEWS: tuple[View, ...] = (TRIALS, RESULTS, COMPARISONS, REGIMENS, ADVERSE_EVENTS)


def create_statements(dialect: Dialect) -> list[str]:
    """CREATE VIEW statements for every view, in dependency-free order."""
    return [v.create_sql(dialect) for v in VIEWS]


def drop_statements() -> list[str]:
    """DROP VIEW statements for every view."""
    return [v.drop_sql() for v in reversed(VIEWS)]

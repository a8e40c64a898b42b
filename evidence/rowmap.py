"""Record objects <-> flat table rows, each pair side by side so they stay symmetric.

`*_row` functions give column values for an insert; `*_data` functions turn a
fetched row (a dict of column -> value) back into record-format data.
"""

from __future__ import annotations

from typing import Any

import orjson

from evidence.records import (
    Arm,
    ArmResult,
    Comparison,
    Duration,
    Endpoint,
    Publication,
    Regimen,
    Text,
    Trial,
)


def text_data(row: dict[str, Any], prefix: str) -> dict[str, str] | None:
    """{en, zh} from `<prefix>_en`/`<prefix>_zh` columns, None when both are empty."""
    en, zh = row.get(f"{prefix}_en"), row.get(f"{prefix}_zh")
    if en is None and zh is None:
        return None
    return {k: v for k, v in (("en", en), ("zh", zh)) if v is not None}


def _text_cols(prefix: str, value: Text | None) -> dict[str, str | None]:
    return {f"{prefix}_en": value.en if value else None, f"{prefix}_zh": value.zh if value else None}


def json_value(value: Any) -> Any:
    """JSON columns come back parsed from psycopg but as text from sqlite3."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != []}


# --- trial --------------------------------------------------------------------------

def trial_row(trial: Trial) -> dict[str, Any]:
    d = trial.design
    return {
        **_text_cols("title", trial.title), "official_title": trial.official_title,
        "acronym": trial.acronym,
        "study_type": d.study_type.value if d.study_type else None,
        "allocation": d.allocation.value if d.allocation else None,
        "masking": d.masking.value if d.masking else None, "masked_roles": d.masked_roles,
        "control": d.control.value if d.control else None,
        "phases": [p.value for p in d.phases], "design_model": d.model, "purpose": d.purpose,
        "enrollment_planned": trial.enrollment.planned,
        "enrollment_actual": trial.enrollment.actual,
        "start_date": trial.start_date, "primary_completion_date": trial.primary_completion_date,
        "completion_date": trial.completion_date, "sponsor": trial.sponsor,
        "countries": trial.countries, "status": trial.status,
        "curation_status": trial.curation_status.value, "brief_summary": trial.brief_summary,
    }


def trial_data(row: dict[str, Any]) -> dict[str, Any]:
    design = _compact({
        "study_type": row["study_type"], "allocation": row["allocation"],
        "masking": row["masking"], "masked_roles": json_value(row["masked_roles"]),
        "control": row["control"], "phases": json_value(row["phases"]),
        "model": row["design_model"], "purpose": row["purpose"]})
    return _compact({
        "title": text_data(row, "title") or {}, "official_title": row["official_title"],
        "acronym": row["acronym"], "design": design,
        "enrollment": _compact({"planned": row["enrollment_planned"],
                                "actual": row["enrollment_actual"]}),
        "start_date": row["start_date"], "primary_completion_date": row["primary_completion_date"],
        "completion_date": row["completion_date"], "sponsor": row["sponsor"],
        "countries": json_value(row["countries"]), "status": row["status"],
        "curation_status": row["curation_status"], "brief_summary": row["brief_summary"],
    })


# --- publications ---------------------------------------------------------------------

_PUB_PLAIN = ("pmid", "pmcid", "doi", "journal", "journal_abbrev", "year", "volume", "issue",
              "pages", "epub_date")


def publication_row(pub: Publication) -> dict[str, Any]:
    return {
        **{k: getattr(pub, k) for k in _PUB_PLAIN},
        **_text_cols("title", pub.title), **_text_cols("abstract", pub.abstract),
        "abstract_sections": [s.model_dump(mode="json", exclude_none=True)
                              for s in pub.abstract_sections],
        "publication_types": pub.publication_types,
    }


def publication_data(row: dict[str, Any]) -> dict[str, Any]:
    epub = row["epub_date"]
    return _compact({
        **{k: row[k] for k in _PUB_PLAIN}, "epub_date": str(epub) if epub else None,
        "title": text_data(row, "title"), "abstract": text_data(row, "abstract"),
        "abstract_sections": json_value(row["abstract_sections"]),
        "publication_types": json_value(row["publication_types"]),
    })


# --- arms, regimens ---------------------------------------------------------------------

def arm_row(arm: Arm) -> dict[str, Any]:
    return {"key": arm.key, **_text_cols("label", arm.label), "role": arm.role.value,
            "n_randomised": arm.n_randomised, "n_analysed": arm.n_analysed,
            "description": arm.description}


def arm_data(row: dict[str, Any]) -> dict[str, Any]:
    return _compact({"key": row["key"], "label": text_data(row, "label") or {},
                     "role": row["role"], "n_randomised": row["n_randomised"],
                     "n_analysed": row["n_analysed"], "description": row["description"]})


_DURATIONS = ("cycle_on", "cycle_off", "treatment_duration", "follow_up")
_REGIMEN_TEXTS = ("dose", "frequency_text", "background", "description")


def _duration_cols(name: str, value: Duration | None) -> dict[str, Any]:
    return {f"{name}_value": value.value if value else None,
            f"{name}_unit": value.unit.value if value else None,
            f"{name}_reported": value.reported if value else None}


def regimen_row(reg: Regimen) -> dict[str, Any]:
    row: dict[str, Any] = {"dose_amount": reg.dose_amount, "dose_unit": reg.dose_unit,
                           "route": reg.route, "frequency": reg.frequency, "cycles": reg.cycles}
    for name in _REGIMEN_TEXTS:
        row.update(_text_cols(name, getattr(reg, name)))
    for name in _DURATIONS:
        row.update(_duration_cols(name, getattr(reg, name)))
    return row


def regimen_data(row: dict[str, Any], arm_key: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"arm": arm_key, "dose_amount": row["dose_amount"],
                            "dose_unit": row["dose_unit"], "route": row["route"],
                            "frequency": row["frequency"], "cycles": row["cycles"]}
    for name in _REGIMEN_TEXTS:
        data[name] = text_data(row, name)
    for name in _DURATIONS:
        if row[f"{name}_value"] is not None:
            data[name] = _compact({"value": row[f"{name}_value"], "unit": row[f"{name}_unit"],
                                   "reported": row[f"{name}_reported"]})
    return _compact(data)


# --- endpoints, results, comparisons -------------------------------------------------------

def endpoint_row(ep: Endpoint) -> dict[str, Any]:
    return {"key": ep.key, **_text_cols("name", ep.name), "role": ep.role.value,
            "measure": ep.measure.value, "description": ep.description,
            "time_frame": ep.time_frame, "unit": ep.unit, "met": ep.met}


def endpoint_data(row: dict[str, Any]) -> dict[str, Any]:
    met = row["met"]
    return _compact({"key": row["key"], "name": text_data(row, "name") or {},
                     "role": row["role"], "measure": row["measure"],
                     "description": row["description"], "time_frame": row["time_frame"],
                     "unit": row["unit"], "met": None if met is None else bool(met)})


RESULT_FIELDS = ("category", "param", "reported", "value", "unit", "events", "n", "dispersion",
                 "dispersion_reported", "dispersion_value", "dispersion_low", "dispersion_high",
                 "dispersion_level", "note")
COMPARISON_FIELDS = ("p_reported", "p_comparator", "p_value", "method", "effect_measure",
                     "effect_reported", "effect_value", "ci_level", "ci_low", "ci_high",
                     "ci_reported", "description")


def result_row(res: ArmResult) -> dict[str, Any]:
    return res.model_dump(mode="json", include=set(RESULT_FIELDS))


def comparison_row(cmp: Comparison) -> dict[str, Any]:
    return cmp.model_dump(mode="json", include=set(COMPARISON_FIELDS))


def plain_data(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return _compact({f: row[f] for f in fields})

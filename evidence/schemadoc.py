"""docs/schema.md from the models and views: every table, column, type and meaning, and an ER diagram.

Meanings live here, next to the generator, because the models carry no column
comments; a test fails when a column has no meaning or a meaning has no column,
and when docs/schema.md differs from `render_schema_doc()`.
"""

from __future__ import annotations

from typing import Any

# Columns that mean the same in every table that has them.
COMMON = {
    "id": "Primary key.",
    "trial_id": "The trial this row belongs to (trial.id); deleting the trial deletes the row.",
    "position": "Order within its parent, as in the record file.",
}

TABLES: dict[str, dict[str, str]] = {
    "trial": {
        "": "One clinical trial: design, dates, status and bookkeeping. Everything else hangs "
            "off it.",
        "title_en": "Title in English.",
        "title_zh": "Title in Chinese.",
        "official_title": "The registry's official (long) title.",
        "acronym": "Trial acronym, e.g. 'BLISS-52'.",
        "study_type": "interventional, observational or expanded_access.",
        "allocation": "randomised, non_randomised or not_applicable.",
        "masking": "none (open label), single, double, triple or quadruple.",
        "masked_roles": "JSON list of who was masked: participant, investigator, ...",
        "control": "placebo, active, no_treatment, dose_comparison, historical, usual_care or "
                   "none.",
        "phases": "JSON list of phases: early_phase1, phase1, ..., phase4, not_applicable.",
        "design_model": "parallel, crossover, factorial, single_group, ...",
        "purpose": "Primary purpose: treatment, prevention, diagnostic, ...",
        "enrollment_planned": "Planned number of participants.",
        "enrollment_actual": "Actual number of participants enrolled.",
        "start_date": "Start date as YYYY, YYYY-MM or YYYY-MM-DD (as precise as the source).",
        "primary_completion_date": "Primary completion date, same forms.",
        "completion_date": "Study completion date, same forms.",
        "sponsor": "Lead sponsor.",
        "countries": "JSON list of countries with sites.",
        "status": "Recruitment status, e.g. completed, recruiting.",
        "curation_status": "draft, reviewed or verified by a curator.",
        "brief_summary": "The registry's brief summary.",
        "content_hash": "SHA-256 of the record's canonical JSON: re-importing an equal record "
                        "changes nothing.",
        "version": "Starts at 1; +1 on every change. An edit based on an older version is "
                   "refused (optimistic locking).",
        "last_editor": "The curator who last changed the trial.",
        "created_at": "When the trial was first imported (UTC).",
        "updated_at": "When an import last changed it (UTC).",
    },
    "condition": {
        "": "A condition or disease studied.",
        "name_en": "Condition name in English.",
        "name_zh": "Condition name in Chinese.",
    },
    "institution": {
        "": "An institution that ran the trial.",
        "name_en": "Name in English.",
        "name_zh": "Name in Chinese.",
        "city": "City.",
        "country": "Country.",
    },
    "registration": {
        "": "A registry entry of the trial; one trial may be registered several times.",
        "registry": "Registry code, e.g. ctgov, chictr, isrctn, euctr.",
        "identifier": "The registration ID in canonical form, e.g. NCT02465580; unique.",
        "known_registry": "False when the registry is not one we validate; kept but flagged.",
    },
    "publication": {
        "": "An article reporting the trial (trial_id NULL: a PubMed article not yet linked "
            "to a trial).",
        "trial_id": "The trial it reports (trial.id), or NULL.",
        "pmid": "PubMed ID; unique.",
        "pmcid": "PubMed Central ID.",
        "doi": "DOI, lower-case, without 'doi:' or URL prefix; unique.",
        "journal": "Journal name.",
        "journal_abbrev": "Journal abbreviation, e.g. 'Ann Rheum Dis'.",
        "year": "Publication year.",
        "volume": "Volume.",
        "issue": "Issue.",
        "pages": "Pages, e.g. '141-149'.",
        "epub_date": "Electronic publication date.",
        "title_en": "Article title in English.",
        "title_zh": "Article title in Chinese.",
        "abstract_en": "Unstructured abstract in English.",
        "abstract_zh": "Unstructured abstract in Chinese.",
        "abstract_sections": "JSON list of structured abstract sections: "
                             "{label: {en, zh}, text: {en, zh}}.",
        "publication_types": "JSON list of PubMed publication types.",
    },
    "source": {
        "": "A document the record's numbers came from; provenance rows point at it.",
        "key": "Short name used by provenance in the record, e.g. 'abstract'; unique per trial.",
        "kind": "abstract, full_text, registry, bibliographic or curator.",
        "locator": "Where to find it: file, URL, DOI, registry version.",
        "language": "Language(s) of the document, e.g. 'en+zh'.",
        "curator": "Who curated from it.",
        "retrieved": "When it was retrieved (or the registry version date).",
        "note": "Curator's note.",
    },
    "population": {
        "": "An analysis population or subgroup, e.g. ITT or 'patients with lupus nephritis'.",
        "key": "Short name within the trial; unique per trial.",
        "label_en": "Label in English.",
        "label_zh": "Label in Chinese.",
        "kind": "itt, mitt, per_protocol, safety, baseline, subgroup or other.",
        "description": "How the population is defined.",
    },
    "arm": {
        "": "A treatment arm (group) of the trial.",
        "key": "Short name within the trial, e.g. 'il2'; unique per trial.",
        "label_en": "Label in English.",
        "label_zh": "Label in Chinese.",
        "role": "experimental, placebo_comparator, active_comparator, sham_comparator, "
                "no_intervention or other.",
        "n_randomised": "Participants randomised to the arm.",
        "n_analysed": "Participants analysed in the arm (at most n_randomised).",
        "description": "What the arm received.",
    },
    "arm_count": {
        "": "Number of participants of an arm in a population (e.g. 13 with lupus nephritis).",
        "arm_id": "The arm (arm.id).",
        "population_id": "The population (population.id).",
        "n": "Participants.",
    },
    "intervention": {
        "": "A drug, biological, procedure or other intervention of the trial.",
        "key": "Short name within the trial; unique per trial.",
        "name_en": "Name in English, e.g. 'interleukin-2 (IL-2)'.",
        "name_zh": "Name in Chinese.",
        "kind": "drug, biological, device, procedure, behavioral, ... as registered.",
        "description": "Description as registered or reported.",
        "other_names": "JSON list of other names and abbreviations, e.g. ['IL-2'].",
    },
    "intervention_arm": {
        "": "Which arms receive which intervention.",
        "intervention_id": "The intervention (intervention.id).",
        "arm_id": "The arm (arm.id).",
    },
    "regimen": {
        "": "How an intervention is given in an arm: dose, route, frequency, cycles, durations.",
        "intervention_id": "The intervention (intervention.id).",
        "arm_id": "The arm (arm.id), or NULL when the regimen is not tied to one arm.",
        "dose_en": "Dose as printed, in English, e.g. '1 million IU'.",
        "dose_zh": "Dose as printed, in Chinese.",
        "dose_amount": "Dose as a number in dose_unit, e.g. 1000000.",
        "dose_unit": "Unit of dose_amount, e.g. 'IU', 'mg', 'mg/kg'.",
        "route": "Route: oral, subcutaneous, intravenous, ...",
        "frequency": "Frequency code: qd, bid, tid, qid, qod, qw, q2w, q4w, once, prn.",
        "frequency_text_en": "Frequency as printed, in English.",
        "frequency_text_zh": "Frequency as printed, in Chinese.",
        "cycle_on_value": "Length of the on-treatment part of a cycle.",
        "cycle_on_unit": "Unit of cycle_on_value: hour, day, week, month or year.",
        "cycle_on_reported": "The on-period as printed.",
        "cycle_off_value": "Length of the break in a cycle.",
        "cycle_off_unit": "Unit of cycle_off_value.",
        "cycle_off_reported": "The break as printed.",
        "cycles": "Number of cycles.",
        "treatment_duration_value": "Length of treatment.",
        "treatment_duration_unit": "Unit of treatment_duration_value.",
        "treatment_duration_reported": "Treatment duration as printed.",
        "follow_up_value": "Length of follow-up after treatment.",
        "follow_up_unit": "Unit of follow_up_value.",
        "follow_up_reported": "Follow-up as printed.",
        "background_en": "Background therapy given alongside, in English.",
        "background_zh": "Background therapy, in Chinese.",
        "description_en": "The dosing sentence, in English.",
        "description_zh": "The dosing sentence, in Chinese.",
    },
    "endpoint": {
        "": "An outcome measure of the trial.",
        "key": "Short name within the trial, e.g. 'sri4'; unique per trial.",
        "name_en": "Name in English.",
        "name_zh": "Name in Chinese.",
        "role": "primary, secondary, safety, exploratory or other.",
        "measure": "proportion, continuous, count, time_to_event or other.",
        "description": "How the outcome is measured.",
        "time_frame": "Time frame as registered.",
        "unit": "Unit of the results, e.g. '%'.",
        "population_id": "Default population of its results (population.id), or NULL.",
        "met": "Whether the report says the endpoint was met; NULL if it does not say.",
    },
    "timepoint": {
        "": "A time an endpoint is assessed, e.g. week 12.",
        "endpoint_id": "The endpoint (endpoint.id).",
        "key": "Short name within the endpoint, e.g. 'w12'.",
        "label_en": "Label in English, e.g. 'week 12'.",
        "label_zh": "Label in Chinese, e.g. '第 12 周'.",
        "value": "The number of the time, e.g. 12.",
        "unit": "hour, day, week, month or year.",
        "is_primary": "True for the endpoint's primary timepoint.",
    },
    "result": {
        "": "One arm-level result: an endpoint's value in one arm (at a timepoint, in a "
            "population).",
        "endpoint_id": "The endpoint (endpoint.id).",
        "arm_id": "The arm (arm.id).",
        "timepoint_id": "The timepoint (timepoint.id), or NULL.",
        "population_id": "The population (population.id); NULL: the endpoint's default.",
        "category": "Response category for categorical outcomes, else NULL.",
        "param": "What value is: proportion, count, number, mean, ls_mean, geometric_mean, "
                 "median, geometric_ls_mean or log_mean.",
        "reported": "The value exactly as printed, e.g. '53.85% (7/13)'.",
        "value": "The value parsed from reported, e.g. 53.85.",
        "unit": "Unit of value, e.g. '%'.",
        "events": "Participants with the event (numerator).",
        "n": "Participants analysed (denominator); events <= n.",
        "dispersion": "Kind of spread: sd, se, ci, iqr, range, geometric_cv or other.",
        "dispersion_reported": "The spread exactly as printed.",
        "dispersion_value": "SD, SE or CV parsed.",
        "dispersion_low": "Lower bound of a CI, IQR or range.",
        "dispersion_high": "Upper bound of a CI, IQR or range.",
        "dispersion_level": "Confidence level of a CI in percent (95 unless stated).",
        "note": "Curator's note.",
    },
    "comparison": {
        "": "A between-arm comparison of an endpoint: p-value and effect estimate as reported.",
        "endpoint_id": "The endpoint (endpoint.id).",
        "timepoint_id": "The timepoint (timepoint.id), or NULL.",
        "population_id": "The population (population.id); NULL: the endpoint's default.",
        "p_reported": "The p-value exactly as printed, e.g. 'p=0.052'.",
        "p_comparator": "=, <, <=, > or >= as printed.",
        "p_value": "The printed p as a number.",
        "method": "Statistical test or model named by the report.",
        "effect_measure": "Effect measure, e.g. 'odds ratio', 'mean difference'.",
        "effect_reported": "Effect estimate exactly as printed.",
        "effect_value": "Effect estimate as a number.",
        "ci_level": "Confidence level in percent, e.g. 95.",
        "ci_low": "Lower confidence limit.",
        "ci_high": "Upper confidence limit.",
        "ci_reported": "Confidence interval exactly as printed.",
        "description": "Curator's description.",
    },
    "comparison_arm": {
        "": "The arms of a comparison, in order (first versus second).",
        "comparison_id": "The comparison (comparison.id).",
        "position": "0 for the first arm, 1 for the second, ...",
        "arm_id": "The arm (arm.id).",
    },
    "adverse_event": {
        "": "Participants with an adverse event in one arm.",
        "arm_id": "The arm (arm.id).",
        "term_en": "Event term in English.",
        "term_zh": "Event term in Chinese.",
        "serious": "True for a serious adverse event.",
        "organ_system": "Organ system class.",
        "affected": "Participants with the event.",
        "at_risk": "Participants at risk; affected <= at_risk.",
        "events": "Number of events.",
        "vocabulary": "Terminology of the term, e.g. 'MedDRA 23.0'.",
    },
    "provenance": {
        "": "Where an entity, or one field of it, came from: source, location, quote, "
            "derivation.",
        "entity": "Table of the described row: trial, arm, result, comparison, ...",
        "entity_id": "id of the described row in that table.",
        "field": "The field described (e.g. 'n_analysed'); NULL: the whole row.",
        "source_id": "The source document (source.id).",
        "locator": "Where in the source: section, table, page.",
        "span_start": "Start offset of the quote in the source text (characters).",
        "span_end": "End offset of the quote (exclusive).",
        "quote": "The sentence the value was taken from.",
        "derivation": "How a value not printed was derived, e.g. '55.17% × 29 = 16.0'.",
    },
    "glossary_term": {
        "": "A curated English to Chinese term used when a record lacks the Chinese.",
        "term_key": "The English term folded for matching (case, spaces); unique.",
        "term_en": "The English term as curated.",
        "term_zh": "Its Chinese translation.",
        "domain": "Area of the term, e.g. 'condition', 'endpoint'.",
        "updated_at": "When the term was last changed (UTC).",
    },
    "finding": {
        "": "What `evidence check` found wrong or doubtful in a trial's numbers; refreshed on "
            "every import and check. Passing checks leave no row.",
        "check_name": "The check, e.g. p_value_reproduced, effect_vs_recomputed.",
        "severity": "error (numbers cannot all be right) or warning (a curator should look).",
        "path": "Where in the record, e.g. 'comparisons[0]'.",
        "message": "The finding in words.",
        "data": "JSON with the numbers: reported, recomputed, tests tried and their p.",
        "checked_at": "When the check ran (UTC).",
    },
    "audit_event": {
        "": "One change to a trial, written in the same transaction as the change; "
            "append-only.",
        "trial_id": "The trial changed (trial.id). No foreign key on purpose: the history "
                    "outlives a deleted trial.",
        "trial_label": "The trial's label at the time, e.g. its first registration ID.",
        "action": "import, edit, merge, review, reject, reopen, adjudicate or delete.",
        "curator": "Who made the change.",
        "command": "The command line that made it.",
        "at": "When (UTC).",
        "version_before": "trial.version before the change.",
        "version_after": "trial.version after the change.",
        "status_before": "curation_status before the change.",
        "status_after": "curation_status after the change.",
        "reason": "Why, as given by the curator.",
        "changes": "JSON list of changed fields: {path, before, after}.",
    },
    "extraction": {
        "": "One curator's own extraction of a trial, kept apart until adjudicated.",
        "trial_key": "Which trial the extraction is of (e.g. its registration ID).",
        "curator": "The curator; one extraction per curator and trial_key.",
        "record": "The extracted record as JSON.",
        "content_hash": "SHA-256 of the record's canonical JSON.",
        "source_file": "The file it was submitted from.",
        "submitted_at": "When it was submitted (UTC).",
    },
    "adjudication": {
        "": "The decisions that turned two extractions into the consensus record.",
        "trial_id": "The consensus trial (trial.id); NULL once that trial is deleted.",
        "trial_key": "Which trial the extractions are of.",
        "curator": "The adjudicating curator.",
        "extraction_a_id": "The first extraction (extraction.id).",
        "extraction_b_id": "The second extraction (extraction.id).",
        "decisions": "JSON: for each disagreement, which value was kept and why.",
        "decided_at": "When (UTC).",
    },
    "source_digest": {
        "": "A registry file already imported, unchanged, into a trial: a re-import skips it "
            "without parsing. Deleted whenever anything else writes the trial.",
        "trial_id": "The trial the file's item became (trial.id).",
        "digest": "SHA-256 of the importer's mapping version, the format and the file's bytes.",
        "position": "The item's place in the file (0 for a file of one study).",
        "items": "How many items the file held; it is skipped only if every one is here.",
        "label": "The trial's label when imported, for the import report.",
        "suffix": "The item's locator after the file's (e.g. '#studies[3]'; empty for a "
                  "file of one study).",
        "imported_at": "When (UTC).",
    },
}


def meaning(table: str, column: str) -> str | None:
    """The documented meaning of a column, or None if it has none."""
    own = TABLES.get(table, {})
    return own.get(column) or COMMON.get(column)


def missing_meanings() -> list[str]:
    """'table.column' for every model column without a meaning (should be empty)."""
    from evidence.models import metadata

    return [f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns
            if meaning(t.name, c.name) is None] + [
        t.name for t in metadata.tables.values() if not TABLES.get(t.name, {}).get("")]


def stale_meanings() -> list[str]:
    """Meanings kept here for tables or columns the models no longer have."""
    from evidence.models import metadata

    out = []
    for table, cols in TABLES.items():
        if table not in metadata.tables:
            out.append(table)
            continue
        out += [f"{table}.{c}" for c in cols if c and c not in metadata.tables[table].c]
    return out


def _type_name(column: Any) -> str:
    t = column.type
    name = type(t).__name__
    if name == "String":
        return f"text({t.length})" if t.length else "text"
    return {"Integer": "integer", "Text": "text", "Float": "real", "Boolean": "boolean",
            "JSON": "JSON", "UTCDateTime": "timestamp (UTC)", "DateTime": "timestamp",
            "Date": "date", "AutoString": "text"}.get(name, name.lower())


def _keys(column: Any) -> str:
    marks = []
    if column.primary_key:
        marks.append("PK")
    marks += [f"→ {fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys]
    table = column.table
    for constraint in table.constraints:
        if type(constraint).__name__ == "UniqueConstraint":
            cols = [c.name for c in constraint.columns]
            if column.name in cols:
                marks.append("unique" if len(cols) == 1 else f"unique ({', '.join(cols)})")
    return ", ".join(marks)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _er_diagram() -> list[str]:
    from evidence.models import metadata

    lines = ["```mermaid", "erDiagram"]
    for t in metadata.tables.values():
        for c in t.columns:
            for fk in c.foreign_keys:
                parent = fk.column.table.name
                # A parent has zero or more children; a child has one parent, or at most
                # one when the foreign key may be NULL.
                one = "o|" if c.nullable else "||"
                lines.append(f"    {parent} {one}--o{{ {t.name} : {c.name}")
    for t in metadata.tables.values():
        lines.append(f"    {t.name} {{")
        for c in t.columns:
            if c.primary_key or c.foreign_keys:
                kind = "PK" if c.primary_key else "FK"
                if c.primary_key and c.foreign_keys:
                    kind = "PK, FK"
                type_word = _type_name(c).split("(")[0].split(" ")[0]
                lines.append(f"        {type_word} {c.name} {kind}")
        lines.append("    }")
    return [*lines, "```"]


def render_schema_doc() -> str:
    """The whole of docs/schema.md."""
    from evidence.models import metadata
    from evidence.search_index import INDEX_TABLE
    from evidence.views import VIEWS

    out = ["# Database schema", "",
           "Generated from `evidence/models.py`, `evidence/views.py` and the meanings in "
           "`evidence/schemadoc.py` by `evidence schema-doc --output docs/schema.md`; "
           "do not edit by hand (a test compares).", "",
           "The same schema is used on SQLite and PostgreSQL. Child rows carry `position`, "
           "their order in the record file. Text printed in a source is kept next to the "
           "number parsed from it (`reported` / `value`).", "",
           "## Entity-relationship diagram", "", "Keys only; every table is listed below.", "",
           *_er_diagram(), "", "## Tables", ""]
    for t in metadata.tables.values():
        out += [f"### {t.name}", "", TABLES[t.name][""], "",
                "| column | type | null | keys | meaning |", "| --- | --- | --- | --- | --- |"]
        for c in t.columns:
            out.append(f"| {c.name} | {_type_name(c)} | {'yes' if c.nullable else 'no'} | "
                       f"{_cell(_keys(c))} | {_cell(meaning(t.name, c.name) or '')} |")
        out.append("")
    out += ["## Views", "",
            "Flat views for questions that need no joins; created by migration 0003 with the "
            "same columns on both engines. Booleans are 0/1; lists are joined into text.", ""]
    for v in VIEWS:
        out += [f"### {v.name}", "", v.meaning, "", "| column | meaning |", "| --- | --- |"]
        out += [f"| {c.name} | {_cell(c.meaning)} |" for c in v.columns]
        out.append("")
    out += ["## Search index", "",
            f"`{INDEX_TABLE}` holds one row per text of a title, condition, agent "
            "(intervention name and other names), endpoint or publication (title, abstract, "
            "abstract sections), in English and Chinese. On SQLite it is an FTS5 table with "
            f"the trigram tokenizer (its shadow tables are named `{INDEX_TABLE}_*`); on "
            "PostgreSQL a table with a pg_trgm GIN index. Triggers on the source tables keep "
            "it current; `evidence search` reads it. It is not a model table. Its key "
            "(`rowid` on SQLite, `id` on PostgreSQL) is `kind << 60 | trial_id << 34 | "
            "source row id << 3 | slot` (migration 0006): each kind of text is a key range "
            "in trial order, so a search can stop once no later trial can rank higher. "
            "Texts without a trial are not indexed.", ""]
    return "\n".join(out)

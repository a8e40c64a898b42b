"""docs/schema.md is generated from the models and views, and every column has a meaning."""

from __future__ import annotations

from evidence.models import metadata
from evidence.schemadoc import missing_meanings, render_schema_doc, stale_meanings
from evidence.views import VIEWS
from tests.conftest import ROOT, run_cli

SCHEMA_DOC = ROOT / "docs" / "schema.md"


def test_every_table_and_column_has_a_meaning() -> None:
    assert missing_meanings() == []


def test_no_meaning_outlives_its_column() -> None:
    assert stale_meanings() == []


def test_docs_schema_md_is_up_to_date() -> None:
    assert SCHEMA_DOC.read_text(encoding="utf-8") == render_schema_doc(), (
        "docs/schema.md is out of date: run `evidence schema-doc --output docs/schema.md`")


def test_doc_lists_every_table_column_view_and_relationship() -> None:
    doc = render_schema_doc()
    for table in metadata.tables.values():
        assert f"\n### {table.name}\n" in doc
        for column in table.columns:
            assert f"\n| {column.name} | " in doc
            for fk in column.foreign_keys:
                assert f"    {fk.column.table.name} " in doc
                assert f"--o{{ {table.name} : {column.name}\n" in doc
    for view in VIEWS:
        assert f"\n### {view.name}\n" in doc
        assert all(f"\n| {c.name} | " in doc for c in view.columns)
    assert doc.count("```mermaid\nerDiagram\n") == 1


def test_cli_check_reports_a_stale_file(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "schema.md"
    target.write_text("# old\n", encoding="utf-8")
    stale = run_cli("schema-doc", "--output", str(target), "--check")
    assert stale.returncode == 1 and "out of date" in stale.stderr
    wrote = run_cli("schema-doc", "--output", str(target))
    assert wrote.returncode == 0 and target.read_text(encoding="utf-8") == render_schema_doc()
    fresh = run_cli("schema-doc", "--output", str(target), "--check")
    assert fresh.returncode == 0

"""Registration identifiers: every registry's format, normalisation, and flags."""

from __future__ import annotations

import pytest

from evidence.registries import RegistrationError, detect_registry, find_identifiers, normalise


@pytest.mark.parametrize(("raw", "registry", "canonical"), [
    ("NCT02465580", "ctgov", "NCT02465580"),
    ("nct 02932137", "ctgov", "NCT02932137"),
    ("ChiCTR2000029308", "chictr", "ChiCTR2000029308"),
    ("chictr-trc-12002345", "chictr", "ChiCTR-TRC-12002345"),
    ("ISRCTN 17573805", "isrctn", "ISRCTN17573805"),
    ("2015-001234-12", "eudract", "2015-001234-12"),
    ("2023-501234-12-00", "euct", "2023-501234-12-00"),
    ("ACTRN12617000123456", "anzctr", "ACTRN12617000123456"),
    ("DRKS00012345", "drks", "DRKS00012345"),
    ("CTRI/2019/05/019070", "ctri", "CTRI/2019/05/019070"),
    ("CTRI/2009/091/000532", "ctri", "CTRI/2009/091/000532"),
    ("UMIN000012345", "umin", "UMIN000012345"),
    ("jRCTs031180001", "jrct", "jRCTs031180001"),
    ("JRCT2031190001", "jrct", "jRCT2031190001"),
    ("JapicCTI-173456", "japiccti", "JapicCTI-173456"),
])
def test_known_registries_validate_and_normalise(raw: str, registry: str, canonical: str) -> None:
    assert detect_registry(raw) == registry
    result = normalise(None, raw)
    assert (result.registry, result.identifier, result.known) == (registry, canonical, True)
    assert normalise(registry, raw).identifier == canonical


@pytest.mark.parametrize(("registry", "raw"), [
    ("ctgov", "NCT0246558"),        # 7 digits
    ("ctgov", "NCT024655801"),      # 9 digits
    ("chictr", "ChiCTR200002930"),  # 9 digits
    ("isrctn", "ISRCTN1757380"),
    ("eudract", "15-001234-12"),
    ("euct", "2023-401234-12-00"),  # EU CT numbers have a 5 after the year
    ("anzctr", "ACTRN12717000123456"),
    ("drks", "DRKS0001234"),
    ("ctri", "CTRI/2019/5/019070"),
    ("umin", "UMIN00001234"),
])
def test_malformed_identifier_for_known_registry_is_refused(registry: str, raw: str) -> None:
    with pytest.raises(RegistrationError, match="not a valid"):
        normalise(registry, raw)


def test_unknown_registry_is_kept_but_flagged() -> None:
    result = normalise("pactr", "PACTR201905538240126")
    assert (result.registry, result.identifier, result.known) == (
        "pactr", "PACTR201905538240126", False)
    unrecognised = normalise(None, "SPONSOR-PROTO-42")
    assert (unrecognised.registry, unrecognised.known) == ("other", False)


def test_find_identifiers_in_free_text_keeps_order_and_drops_repeats() -> None:
    text = ("ClinicalTrials.gov Registries (NCT02465580 and NCT02932137). "
            "Also EudraCT 2015-001234-12 and again NCT02465580.")
    assert [(n.registry, n.identifier) for n in find_identifiers(text)] == [
        ("ctgov", "NCT02465580"), ("ctgov", "NCT02932137"), ("eudract", "2015-001234-12")]

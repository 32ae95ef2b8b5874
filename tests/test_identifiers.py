import random

import pytest
from openup import identifiers as ids
from openup.synthetic import synthetic_orgnr, synthetic_personnummer

RNG = random.Random(11)
ORGNR = synthetic_orgnr(RNG)
PNR = synthetic_personnummer(RNG)
SAMORDNING = synthetic_personnummer(RNG, coordination=True)


@pytest.mark.parametrize("raw, expected", [
    (ORGNR, (ids.ORGANISATIONSNUMMER, ORGNR)),
    (ORGNR.replace("-", ""), (ids.ORGANISATIONSNUMMER, ORGNR)),
    ("16" + ORGNR.replace("-", ""), (ids.ORGANISATIONSNUMMER, ORGNR)),
    ("SE" + ORGNR.replace("-", "") + "01", (ids.ORGANISATIONSNUMMER, ORGNR)),
    ("DK12345678", (ids.FOREIGN_VAT, "DK12345678")),
    ("EE 1000 1234 5", (ids.FOREIGN_VAT, "EE100012345")),
    ("NULL", (ids.MISSING, None)), ("SAKNAS", (ids.MISSING, None)), ("", (ids.MISSING, None)),
    ("******-****", (ids.MASKED_BY_PUBLISHER, None)),
    (PNR, (ids.PERSONNUMMER, None)), (PNR.replace("-", ""), (ids.PERSONNUMMER, None)),
    ("19" + PNR.replace("-", ""), (ids.PERSONNUMMER, None)),
    (SAMORDNING, (ids.SAMORDNINGSNUMMER, None)),
    ("10234", (ids.INTERNAL, "10234")),
])
def test_supplier_ids_are_classified_and_normalised(raw, expected):
    assert ids.classify_supplier_id(raw) == expected


def test_several_ids_keep_no_personal_number():
    kind, value = ids.classify_supplier_id(f"{ORGNR} / {PNR}")
    assert kind == ids.SEVERAL
    assert value == f"{ORGNR} / {ids.MASK}"


def test_internal_ids_are_kept_as_published_unless_personal():
    assert ids.classify_supplier_id("5566", internal_ids=True) == (ids.INTERNAL, "5566")
    assert ids.classify_supplier_id(PNR, internal_ids=True) == (ids.PERSONNUMMER, None)


def test_personal_numbers_are_masked_in_any_text():
    text = f"Faktura {PNR}, kund {PNR.replace('-', '')}, org {ORGNR}, nr 1234567890"
    masked, count = ids.mask_personal_numbers(text)
    assert count == 2
    assert PNR not in masked and PNR.replace("-", "") not in masked
    assert ORGNR in masked  # organisation numbers are public
    assert "1234567890" in masked  # fails the check digit: not a personnummer


def test_buyer_kinds():
    assert ids.buyer_kind("212000-1355") == "kommun"
    assert ids.buyer_kind("232100-0131") == "region"
    assert ids.buyer_kind("202100-5489") == "statlig myndighet"

"""The register of Swedish public bodies: who a buyer is, by organisationsnummer or exact name.

The register is a CSV file (organisationsnummer,namn,typ,kommunkod) named by the environment
variable OPENUP_REGISTER; the project ships none (README: "Köparregistret"). Without one, a
buyer number failing its check digit is reported and its rows rejected, never corrected.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REGISTER_VARIABLE = "OPENUP_REGISTER"


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Body:
    organisationsnummer: str
    namn: str
    typ: str
    kommunkod: str


class Register:
    def __init__(self, bodies: list[Body]):
        self.by_number = {b.organisationsnummer: b for b in bodies}
        self._by_name = {_name_key(b.namn): b for b in bodies}

    def number_for_name(self, name: str) -> str | None:
        """The register's organisationsnummer of the body named exactly so (case aside)."""
        body = self._by_name.get(_name_key(name))
        return body.organisationsnummer if body else None


@cache
def _read(path: str) -> Register:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return Register([Body(**row) for row in csv.DictReader(handle)])


def public_bodies() -> Register:
    path = os.environ.get(REGISTER_VARIABLE)
    return _read(path) if path else Register([])

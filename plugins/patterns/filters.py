"""The parameters every /inkop route shares, validated: kopare, ar and the page window."""

from __future__ import annotations

import re

from openup.indicator import BadParameter
from stdnum.se import orgnr as stdnum_orgnr

_NUMBER = re.compile(r"[0-9]{1,13}")  # ASCII digits only: str.isdigit() takes "²" too
MAX_SIZE = 1000  # Datasette's max_returned_rows, named in the OpenAPI document (plugins/dcat)
MAX_OFFSET = 10**12  # the furthest _next, named there too


ORGNR_PATTERN = r"^\d{6}-?\d{4}$"  # as the OpenAPI document declares it
_ORGNR = re.compile(r"\s*(\d{6})-?(\d{4})\s*", re.ASCII)


class NotFound(Exception):
    pass


def organisation_number(text: str, what: str) -> str:
    """NNNNNN-NNNN from ten digits with or without the hyphen; a number in that form whose check
    digit is wrong is well-formed, and is answered as not found (unknown_number), not refused."""
    match = _ORGNR.fullmatch(text)
    if not match:
        raise BadParameter(f"{what} ska vara ett organisationsnummer NNNNNN-NNNN, inte {text!r}")
    return f"{match[1]}-{match[2]}"


def unknown_number(number: str, what: str) -> NotFound:
    wrong_check_digit = not stdnum_orgnr.is_valid(number.replace("-", ""))
    return NotFound(f"{what} {number} finns inte i databasen"
                    + (" (kontrollsiffran stämmer inte: kontrollera numret)" if wrong_check_digit else ""))


async def known_buyer(database, buyer: str) -> str:
    """buyer, if the database has it; else not found."""
    if not (await database.execute("SELECT 1 FROM kopare WHERE kopare_id = ?", [buyer])).rows:
        raise unknown_number(buyer, "köparen")
    return buyer


async def common_filters(request, database) -> dict[str, str]:
    """kopare and ar, validated ('' when not given): a buyer not in the database is not found,
    rather than an empty answer that reads as a buyer without flags."""
    buyer = request.args.get("kopare", "")
    year = request.args.get("ar", "")
    if buyer:
        buyer = await known_buyer(database, organisation_number(buyer, "kopare"))
    if year and not (_NUMBER.fullmatch(year) and 1990 <= int(year) <= 2100):
        raise BadParameter(f"ar ska vara ett år mellan 1990 och 2100, inte {year!r}")
    return {"kopare": buyer, "ar": year}


def page_window(datasette, request) -> tuple[int, int]:
    """_size and _next as in Datasette: the page size (default_page_size unless given, max for
    max_returned_rows) and the offset that the previous page's next named."""
    largest = datasette.setting("max_returned_rows")
    size = request.args.get("_size") or str(datasette.setting("default_page_size"))
    size = str(largest) if size == "max" else size
    offset = request.args.get("_next") or "0"
    if not _NUMBER.fullmatch(size) or not 1 <= int(size) <= largest:
        raise BadParameter(f"_size ska vara max eller ett heltal mellan 1 och {largest}")
    if not _NUMBER.fullmatch(offset) or int(offset) > MAX_OFFSET:
        raise BadParameter(f"_next ska vara ett heltal upp till {MAX_OFFSET} (värdet av next i förra svaret)")
    return int(size), int(offset)

"""The parameters every /inkop route shares, validated: kopare, ar and the page window."""

from __future__ import annotations

import re

from openup.indicator import BadParameter
from stdnum.se import orgnr as stdnum_orgnr

_NUMBER = re.compile(r"[0-9]{1,13}")  # ASCII digits only: str.isdigit() takes "²" too
MAX_SIZE = 1000  # Datasette's max_returned_rows, named in the OpenAPI document (plugins/dcat)


def organisation_number(text: str, what: str) -> str:
    compact = text.replace("-", "").strip()
    if not (len(compact) == 10 and compact.isdigit() and stdnum_orgnr.is_valid(compact)):
        raise BadParameter(f"{what} ska vara ett organisationsnummer NNNNNN-NNNN, inte {text!r}")
    return f"{compact[:6]}-{compact[6:]}"


def common_filters(request) -> dict[str, str]:
    """kopare and ar, validated ('' when not given)."""
    buyer = request.args.get("kopare", "")
    year = request.args.get("ar", "")
    if buyer:
        buyer = organisation_number(buyer, "kopare")
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
    if not _NUMBER.fullmatch(offset) or int(offset) > 10**12:
        raise BadParameter("_next ska vara ett heltal (värdet av next i förra svaret)")
    return int(size), int(offset)

"""`openup sample`: synthetic exports in the shapes real publishers use (formats.md).

Every file is written the way its publisher writes it: separators, encodings, number and date
notations, title rows, month-only dates, a month uploaded twice, sole traders' personnummer in
clear (to be masked at load) and a few broken lines (to be rejected).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .columns import SPEC_COLUMNS
from .planted import SAMPLE_BUYERS, planted_ledger
from .synthetic import BUYERS, Buyer, Invoice, invoices, make_suppliers

# Västerås stad's rowstore API: v1.1's names, but v1.0's for the date and the amount.
_VASTERAS_COLUMNS = ("kopare_id", "kopare", "verifikationsnummer", "leverantor", "leverantor_id",
                     "konto_nr", "konto_text", "kommun_id", "bokforingsdatum", "nettobelopp")
_VASTERAS_KEYS = {"bokforingsdatum": "datum", "nettobelopp": "belopp"}


def dot_amount(ore: int) -> str:
    return f"{'-' if ore < 0 else ''}{abs(ore) // 100}.{abs(ore) % 100:02d}"


def swedish_amount(ore: int, thousands: str = " ") -> str:
    whole = f"{abs(ore) // 100:,}".replace(",", thousands)
    return f"{'-' if ore < 0 else ''}{whole},{abs(ore) % 100:02d}"


def konteringar(invoice_list: Iterator[Invoice]) -> Iterator[tuple[Invoice, str, str, int]]:
    for invoice in invoice_list:
        for konto, text, ore in invoice.lines:
            yield invoice, konto, text, ore


def v11_row(invoice: Invoice, konto: str, text: str, ore: int) -> list[str]:
    return [invoice.buyer.orgnr, invoice.buyer.name, invoice.voucher, invoice.supplier.name,
            invoice.supplier.id, konto, text, invoice.date.isoformat(), invoice.unit,
            invoice.number, dot_amount(ore), "", invoice.contract, invoice.buyer.kommun_id, ""]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, delimiter: str = ";",
              encoding: str = "utf-8", line_end: str = "\n") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


_SAVED_AT = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


def _save_reproducibly(workbook, path: Path) -> None:
    """The same bytes for the same workbook: openpyxl stamps the clock on the document's
    modified date and on the zip entries when it saves, so both are fixed afterwards."""
    workbook.properties.created = dt.datetime(2024, 1, 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as saved, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as fixed:
        for entry in saved.infolist():
            content = saved.read(entry)
            if entry.filename == "docProps/core.xml":
                content = _SAVED_AT.sub(rb"<dcterms:modified\1>2024-01-01T00:00:00Z</dcterms:modified>", content)
            fixed.writestr(zipfile.ZipInfo(entry.filename, (2024, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED)


class SampleWriter:
    """Writes one publisher's files; `share` is its part of the requested rows."""

    def __init__(self, out_dir: Path, rows: int, seed: int):
        self.out_dir, self.rows, self.rng = out_dir, rows, random.Random(seed)
        self.suppliers = make_suppliers(self.rng, max(40, rows // 150))
        self.voucher = 100_000

    def month(self, buyer: Buyer, year: int, month: int, share: float) -> list[Invoice]:
        count = max(5, int(self.rows * share / 1.3))  # 1.3 konteringar per invoice on average
        result = list(invoices(self.rng, buyer, self.suppliers, year, month, count, self.voucher))
        self.voucher += count
        return result

    def vgr(self) -> list[Path]:
        paths = []
        for month in (1, 2):
            rows = [v11_row(*k) for k in konteringar(iter(self.month(BUYERS["vgr"], 2023, month, 0.1)))]
            for row in rows[:: max(1, len(rows) // 20)]:
                row[9] = "-"  # VGR prints a dash where there is no invoice number
            rows[3][7] = "2023-02-30"  # an impossible date, to be rejected
            paths.append(write_csv(self.out_dir / f"vgr_leverantorsreskontra_2023-{month:02d}.csv",
                                   list(SPEC_COLUMNS), rows, line_end="\r"))
        return paths

    def goteborg(self) -> list[Path]:
        header = ["Förvaltning", "Leverantör", "Organisationsnummer", "Konto", "Kontotext",
                  "Verifikationsnummer", "Belopp (kr exkl moms)"]

        def rows(month: int, thousands: str) -> list[list[str]]:
            return [[i.unit, i.supplier.name, i.supplier.id, konto, text, i.voucher,
                     swedish_amount(ore, thousands)]
                    for i, konto, text, ore in konteringar(iter(self.month(BUYERS["goteborg"], 2023, month, 0.09)))]

        march = rows(3, " ")
        march[5][6] = "12,34,56"  # a broken amount, to be rejected
        return [
            write_csv(self.out_dir / "goteborg_2023-03.csv", header, march),
            # the same month uploaded again, with Windows line ends: the same rows, other bytes
            write_csv(self.out_dir / "goteborg_2023-03_publicerad_igen.csv", header, march,
                      line_end="\r\n"),
            write_csv(self.out_dir / "goteborg_2023-04.csv", header, rows(4, "\u00a0"),
                      encoding="cp1252"),
            write_csv(self.out_dir / "goteborg_2023-05.csv", header, rows(5, " "), delimiter=",",
                      encoding="utf-16"),
        ]

    def orebro(self) -> list[Path]:
        from openpyxl import Workbook

        def id_as_published(invoice: Invoice, index: int) -> str:
            roll = index % 40
            return {0: "NULL", 1: "SAKNAS", 2: "", 3: f"{invoice.supplier.id}/556036-0793"}.get(
                roll, invoice.supplier.id)

        old = Workbook()
        old.active.title = "Info"
        old.active.append(["Källa: Örebro kommun, ekonomisystemet"])
        sheet = old.create_sheet("Utbetalningar")
        sheet.append(["Leverantörsutbetalningar mars 2016"])
        sheet.append([])
        sheet.append(["RN1/FÖRVALTNING", "LEVERANTÖR", "ORGANISATIO", "FAKT NR", "KONTO", "UTFALL"])
        for index, (i, konto, text, ore) in enumerate(
                konteringar(iter(self.month(BUYERS["orebro"], 2016, 3, 0.05)))):
            number = f"{i.number}.0" if index % 3 == 0 else int(i.number)
            sheet.append([i.unit, i.supplier.name + "   ", id_as_published(i, index), number,
                          f"{konto} {text}", ore / 100])
        old_path = self.out_dir / "orebro_leverantorer_201603.xlsx"
        _save_reproducibly(old, old_path)

        new = Workbook()
        sheet = new.active
        sheet.title = "Leverantörsreskontra"
        sheet.append(["BOKFÖRINGSDATUM", "RN1/FÖRVALTNING", "LEVERANTÖR", "ORGANISATIO",
                      "FAKT NR", "KONTO", "UTFALL", None])
        for index, (i, konto, text, ore) in enumerate(
                konteringar(iter(self.month(BUYERS["orebro"], 2023, 5, 0.05)))):
            sheet.append([dt.datetime.combine(i.date, dt.time()), i.unit, i.supplier.name + "  ",
                          id_as_published(i, index), int(i.number), f"{konto} {text}", ore / 100, None])
        new_path = self.out_dir / "orebro_leverantorer_2023-05.xlsx"
        _save_reproducibly(new, new_path)
        return [old_path, new_path]

    def umea(self) -> list[Path]:
        header = ["Förvaltning", "Konto", "Kontobenämning", "Leverantör", "Organisationsnummer",
                  "Period", "Belopp", "Fakturanummer"]
        rows = []
        for month in (1, 6, 11):
            for i, konto, text, ore in konteringar(iter(self.month(BUYERS["umea"], 2023, month, 0.035))):
                name, org = (("*****", "******-****") if i.supplier.sole_trader
                             else (i.supplier.name, i.supplier.id))
                rows.append([i.unit, konto, text, name, org, f"{i.date:%Y%m}",
                             swedish_amount(ore, ""), i.number])
        return [write_csv(self.out_dir / "umea_leverantorsfakturor_2023.csv", header, rows,
                          encoding="utf-8-sig")]

    def vasteras(self) -> list[Path]:
        internal: dict[str, str] = {}
        results = []
        for i, konto, text, ore in konteringar(iter(self.month(BUYERS["vasteras"], 2023, 6, 0.1))):
            number = internal.setdefault(i.supplier.name, str(10_000 + len(internal)))
            row = dict(zip(SPEC_COLUMNS, v11_row(i, konto, text, ore)))
            row.update(leverantor_id=number, nettobelopp=swedish_amount(ore, ""))
            results.append({("\ufeff" + k if k == "kopare_id" else _VASTERAS_KEYS.get(k, k)): v
                            for k, v in row.items() if k in _VASTERAS_COLUMNS})
        path = self.out_dir / "vasteras_leverantorsreskontra_2023-06.json"
        path.write_text(json.dumps({"next": None, "results": results}, ensure_ascii=False), "utf-8")
        return [path]

    def stockholm(self) -> list[Path]:
        header = ["kopare", "kopare_text", "faktura_nr", "leverantor", "leverantor_id",
                  "forvaltning", "konto_nr", "konto_text", "belopp", "datum", "grund", "avtal",
                  "kommun_id", "verksamhet_kod", "verksamhet_text", "valuta"]
        rows = []
        for month in (9, 10):
            for i, konto, text, ore in konteringar(iter(self.month(BUYERS["stockholm"], 2023, month, 0.07))):
                rows.append([i.buyer.orgnr.replace("-", ""), i.buyer.name, i.number, i.supplier.name,
                             "" if i.supplier.sole_trader else i.supplier.id.replace("-", ""),
                             i.unit, konto, text, dot_amount(ore), f"{i.date:%Y-%m}-01", "",
                             i.contract, i.buyer.kommun_id, "1", "Verksamhet", ""])
        rows[7][-1] = "EUR"  # not in kronor: rejected
        return [write_csv(self.out_dir / "stockholm_openup_2023.csv", header, rows, delimiter=",")]

    def agresso_v10(self) -> list[Path]:
        header = ["kopare", "faktura_nr", "leverantor", "leverantor_id", "forvaltning", "konto_nr",
                  "konto_text", "belopp", "datum", "grund", "avtal", "kommun_id"]
        rows, total = [], 0
        for i, konto, text, ore in konteringar(iter(self.month(BUYERS["vgr"], 2022, 12, 0.08))):
            rows.append([i.buyer.orgnr, i.number, i.supplier.name, i.supplier.id, i.unit, konto,
                         text, swedish_amount(ore, ""), f"{i.date:%Y%m%d}", "", i.contract, ""])
            total += ore
        rows.append(["", "", "", "", "", "", "", swedish_amount(total, ""), "", "", "", ""])
        return [write_csv(self.out_dir / "vgr_agresso_2022-12.csv", header, rows)]


    def planted(self) -> list[Path]:
        """Cases every indicator must flag and near misses it must not, at two made-up buyers
        (openup.planted; scored by the patterns benchmark)."""
        return [planted_ledger(*SAMPLE_BUYERS).write(self.out_dir / "planterade_fall_2021-2023.csv")]


def write_samples(out_dir: Path, rows: int, seed: int) -> list[Path]:
    """Write every publisher's files to out_dir; the same seed gives the same bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = SampleWriter(out_dir, rows, seed)
    shapes: list[Callable[[], list[Path]]] = [writer.vgr, writer.goteborg, writer.orebro,
                                              writer.umea, writer.vasteras, writer.stockholm,
                                              writer.agresso_v10, writer.planted]
    return [path for shape in shapes for path in shape()]

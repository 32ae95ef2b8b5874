"""`openup validate`: the load's reading and checks as a report a publisher can act on."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import polars as pl

from .advice import SHARES, count_of_rows, recommendations
from .columns import MANDATORY_COLUMNS, PUBLISHED_COLUMNS, SPEC_COLUMNS, shown
from .errors import FileRefused
from .export import published_csv_writer
from .periods import periods
from .profiles import Profile
from .reading import DEFAULT_MAX_REJECTED_SHARE, LedgerReading, ReadOptions, Tally, read_ledger
from .identifiers import ORGANISATIONSNUMMER
from .records import SEK, Batch
from .values import DAY


@dataclass
class ValidationReport:
    path: Path
    reading: LedgerReading | None = None
    tally: Tally = field(default_factory=Tally)
    refusal: str | None = None
    months: Counter = field(default_factory=Counter)  # YYYY-MM -> rows that would load
    carried: Counter = field(default_factory=Counter)  # advice.SHARES key -> rows that have it

    def add(self, rows: Batch) -> None:
        """Count what the advice looks at in rows that would load."""
        frame = rows.frame
        self.months.update(dict(frame.group_by(pl.col("bokforingsdatum").str.slice(0, 7)).len().iter_rows()))
        filled = {key: (pl.col(key.removeprefix("med_")).fill_null("") != "").sum()
                  for key in SHARES if key.startswith("med_")}  # rows in which the column is filled in
        self.carried.update(frame.select(
            **filled, organisationsnummer=(pl.col("leverantor_id_typ") == ORGANISATIONSNUMMER).sum(),
            dagsdatum=(pl.col("datum_precision") == DAY).sum()).row(0, named=True))

    @property
    def missing_months(self) -> list[str]:
        """The months without rows between the file's first and last (a file of one month
        lacks none: publishers publish a file a month)."""
        if not self.months:
            return []
        return [month for month in periods(min(self.months), max(self.months)) if month not in self.months]

    @property
    def recommendations(self) -> list[str]:
        """The quality page's advice, for this file, then what the columns and warnings call for."""
        advice = []
        if self.reading is not None and self.reading.missing_columns:
            advice.append("Lägg till de obligatoriska kolumnerna " + ", ".join(self.reading.missing_columns) + ".")
        if self.supplied_columns:
            advice.append("Lägg till de obligatoriska kolumnerna " + ", ".join(self.supplied_columns) + " i filen. "
                          "Open Up känner till dem för den här utgivaren (ur dess layout eller filnamnet), "
                          "men den som läser filen på egen hand gör det inte.")
        if self.reading is not None and self.reading.unknown_columns:
            advice.append("Byt namn på eller ta bort kolumnerna " + ", ".join(self.reading.unknown_columns)
                          + ": specifikationen har inga kolumner med de namnen.")
        if self.tally.loaded:
            shares = {key: 100.0 * self.carried[key] / self.tally.loaded for key in SHARES}
            advice += recommendations(shares, self.missing_months, self.tally.rejected - self.tally.not_in_kronor,
                                      "exemplen i rapporten")
        if self.tally.masked:
            advice.append(f"Publicera inga personnummer: {count_of_rows(self.tally.masked)} har ett, som maskeras. "
                          "En enskild näringsidkares organisationsnummer är personens personnummer.")
        return advice + [f"Rätta: {warning}." for warning in self.warnings]

    @property
    def supplied_columns(self) -> list[str]:
        """The mandatory columns the file lacks but the loader knows (the buyer from the layout,
        the month from the file name)."""
        if self.reading is None:
            return []
        positions = self.reading.recognised.columns.positions
        return [c for c in MANDATORY_COLUMNS if c not in positions and c not in self.reading.missing_columns]

    @property
    def spec_columns(self) -> list[dict]:
        """Each of the specification's columns: mandatory or not, and the file's column for it."""
        columns = self.reading.recognised.columns if self.reading is not None else None
        return [{"kolumn": name, "obligatorisk": name in MANDATORY_COLUMNS,
                 "filens_kolumn": shown(columns.header[columns.positions[name]])
                 if columns is not None and name in columns.positions else None}
                for name in SPEC_COLUMNS]

    @property
    def acceptable(self) -> bool:
        return self.refusal is None

    def as_dict(self) -> dict:
        report: dict = {"fil": str(self.path), "godtagbar": self.acceptable, "vagran": self.refusal}
        if self.reading is not None:
            source, columns = self.reading.source, self.reading.recognised.columns
            report.update({
                "format": source.format,
                "teckenkodning": source.encoding,
                "tabell": self.reading.recognised.candidate.label,
                "rubrikrad": self.reading.recognised.header_location,
                "profil": self.reading.profile.name,
                "kolumner": {target: shown(columns.header[i]) for target, i in columns.positions.items()},
                "okanda_kolumner": self.reading.unknown_columns,
                "saknade_obligatoriska_kolumner": self.reading.missing_columns,
                "period": self.reading.context.period,
                "felaktiga_kopare_id": self.reading.bad_buyer_ids,
            })
        report.update({
            "rader_lasta": self.tally.read,
            "rader_som_skulle_lasas_in": self.tally.loaded,
            "rader_som_skulle_avvisas": self.tally.rejected,
            "tomma_rader": self.tally.empty,
            "rader_som_skulle_maskeras": self.tally.masked,
            "valutor": self.currencies,
            "varningar": self.warnings,
            "avvisningsorsaker": [{"kolumn": c, "orsak": r, "antal": n}
                                  for (c, r), n in self.tally.reasons.most_common()],
            "exempel": [{"rad": e.line, "plats": str(e.where), "kolumn": e.column, "orsak": e.reason}
                        for e in self.tally.examples],
            "specifikationens_kolumner": self.spec_columns,
            "manader": [{"manad": month, "rader": rows} for month, rows in sorted(self.months.items())],
            "saknade_manader": self.missing_months,
            "rekommendationer": self.recommendations,
        })
        return report

    @property
    def currencies(self) -> list[dict]:
        """Rows and sum per currency, kronor first; only kronor are loaded."""
        totals = self.tally.currencies
        names = sorted({c for c, _ in totals}, key=lambda c: (c != SEK, c))
        return [{"valuta": c, "rader": totals[c, "rader"], "summa": totals[c, "ore"] / 100,
                 "lases_in": c == SEK} for c in names]

    @property
    def warnings(self) -> list[str]:
        """What a publisher should fix although the rows load."""
        found = []
        others = [c for c in self.currencies if not c["lases_in"]]
        if others:
            found.append("rader i annan valuta än kronor avvisas och räknas inte in i några summor: "
                         + ", ".join(f"{c['valuta']} {c['rader']} rader ({c['summa']:.2f})" for c in others))
        if self.tally.credits_positive:
            found.append(f"{self.tally.credits_positive} kreditfakturor har positivt belopp: "
                         "en kreditfaktura ska ha negativt nettobelopp")
        for bad in self.reading.bad_buyer_ids if self.reading else ():
            fix = (f"registret anger {bad['registrets_kopare_id']} för {bad['kopare']}, raderna läses in under det"
                   if bad["registrets_kopare_id"] else "raderna avvisas")
            found.append(f"köparens organisationsnummer {bad['kopare_id']} har fel kontrollsiffra "
                         f"({bad['rader']} rader): {fix}")
        if self.tally.empty:
            found.append(f"{self.tally.empty} rader innehåller bara avgränsare eller blanksteg")
        return found

    def as_text(self) -> str:
        data = self.as_dict()
        lines = [f"{self.path}: {'godtagbar' if self.acceptable else 'VÄGRAS'}"]
        if self.refusal:
            lines.append(f"  {self.refusal}")
        if self.reading is not None:
            lines += [
                f"  format {data['format']}, teckenkodning {data['teckenkodning']}, "
                f"tabell {data['tabell']!r}, rubrikrad {data['rubrikrad']}",
                f"  profil {data['profil']}: "
                + ", ".join(f"{h} → {t}" for t, h in data["kolumner"].items()),
            ]
            if data["okanda_kolumner"]:
                lines.append(f"  okända kolumner (läses inte in): {', '.join(data['okanda_kolumner'])}")
            if data["saknade_obligatoriska_kolumner"]:
                lines.append("  obligatoriska kolumner som saknas: "
                             + ", ".join(data["saknade_obligatoriska_kolumner"]))
        lines.append(f"  rader: {self.tally.read} lästa, {self.tally.loaded} skulle läsas in, "
                     f"{self.tally.rejected} skulle avvisas, {self.tally.empty} tomma, "
                     f"{self.tally.masked} skulle maskeras")
        lines += [f"  valuta {c['valuta']}: {c['rader']} rader, summa {c['summa']:.2f}"
                  + ("" if c["lases_in"] else " (avvisas)") for c in data["valutor"]]
        lines += [f"  varning: {w}" for w in data["varningar"]]
        for item in data["avvisningsorsaker"]:
            lines.append(f"  avvisas {item['antal']} gånger: {item['kolumn'] or 'raden'}: {item['orsak']}")
        for example in self.tally.examples[:10]:
            lines.append(f"    {example.where}: {example.reason}")
        if self.months:
            lines.append(f"  månader: {min(self.months)} till {max(self.months)}"
                         + (f", {len(self.missing_months)} saknas" if self.missing_months else ""))
        lines += [f"  rekommendation: {advice}" for advice in self.recommendations]
        return "\n".join(lines)


def validate_file(path: Path, profiles: dict[str, Profile], options: ReadOptions,
                  max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE,
                  converted: TextIO | None = None) -> ValidationReport:
    """The report on path; with converted, the rows that would load are written there as CSV in
    the specification's columns (personal numbers masked)."""
    report = ValidationReport(path)
    writer = published_csv_writer(converted) if converted is not None else None
    try:
        report.reading = read_ledger(path, profiles, options)
        for batch in report.reading.batches():
            report.tally.count(batch)
            report.add(batch.rows)
            if writer is not None:
                writer.writerows(batch.rows.frame.select(PUBLISHED_COLUMNS).iter_rows())
        refusal = report.tally.refusal(path, max_rejected_share)
        report.refusal = str(refusal) if refusal else None
    except FileRefused as refused:
        report.refusal = str(refused)
    return report

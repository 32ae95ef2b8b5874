"""`openup validate`: the load's reading and checks as a report a publisher can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import FileRefused
from .profiles import Profile
from .reading import DEFAULT_MAX_REJECTED_SHARE, LedgerReading, ReadOptions, Tally, read_ledger


@dataclass
class ValidationReport:
    path: Path
    reading: LedgerReading | None = None
    tally: Tally = field(default_factory=Tally)
    refusal: str | None = None

    @property
    def acceptable(self) -> bool:
        return self.refusal is None

    def as_dict(self) -> dict:
        report: dict = {"fil": str(self.path), "godtagbar": self.acceptable, "vagran": self.refusal}
        if self.reading is not None:
            source, match = self.reading.source, self.reading.recognised.match
            report.update({
                "format": source.format,
                "teckenkodning": source.encoding,
                "tabell": self.reading.recognised.candidate.label,
                "rubrikrad": self.reading.recognised.header_location,
                "profil": match.profile.name,
                "kolumner": {target: match.header[i].strip() for target, i in match.positions.items()},
                "okanda_kolumner": self.reading.unknown_columns,
                "saknade_obligatoriska_kolumner": self.reading.missing_columns,
                "period": self.reading.context.period,
            })
        report.update({
            "rader_lasta": self.tally.read,
            "rader_som_skulle_lasas_in": self.tally.loaded,
            "rader_som_skulle_avvisas": self.tally.rejected,
            "rader_som_skulle_maskeras": self.tally.masked,
            "avvisningsorsaker": [{"kolumn": c, "orsak": r, "antal": n}
                                  for (c, r), n in self.tally.reasons.most_common()],
            "exempel": [{"rad": e.line, "plats": str(e.where), "kolumn": e.column, "orsak": e.reason}
                        for e in self.tally.examples],
        })
        return report

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
                     f"{self.tally.rejected} skulle avvisas, {self.tally.masked} skulle maskeras")
        for item in data["avvisningsorsaker"]:
            lines.append(f"  avvisas {item['antal']} gånger: {item['kolumn'] or 'raden'}: {item['orsak']}")
        for example in self.tally.examples[:10]:
            lines.append(f"    {example.where}: {example.reason}")
        return "\n".join(lines)


def validate_file(path: Path, profiles: dict[str, Profile], options: ReadOptions,
                  max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE) -> ValidationReport:
    report = ValidationReport(path)
    try:
        report.reading = read_ledger(path, profiles, options)
        for batch in report.reading.batches():
            report.tally.count(batch)
        refusal = report.tally.refusal(path, max_rejected_share)
        report.refusal = str(refusal) if refusal else None
    except FileRefused as refused:
        report.refusal = str(refused)
    return report

"""What a publisher should do about its ledger: one recommendation per shortcoming, in the words
the quality page (/inkop/kvalitet, from loaded data) and the validator (/validera, from a file not
yet published) both use. Each cites the national specification where the page shows it."""

from __future__ import annotations

from .periods import month_ranges

# Shares in percent of the rows: the columns a row carries, and its kind of supplier id and date.
SHARES = ("med_verifikationsnummer", "organisationsnummer", "med_fakturanummer", "dagsdatum", "med_avtal",
          "med_konto_text", "med_konto_nr")


def count_of_rows(count: int) -> str:
    """'1 rad', '2 rader'."""
    return f"{count} rad" if count == 1 else f"{count} rader"


def recommendations(shares: dict[str, float], missing_months: list[str], rejected: int,
                    rejections_listed_in: str = "tabellen avvisade_rader") -> list[str]:
    """shares: percent of rows per SHARES key; missing_months (YYYY-MM) of the years with data;
    rejected: lines that could not be read, whose line and reason are listed where the reader
    finds them."""
    advice = []
    if shares["med_verifikationsnummer"] < 99:
        advice.append("Publicera verifikationsnummer på varje rad: det är vad medborgare anger när de "
                      "begär ut en faktura.")
    if shares["organisationsnummer"] < 90:
        advice.append("Ange leverantörens organisationsnummer (NNNNNN-NNNN) i kolumnen leverantor_id, "
                      "inte interna leverantörsnummer.")
    if shares["med_fakturanummer"] < 99:
        advice.append("Ange leverantörens fakturanummer på varje rad: utan det går det inte att se vilka "
                      "rader som hör till samma faktura, eller om en faktura betalats två gånger.")
    if shares["dagsdatum"] < 99:
        advice.append("Publicera bokföringsdatum på dagen (ÅÅÅÅ-MM-DD), inte bara månaden.")
    if shares["med_avtal"] < 10:
        advice.append("Fyll i avtalskolumnen: utan den går det inte att se vilka köp som gjorts på avtal.")
    if shares["med_konto_text"] < 99 or shares["med_konto_nr"] < 99:
        advice.append("Ange både kontonummer och kontots benämning på varje rad.")
    if missing_months:
        advice.append(f"Publicera varje månad: {len(missing_months)} månader saknas "
                      f"({month_ranges(missing_months)}), så summor över de åren täcker inte hela året.")
    if rejected:
        advice.append(f"{count_of_rows(rejected)} kunde inte läsas: se {rejections_listed_in} för rad och orsak.")
    return advice

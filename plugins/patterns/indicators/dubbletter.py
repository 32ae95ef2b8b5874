from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR, SOLE_TRADERS

INDICATOR = Indicator(
    slug="dubbletter",
    title="Möjliga dubbelbetalningar",
    flags="Samma leverantör, samma belopp och samma datum mer än en gång hos samma köpare, eller "
          "samma fakturanummer betalt i flera filer.",
    method="Fakturor (konteringsrader summerade per faktura) grupperas på köpare, leverantör, "
           "belopp och datum. Flagga grupper med fler än en faktura. Dessutom flaggas ett "
           "fakturanummer som förekommer i mer än en inläst fil.",
    example="Två fakturor på 48 312,50 kr från samma leverantör samma dag, med fakturanummer "
            "10234 och 10234-1.",
    why="Dubbla betalningar är ett vanligt fel och ett känt bedrägerimönster i "
        "leverantörsreskontran.",
    source="Granskningspraxis för leverantörsreskontra; IACRC.",
    output="En rad per grupp: antal, belopp, datum och fakturanumren.",
    caveats="Återkommande avgifter med samma belopp samma dag (till exempel flera likadana "
            "abonnemang) är inte fel. Belopp 0 ingår inte.",
    parameters=(Parameter("min_belopp", 1000, "Lägsta belopp som räknas, kr", 0, 1e9),),
    rows_behind="invoice",
    sql=f"""
SELECT f.kopare_id, f.leverantor_nyckel AS leverantor_id, f.ar, f.bokforingsdatum, f.summa,
       count(*) AS fakturor, group_concat(f.fakturanyckel, ', ') AS fakturanummer,
       'samma belopp och datum' AS typ
FROM fakturor f
WHERE {BUYER_YEAR.format(t="f")} AND abs(f.summa) >= :min_belopp
  AND f.leverantor_nyckel <> {SOLE_TRADERS}
GROUP BY f.kopare_id, f.leverantor_nyckel, f.summa, f.bokforingsdatum
HAVING count(*) > 1
UNION ALL
SELECT f.kopare_id, f.leverantor_nyckel, min(f.ar), min(f.bokforingsdatum), round(sum(f.summa), 2),
       count(DISTINCT f.kallfil_id), f.fakturanyckel, 'samma fakturanummer i flera filer'
FROM fakturor f
WHERE {BUYER_YEAR.format(t="f")} AND abs(f.summa) >= :min_belopp
  AND f.fakturanyckel NOT LIKE 'rad:%' AND f.leverantor_nyckel <> {SOLE_TRADERS}
GROUP BY f.kopare_id, f.leverantor_nyckel, f.fakturanyckel
HAVING count(DISTINCT f.kallfil_id) > 1
ORDER BY 5 DESC""",
)

from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR, SOLE_TRADERS

INDICATOR = Indicator(
    slug="dubbletter",
    title="Möjliga dubbelbetalningar",
    flags="Samma leverantör, samma belopp och samma dag mer än en gång hos samma köpare, eller "
          "samma fakturanummer bokfört under flera verifikationer (eller i flera filer).",
    method="En faktura är köpare, leverantör, fakturanummer och verifikationsnummer, oavsett "
           "radernas ordning i filen; en faktura konterad på flera konton är en faktura. Flagga (1) "
           "fakturor med samma köpare, leverantör, belopp och bokföringsdag, med olika eller inga "
           "fakturanummer, och (2) ett fakturanummer som bokförts som mer än en faktura.",
    example="Fakturanummer 10234 från samma leverantör bokfört två gånger, under verifikation "
            "5001 och 5377, på 48 312,50 kr var.",
    why="Dubbla betalningar är ett vanligt fel och ett känt bedrägerimönster i "
        "leverantörsreskontran.",
    source="Granskningspraxis för leverantörsreskontra; IACRC.",
    output="En rad per grupp: antal fakturor, deras summa, beloppet per faktura, datum, "
           "fakturanumren och verifikationsnumren.",
    caveats="Återkommande avgifter med samma belopp samma dag (till exempel flera likadana "
            "abonnemang) är inte fel. Rader med bara månad som datum jämförs inte per dag, och "
            "maskerade fakturanummer ([personnummer]) jämförs aldrig med varandra. Belopp under "
            "min_belopp ingår inte.",
    parameters=(Parameter("min_belopp", 1000, "Lägsta belopp som räknas, kr", 0, 1e9),),
    rows_behind="invoice",
    lists=("fakturanummer", "verifikationsnummer"),
    # Each half first finds, from an index alone, the few groups that can hold a duplicate (equal
    # amounts in a buyer's year; an invoice number seen twice) and reads only their invoices.
    sql=f"""
WITH samma_belopp AS (
  SELECT kopare_id, ar, summa FROM fakturor f
  WHERE {BUYER_YEAR.format(t="f")} AND abs(f.summa) >= :min_belopp
  GROUP BY kopare_id, ar, summa HAVING count(*) > 1),
samma_nummer AS (
  SELECT kopare_id, leverantor_nyckel, fakturanummer FROM fakturor f
  WHERE {BUYER_YEAR.format(t="f")} AND f.fakturanummer <> ''
  GROUP BY kopare_id, leverantor_nyckel, fakturanummer HAVING count(*) > 1)
SELECT f.kopare_id, f.leverantor_nyckel AS leverantor_id, f.ar, f.bokforingsdatum,
       round(sum(f.summa), 2) AS summa, f.summa AS belopp, count(*) AS fakturor,
       json_group_array(f.fakturanummer) AS fakturanummer,
       json_group_array(f.verifikationsnummer) AS verifikationsnummer,
       'samma belopp och dag' AS typ
FROM samma_belopp c JOIN fakturor f ON f.kopare_id = c.kopare_id AND f.ar = c.ar AND f.summa = c.summa
WHERE f.datum_precision = 'dag' AND f.leverantor_nyckel <> {SOLE_TRADERS}
GROUP BY f.kopare_id, f.leverantor_nyckel, f.summa, f.bokforingsdatum
HAVING count(*) > 1 AND NOT (count(DISTINCT f.fakturanummer) = 1 AND max(f.fakturanummer) <> '')
UNION ALL
SELECT f.kopare_id, f.leverantor_nyckel, min(f.ar), min(f.bokforingsdatum), round(sum(f.summa), 2),
       max(f.summa), count(*), json_group_array(f.fakturanummer),
       json_group_array(f.verifikationsnummer), 'samma fakturanummer bokfört flera gånger'
FROM samma_nummer c JOIN fakturor f ON f.kopare_id = c.kopare_id
  AND f.leverantor_nyckel = c.leverantor_nyckel AND f.fakturanummer = c.fakturanummer
WHERE {BUYER_YEAR.format(t="f")} AND abs(f.summa) >= :min_belopp
  AND f.fakturanummer NOT LIKE '%[personnummer]%' AND f.leverantor_nyckel <> {SOLE_TRADERS}
GROUP BY f.kopare_id, f.leverantor_nyckel, f.fakturanummer
HAVING count(*) > 1
ORDER BY 5 DESC""",
)

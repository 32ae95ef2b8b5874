from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR, LIMIT_ON_DATE, SOLE_TRADERS

INDICATOR = Indicator(
    slug="delade-fakturor",
    title="Fakturor strax under gränsen, tätt efter varandra",
    flags="Minst två fakturor från samma leverantör till samma köpare inom ett tidsfönster, var "
          "och en strax under direktupphandlingsgränsen, som tillsammans når över den.",
    method="Fakturor är konteringsrader summerade per köpare, leverantör, fakturanummer och datum. "
           "För varje faktura med belopp i [θ(1−w), θ), där θ är gränsen på fakturadagen, räknas "
           "de fakturor i samma intervall som följer inom fönstret. Flagga när de är minst två och "
           "summan är minst θ.",
    example="Tre fakturor på 680 000, 690 000 och 695 000 kr från samma leverantör inom 20 dagar: "
            "varje faktura under 700 000 kr men tillsammans långt över.",
    why="Att dela upp ett köp i flera fakturor är ett sätt att hålla sig under gränsen och slippa "
        "annonsera.",
    source="OCP red flag R011; IACRC, split purchases.",
    output="En rad per första faktura i en grupp: antal fakturor i fönstret, deras summa, första "
           "och sista datum, fakturanummer och verifikationsnummer.",
    caveats="Fakturor med bara månad som datum jämförs med den 1:a i månaden. Återkommande "
            "leveranser (till exempel månadshyror) kan ge samma mönster helt korrekt.",
    parameters=(
        Parameter("andel", 5, "w: hur nära under gränsen, i procent", 0.1, 50),
        Parameter("fonster", 30, "Tidsfönster i dagar", 1, 366),
        Parameter("lag", "LOU", "Lagen vars gräns gäller", choices=("LOU", "LUF", "LUK")),
    ),
    rows_behind="invoice",
    lists=("fakturanummer", "verifikationsnummer"),
    sql=f"""
WITH nara AS (
  SELECT f.kopare_id, f.leverantor_nyckel, f.fakturanyckel, f.fakturanummer, f.verifikationsnummer,
         f.bokforingsdatum, f.ar, f.summa,
         {LIMIT_ON_DATE.format(date="f.bokforingsdatum")} AS grans
  FROM fakturor f
  WHERE {BUYER_YEAR.format(t="f")} AND f.leverantor_nyckel <> {SOLE_TRADERS}
    AND f.summa >= (SELECT min(grans) FROM direktupphandlingsgranser WHERE lag = :lag) * (1 - :andel / 100.0)
)
SELECT a.kopare_id, a.leverantor_nyckel AS leverantor_id, a.ar, a.bokforingsdatum,
       max(b.bokforingsdatum) AS sista_datum, a.grans, count(*) AS fakturor, round(sum(b.summa), 2) AS summa,
       json_group_array(b.fakturanummer) AS fakturanummer,
       json_group_array(b.verifikationsnummer) AS verifikationsnummer
FROM nara a JOIN nara b ON b.kopare_id = a.kopare_id AND b.leverantor_nyckel = a.leverantor_nyckel
  AND b.bokforingsdatum >= a.bokforingsdatum
  AND julianday(b.bokforingsdatum) - julianday(a.bokforingsdatum) <= :fonster
  AND b.summa >= b.grans * (1 - :andel / 100.0) AND b.summa < b.grans
WHERE a.summa >= a.grans * (1 - :andel / 100.0) AND a.summa < a.grans
GROUP BY a.kopare_id, a.leverantor_nyckel, a.fakturanyckel, a.bokforingsdatum
HAVING count(*) >= 2 AND sum(b.summa) >= a.grans
ORDER BY summa DESC""",
)

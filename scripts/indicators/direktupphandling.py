from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR, LIMIT_IN_YEAR, SOLE_TRADERS

# A buyer that gives no contract on any row of a year cannot show that a purchase had one.
NO_CONTRACTS = f"""
SELECT q.kopare_id, k.kopare, q.ar, 'ingen rad under året anger avtal' AS skal
FROM kopare_kvalitet q JOIN kopare k ON k.kopare_id = q.kopare_id
WHERE {BUYER_YEAR.format(t="q")} AND q.med_avtal = 0
ORDER BY k.kopare, q.ar"""

INDICATOR = Indicator(
    slug="direktupphandling",
    title="Köp över direktupphandlingsgränsen utan avtal",
    flags="En köpare betalade en leverantör mer än direktupphandlingsgränsen under ett kalenderår, "
          "och ingen rad mellan dem anger något avtal.",
    method="Summera nettobeloppen per köpare, leverantör och år: S(b,s,y). Flagga när S(b,s,y) är "
           "större än den högsta gräns som gällde under året för vald lag och ingen rad mellan "
           "köparen och leverantören, något år, har en avtalsreferens. En köpare som inte anger avtal "
           "på någon rad under året går inte att bedöma det året: den flaggas inte utan listas "
           "som ej bedömd.",
    example="En kommun som anger avtal på sina andra köp betalar en konsultfirma 820 000 kr under "
            "2023, och avtalskolumnen är tom på alla rader till firman: över gränsen 700 000 kr "
            "enligt LOU, flaggas.",
    why="Inköp över gränsen ska normalt annonseras. Utan avtal kan det vara en otillåten "
        "direktupphandling.",
    source="ProZorro sas24-3-14, OCP red flag R055; direktupphandlingsgränser från "
           "Upphandlingsmyndigheten (tabellen direktupphandlingsgranser).",
    output="En rad per köpare, leverantör och år: summa, gräns, antal rader.",
    caveats="Sedan 2022-02-01 beräknas värdet enligt 5 kap. LOU (återkommande behov under tolv "
            "månader), så kalenderår per köpare och leverantör är ett filter, inte den rättsliga "
            "prövningen. Avtalskolumnen är ofta tom även när ett avtal finns, och ramavtal via "
            "inköpscentraler syns inte. Enskilda näringsidkare är sammanslagna och ingår inte.",
    parameters=(Parameter("lag", "LOU", "Lagen vars gräns gäller", choices=("LOU", "LUF", "LUK")),),
    sql=f"""
WITH per_ar AS (
  SELECT t.kopare_id, t.leverantor_nyckel, t.ar, max(t.leverantor) AS leverantor,
         round(sum(t.summa), 2) AS summa, sum(t.rader) AS rader
  FROM kopare_leverantor_manad t
  WHERE {BUYER_YEAR.format(t="t")} AND t.leverantor_nyckel <> {SOLE_TRADERS}
  GROUP BY t.kopare_id, t.leverantor_nyckel, t.ar
)
SELECT p.kopare_id, p.leverantor_nyckel AS leverantor_id, p.leverantor, p.ar, p.summa,
       {LIMIT_IN_YEAR.format(year="p.ar")} AS grans, p.rader
FROM per_ar p
WHERE p.summa > {LIMIT_IN_YEAR.format(year="p.ar")}
  AND NOT EXISTS (SELECT 1 FROM kopare_leverantor_manad a WHERE a.kopare_id = p.kopare_id
                  AND a.leverantor_nyckel = p.leverantor_nyckel AND a.rader_med_avtal > 0)
  AND (p.kopare_id, p.ar) NOT IN (SELECT kopare_id, ar FROM ({NO_CONTRACTS}))
ORDER BY p.summa DESC""",
    not_assessed=NO_CONTRACTS,
)

from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR, SOLE_TRADERS

INDICATOR = Indicator(
    slug="jamna-belopp",
    title="Ovanligt många jämna belopp",
    flags="En leverantörs fakturor till en köpare är oftare jämna tusental än köparens fakturor i "
          "allmänhet.",
    method="Andelen av leverantörens fakturor under året med belopp delbart med 1 000 kr, mot "
           "samma andel för alla köparens fakturor. Flagga när leverantörens andel är minst "
           "faktor gånger köparens och leverantören har minst min_fakturor fakturor.",
    example="8 av 10 fakturor från en konsult är på exakt 50 000 eller 100 000 kr, när köparens "
            "fakturor i övrigt är jämna i 5 % av fallen.",
    why="Uppskattade eller påhittade fakturor har oftare jämna belopp än verkliga kostnader.",
    source="IACRC; granskningspraxis.",
    output="En rad per köpare, leverantör och år: leverantörens andel, köparens andel, antal.",
    caveats="Fasta arvoden, hyror och bidrag är ofta jämna belopp helt i sin ordning.",
    parameters=(Parameter("faktor", 3, "Hur många gånger köparens andel", 1, 1000),
                Parameter("min_fakturor", 5, "Minsta antal fakturor från leverantören", 1, 1e6)),
    ranked_by="andel_jamna",
    sql=f"""
WITH lev AS (
  SELECT f.kopare_id, f.ar, f.leverantor_nyckel, count(*) AS fakturor,
         sum(f.summa <> 0 AND f.summa % 1000 = 0) AS jamna, round(sum(f.summa), 2) AS summa
  FROM fakturor f WHERE {BUYER_YEAR.format(t="f")} AND f.leverantor_nyckel <> {SOLE_TRADERS}
  GROUP BY f.kopare_id, f.ar, f.leverantor_nyckel
), bas AS (
  SELECT kopare_id, ar, 1.0 * sum(jamna) / sum(fakturor) AS andel FROM lev GROUP BY 1, 2
)
SELECT lev.kopare_id, lev.leverantor_nyckel AS leverantor_id, lev.ar, lev.fakturor, lev.jamna,
       round(100.0 * lev.jamna / lev.fakturor, 1) AS andel_jamna,
       round(100.0 * bas.andel, 1) AS kopare_andel_jamna, lev.summa
FROM lev JOIN bas USING (kopare_id, ar)
WHERE lev.fakturor >= :min_fakturor AND lev.jamna > 0
  AND 1.0 * lev.jamna / lev.fakturor >= :faktor * bas.andel
ORDER BY andel_jamna DESC, lev.summa DESC""",
)

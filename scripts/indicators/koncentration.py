from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR

INDICATOR = Indicator(
    slug="koncentration",
    title="Koncentration till få leverantörer",
    flags="En köpares utgifter ett år går till få leverantörer: högt HHI eller en stor andel till "
          "den största leverantören.",
    method="T(b,y) är köparens totala utgifter under året. HHI = Σ (100·S(b,s,y)/T(b,y))², från 0 "
           "till 10 000. Flagga när HHI är minst gränsen (standard 1 800, hög koncentration enligt "
           "2023 års riktlinjer för företagskoncentrationer) eller när den största leverantörens "
           "andel är minst andel_topp procent.",
    example="En region där en leverantör står för 45 % av årets utgifter och tre till för 10 % "
            "vardera: HHI = 2 025 + 3·100 + … ≥ 1 800, flaggas.",
    why="Stort beroende av en leverantör kan betyda svag konkurrens eller inlåsning.",
    source="DIGIWHIST (winner share), OCP R040 och R051; U.S. DOJ/FTC Merger Guidelines 2023.",
    output="En rad per köpare och år: HHI, största leverantören och dess andel.",
    caveats="Negativa summor (krediter) räknas med. Köpare med få leverantörer i datat, eller med "
            "bara några månader, får högt HHI av naturliga skäl.",
    parameters=(Parameter("hhi", 1800, "HHI-gräns", 0, 10000),
                Parameter("andel_topp", 40, "Största leverantörens andel, procent", 0, 100)),
    rows_behind="buyer_year",
    ranked_by="hhi",
    sql=f"""
WITH s AS (
  SELECT t.kopare_id, t.ar, t.leverantor_nyckel, max(t.leverantor) AS leverantor, sum(t.summa) AS summa
  FROM kopare_leverantor_manad t WHERE {BUYER_YEAR.format(t="t")}
  GROUP BY t.kopare_id, t.ar, t.leverantor_nyckel HAVING sum(t.summa) > 0
), tot AS (SELECT kopare_id, ar, sum(summa) AS total, count(*) AS leverantorer FROM s GROUP BY 1, 2),
andelar AS (
  SELECT s.*, tot.total, tot.leverantorer, 100.0 * s.summa / tot.total AS andel
  FROM s JOIN tot USING (kopare_id, ar)
)
SELECT kopare_id, ar, round(sum(andel * andel)) AS hhi, max(leverantorer) AS leverantorer,
       round(max(total), 2) AS summa, round(max(andel), 1) AS andel_topp,
       (SELECT a2.leverantor_nyckel FROM andelar a2 WHERE a2.kopare_id = a.kopare_id AND a2.ar = a.ar
        ORDER BY a2.andel DESC LIMIT 1) AS leverantor_id
FROM andelar a GROUP BY kopare_id, ar
HAVING hhi >= :hhi OR andel_topp >= :andel_topp
ORDER BY hhi DESC""",
)

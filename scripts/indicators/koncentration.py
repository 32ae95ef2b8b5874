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
    # From the yearly totals, a buyer's year at a time in the order of their index: neither the
    # shares nor the largest supplier need the totals of every buyer held at once (143 MiB at 10M rows).
    sql=f"""
WITH andelar AS (
  SELECT t.kopare_id, t.ar, 100.0 * t.summa / sum(t.summa) OVER w AS andel,
         sum(t.summa) OVER w AS total, count(*) OVER w AS leverantorer
  FROM kopare_leverantor_ar t WHERE {BUYER_YEAR.format(t="t")} AND t.summa > 0
  WINDOW w AS (PARTITION BY t.kopare_id, t.ar)
)
SELECT kopare_id, ar, round(sum(andel * andel)) AS hhi, max(leverantorer) AS leverantorer,
       round(max(total), 2) AS summa, round(max(andel), 1) AS andel_topp,
       (SELECT s.leverantor_nyckel FROM kopare_leverantor_ar s WHERE s.kopare_id = a.kopare_id AND s.ar = a.ar
        ORDER BY s.summa DESC, s.leverantor_nyckel LIMIT 1) AS leverantor_id
FROM andelar a GROUP BY kopare_id, ar
HAVING hhi >= :hhi OR andel_topp >= :andel_topp
ORDER BY hhi DESC""",
)

from ..indicator import Indicator, Parameter
from .common import SOLE_TRADERS

INDICATOR = Indicator(
    slug="en-kopare",
    title="Leverantörer med en enda köpare",
    flags="En leverantör med organisationsnummer som fått mycket pengar men bara av en köpare i "
          "databasen.",
    method="För varje leverantör: antal köpare och total summa över alla år. Flagga när antalet "
           "köpare är ett och summan är minst gränsen. Filtret ar begränsar till ett år.",
    example="Ett aktiebolag som fått 3 mkr, allt från samma kommun.",
    why="En leverantör som lever på en enda offentlig köpare kan vara ett skalbolag eller ha en "
        "otillbörlig koppling till köparen.",
    source="DoZorro (Transparency International Ukraina).",
    output="En rad per leverantör: köparen, summa, antal rader, första och sista år.",
    caveats="Visar bara köparna som finns i databasen: leverantören kan ha andra kunder. Lokala "
            "leverantörer till en kommun är ofta helt naturliga.",
    parameters=(Parameter("min_summa", 1_000_000, "Lägsta totala summa, kr", 0, 1e12),),
    rows_behind="supplier",
    yearly=False,
    per_buyer=False,  # a second buyer of the supplier takes the hit away
    sql=f"""
SELECT min(t.kopare_id) AS kopare_id, t.leverantor_nyckel AS leverantor_id,
       max(t.leverantor) AS leverantor, round(sum(t.summa), 2) AS summa, sum(t.rader) AS rader,
       min(t.ar) AS forsta_ar, max(t.ar) AS sista_ar
FROM kopare_leverantor_manad t
JOIN leverantorer l ON l.leverantor_id = t.leverantor_nyckel
WHERE (:ar = '' OR t.ar = CAST(:ar AS INTEGER)) AND t.leverantor_nyckel <> {SOLE_TRADERS}
  AND (SELECT count(DISTINCT kopare_id) FROM kopare) > 1
GROUP BY t.leverantor_nyckel
HAVING count(DISTINCT t.kopare_id) = 1 AND sum(t.summa) >= :min_summa
   AND (:kopare = '' OR min(t.kopare_id) = :kopare)
ORDER BY summa DESC""",
)

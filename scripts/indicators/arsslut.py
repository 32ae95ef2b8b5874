from ..indicator import Indicator, Parameter
from .common import BUYER_YEAR

INDICATOR = Indicator(
    slug="arsslut",
    title="Utgiftstopp i slutet av året",
    flags="En köpare betalar ovanligt mycket de sista dagarna av året jämfört med resten av året.",
    method="Kvot = (summa de sista k dagarna i december / k) / (summa resten av året / antal "
           "övriga dagar), över konteringsrader per bokföringsdag (tabellen kopare_dag). Bara rader "
           "med dagsdatum räknas. Flagga när kvoten är minst gränsen.",
    example="En myndighet spenderar i snitt 1 mkr per dag men 6 mkr per dag 25–31 december: "
            "kvot 6, flaggas.",
    why="\"Använd budgeten innan den försvinner\": köp i årets sista vecka har visat sig vara "
        "sämre underbyggda (Liebman & Mahoney fann 4,9 gånger högre utgifter sista veckan).",
    source="Liebman & Mahoney (2017), Do Expiring Budgets Lead to Wasteful Year-End Spending?",
    output="En rad per köpare och år: de sista dagarna (fran_datum–till_datum) och deras summa, "
           "dagsnitt i slutet och under resten av året, och kvoten.",
    caveats="Bokföringsdatum är inte beställningsdatum. Årets sista dagar innehåller ofta "
            "periodiseringar och helgdagar. Kräver data för hela året.",
    parameters=(Parameter("dagar", 7, "k: antal dagar i slutet av året", 1, 60),
                Parameter("kvot", 2, "Gräns för kvoten", 1, 100)),
    rows_behind="buyer_year",
    ranked_by="kvot",
    sql=f"""
WITH d AS (
  SELECT t.kopare_id, t.ar,
    sum(CASE WHEN t.bokforingsdatum > date(t.ar || '-12-31', '-' || CAST(:dagar AS INTEGER) || ' days')
             THEN t.summa ELSE 0 END) AS slut,
    sum(CASE WHEN t.bokforingsdatum <= date(t.ar || '-12-31', '-' || CAST(:dagar AS INTEGER) || ' days')
             THEN t.summa ELSE 0 END) AS ovrigt,
    count(DISTINCT substr(t.bokforingsdatum, 1, 7)) AS manader
  FROM kopare_dag t WHERE {BUYER_YEAR.format(t="t")}
  GROUP BY t.kopare_id, t.ar
)
SELECT kopare_id, ar, date(ar || '-12-31', '-' || (CAST(:dagar AS INTEGER) - 1) || ' days') AS fran_datum,
       ar || '-12-31' AS till_datum, round(slut, 2) AS summa, round(slut / :dagar, 2) AS per_dag_slut,
       round(ovrigt / (365 - :dagar), 2) AS per_dag_ovrigt,
       round((slut / :dagar) / (ovrigt / (365 - :dagar)), 2) AS kvot
FROM d WHERE manader = 12 AND ovrigt > 0 AND (slut / :dagar) / (ovrigt / (365 - :dagar)) >= :kvot
ORDER BY kvot DESC""",
)

from ..indicator import Indicator, Parameter

INDICATOR = Indicator(
    slug="benford",
    title="Beloppens första siffra avviker från Benfords lag",
    flags="Fördelningen av första siffran i en köpares fakturabelopp under ett år avviker från "
          "Benfords lag mer än vad som är vanligt.",
    method="Andelen fakturor p̂(d) vars belopp börjar med siffran d (1–9), mot Benfords "
           "förväntade log10(1+1/d). MAD = (1/9)·Σ|p̂(d) − log10(1+1/d)|. Nigrinis gränser: under "
           "0,006 nära, under 0,012 godtagbar, under 0,015 marginell, över det avvikande.",
    example="En köpare med 2 000 fakturor där 20 % börjar på 9 (förväntat 4,6 %): MAD över 0,015.",
    why="Påhittade belopp följer sällan Benfords lag; en avvikelse kan visa var man ska granska.",
    source="Nigrini, Benford's Law (2012); OCP red flag R029.",
    output="En rad per köpare och år: antal fakturor, MAD och vanligaste första siffran.",
    caveats="Kräver hundratals fakturor. Fasta priser, avgifter och avtal med samma belopp ger "
            "naturliga avvikelser. Belopp under 10 kr räknas inte.",
    parameters=(Parameter("mad", 0.015, "Gräns för MAD", 0, 1),
                Parameter("min_fakturor", 300, "Minsta antal fakturor", 10, 1e7)),
    rows_behind="buyer_year",
    ranked_by="mad",
    # An invoice's first digit is d when its amount lies in [d·10^k, (d+1)·10^k) (or the same
    # below zero); counting each such interval in the (kopare_id, ar, summa) index reads no
    # invoice twice and sorts none: 10M rows, 0.17 s where grouping by the digit took 1.4 s.
    sql="""
WITH RECURSIVE kopare_ar(kopare_id, ar) AS (
  SELECT kopare_id, (SELECT min(f.ar) FROM fakturor f WHERE f.kopare_id = k.kopare_id)
  FROM kopare k WHERE :kopare IN ('', kopare_id)
  UNION ALL
  SELECT kopare_id, (SELECT min(f.ar) FROM fakturor f WHERE f.kopare_id = a.kopare_id AND f.ar > a.ar)
  FROM kopare_ar a WHERE a.ar IS NOT NULL
), magnitud(m) AS (SELECT 10 UNION ALL SELECT m * 10 FROM magnitud WHERE m < 1000000000000000000),
siffror(d) AS (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9)),
intervall AS (SELECT d, d * m AS fran, (d + 1) * m AS till FROM siffror, magnitud),
per_siffra AS (
  SELECT a.kopare_id, a.ar, i.d AS siffra, sum(
    (SELECT count(*) FROM fakturor f WHERE f.kopare_id = a.kopare_id AND f.ar = a.ar
       AND f.summa >= i.fran AND f.summa < i.till)
    + (SELECT count(*) FROM fakturor f WHERE f.kopare_id = a.kopare_id AND f.ar = a.ar
       AND f.summa <= -i.fran AND f.summa > -i.till)) AS n
  FROM kopare_ar a CROSS JOIN intervall i
  WHERE a.ar IS NOT NULL AND (:ar = '' OR a.ar = CAST(:ar AS INTEGER))
  GROUP BY 1, 2, 3 HAVING n > 0),
antal AS (SELECT kopare_id, ar, sum(n) AS fakturor FROM per_siffra GROUP BY 1, 2),
andelar AS (
  SELECT a.kopare_id, a.ar, a.fakturor, s.d, coalesce(p.n, 0) * 1.0 / a.fakturor AS andel
  FROM antal a CROSS JOIN siffror s
  LEFT JOIN per_siffra p ON p.kopare_id = a.kopare_id AND p.ar = a.ar AND p.siffra = s.d
  WHERE a.fakturor >= :min_fakturor
)
SELECT kopare_id, ar, max(fakturor) AS fakturor,
       round(sum(abs(andel - log10(1 + 1.0 / d))) / 9, 4) AS mad,
       (SELECT d FROM andelar b WHERE b.kopare_id = a.kopare_id AND b.ar = a.ar
        ORDER BY b.andel - log10(1 + 1.0 / b.d) DESC LIMIT 1) AS mest_overrepresenterad
FROM andelar a GROUP BY kopare_id, ar HAVING mad > :mad
ORDER BY mad DESC""",
)

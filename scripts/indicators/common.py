"""SQL pieces the indicators share."""

# The buyer and year filters every indicator takes ('' = all). The buyer is picked from the
# buyers' table so that SQLite reads one buyer's rows through the index, or each buyer's in turn.
BUYER_YEAR = ("{t}.kopare_id IN (SELECT kopare_id FROM kopare WHERE :kopare IN ('', kopare_id)) "
              "AND (:ar = '' OR {t}.ar = CAST(:ar AS INTEGER))")
# The highest limit of the law :lag in force at some time during year {year}.
LIMIT_IN_YEAR = ("(SELECT max(g.grans) FROM direktupphandlingsgranser g WHERE g.lag = :lag "
                 "AND g.fran <= {year} || '-12-31' AND coalesce(g.till, '9999-12-31') >= {year} || '-01-01')")
# The limit of the law :lag in force on date {date}.
LIMIT_ON_DATE = ("(SELECT g.grans FROM direktupphandlingsgranser g WHERE g.lag = :lag "
                 "AND g.fran <= {date} AND coalesce(g.till, '9999-12-31') >= {date})")
SOLE_TRADERS = "'Enskild näringsidkare'"

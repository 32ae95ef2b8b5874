"""The last day a buyer's data covers, for totals and catalog periods that a reader can quote.

A row dated to a month only (stored on its 1st, datum_precision 'manad') covers the whole month:
the data of a buyer whose last rows are of October 2023 reaches 2023-10-31, not 2023-10-01.
Read from the summaries (kopare_dag holds the rows dated to the day, kopare_manad all rows), so
it costs a few index seeks whatever the size of the ledger.
"""

# The months of the span with rows of :kopare dated to the month (more rows than those dated to a day).
_MONTHS_DATED_TO_THE_MONTH = """FROM kopare_manad m
              WHERE m.kopare_id = :kopare AND m.manad BETWEEN substr(:fran, 1, 7) AND substr(:till, 1, 7)
                AND m.rader > coalesce((SELECT sum(d.rader) FROM kopare_dag d WHERE d.kopare_id = m.kopare_id
                                        AND d.bokforingsdatum BETWEEN m.manad || '-01' AND m.manad || '-31'), 0)"""

# :kopare, and the first and last day (YYYY-MM-DD) of the span asked about.
LAST_COVERED_DAY = f"""SELECT max(
    coalesce((SELECT max(d.bokforingsdatum) FROM kopare_dag d WHERE d.kopare_id = :kopare
              AND d.bokforingsdatum BETWEEN :fran AND :till), ''),
    coalesce((SELECT date(m.manad || '-01', '+1 month', '-1 day') {_MONTHS_DATED_TO_THE_MONTH}
              ORDER BY m.manad DESC LIMIT 1), ''))"""

# The first day of the span with rows of :kopare (a month's first when its rows are dated to the
# month): the ledger's min(bokforingsdatum) without reading the ledger.
FIRST_COVERED_DAY = f"""SELECT nullif(min(
    coalesce((SELECT min(d.bokforingsdatum) FROM kopare_dag d WHERE d.kopare_id = :kopare
              AND d.bokforingsdatum BETWEEN :fran AND :till), '9999'),
    coalesce((SELECT m.manad || '-01' {_MONTHS_DATED_TO_THE_MONTH}
              ORDER BY m.manad LIMIT 1), '9999')), '9999')"""


def period_bounds(period: str) -> tuple[str, str]:
    """The first and last day of a year ('2023') or a month ('2023-03') as ISO dates; the last
    day as '-31' (every booking date of the period sorts at or before it)."""
    return (f"{period}-01-01", f"{period}-12-31") if len(period) == 4 else (f"{period}-01", f"{period}-31")


def month_index(month: str) -> int:
    """'2016-03' as a count of months, so that consecutive months differ by one."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_ranges(months: list[str]) -> str:
    """Sorted months as runs: 2016-01–2016-02, 2016-04–2022-11, 2023-05."""
    runs: list[list[str]] = []
    for month in months:
        if runs and month_index(month) == month_index(runs[-1][-1]) + 1:
            runs[-1][1:] = [month]
        else:
            runs.append([month])
    return ", ".join("–".join(run) for run in runs)


def periods(first: str, last: str) -> list[str]:
    """Every year (YYYY) or month (YYYY-MM) from first to last."""
    if len(first) == 4:
        return [str(year) for year in range(int(first), int(last) + 1)]
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(month_index(first), month_index(last) + 1)]

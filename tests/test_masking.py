"""No personnummer or samordningsnummer may reach any table, index, message or report."""

import json
import re
import sqlite3

from openup.identifiers import mask_personal_numbers

from .conftest import run_openup

_DIGITS = re.compile(r"[0-9][0-9 +-]{8,14}[0-9]")


def personal_numbers_in(text: str) -> list[str]:
    return [m for m in _DIGITS.findall(text) if mask_personal_numbers(m)[1]]


def test_the_sample_really_contains_personal_numbers(sample_dir):
    """Otherwise the scans below would prove nothing."""
    found = [p.name for p in sample_dir.iterdir() if p.suffix == ".csv"
             and personal_numbers_in(p.read_bytes().decode("utf-8", "ignore"))]
    assert "goteborg_2023-03.csv" in found


def test_no_personal_number_in_any_text_column_of_the_database(sample_db):
    conn = sqlite3.connect(sample_db)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    scanned = 0
    for table in tables:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
        for column in columns:
            for (value,) in conn.execute(f"SELECT DISTINCT [{column}] FROM [{table}] "
                                         f"WHERE typeof([{column}]) = 'text'"):
                scanned += 1
                assert not personal_numbers_in(value), (table, column, value)
    assert scanned > 1000


def test_masked_rows_are_counted_and_labelled(query):
    total = query("SELECT sum(rader_maskerade) FROM kallfiler")[0][0]
    assert total > 0
    sole_traders = query("SELECT DISTINCT leverantor, leverantor_id FROM leverantorsreskontra "
                         "WHERE leverantor_id_typ IN ('personnummer', 'samordningsnummer', 'maskerat')")
    assert [tuple(r) for r in sole_traders] == [("Enskild näringsidkare", None)]


def test_no_personal_number_in_messages_or_reports(sample_dir, tmp_path):
    files = sorted(sample_dir.iterdir())
    result = run_openup("load", "--db", tmp_path / "m.db", *files)
    assert not personal_numbers_in(result.output)
    report = run_openup("validate", "--json", *files)
    assert not personal_numbers_in(report.output)
    assert json.loads(report.output)
    text = run_openup("validate", *files)
    assert not personal_numbers_in(text.output)


def test_personal_number_in_a_rejected_line_is_masked(tmp_path):
    import random

    from openup.synthetic import synthetic_personnummer

    pnr = synthetic_personnummer(random.Random(5))
    path = tmp_path / "ledger_2023-01.csv"
    lines = ["kopare_id;kopare;verifikationsnummer;leverantor;leverantor_id;bokforingsdatum;nettobelopp"]
    lines += [f"212000-1355;Göteborgs Stad;{n};Firma;{pnr};2023-01-0{1 + n % 9};10,00" for n in range(40)]
    lines.append(f"212000-1355;Göteborgs Stad;99;Firma {pnr};{pnr};2023-01-01;inte ett belopp")
    path.write_text("\n".join(lines), "utf-8")
    result = run_openup("load", "--db", tmp_path / "r.db", path)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(tmp_path / "r.db")
    content, reason = conn.execute("SELECT innehall, orsak FROM avvisade_rader").fetchone()
    assert pnr not in content and "[personnummer]" in content
    assert conn.execute("SELECT rader_maskerade FROM kallfiler").fetchone()[0] == 41


def test_a_file_without_personal_data_masks_nothing(tmp_path):
    from .files import write_v11

    db = tmp_path / "clean.db"
    assert run_openup("load", "--db", db, write_v11(tmp_path / "a_2023-01.csv", 700)).exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT rader_maskerade FROM kallfiler").fetchone()[0] == 0
        assert conn.execute("SELECT sum(maskerad) FROM leverantorsreskontra").fetchone()[0] == 0

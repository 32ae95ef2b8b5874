"""The two ways a CSV file becomes frames of records agree: lines split by Polars (with the csv
module only for quoted lines) and the csv module reading every record."""

from __future__ import annotations

import random

import pytest
from openup import rawframes, sources
from openup.errors import FileRefused
from openup.sources import open_source

from .conftest import run_openup

HEADER = "kopare_id;leverantor;nettobelopp;fakturanummer\n"
TRICKY = [
    '212000-1355;"Bygg; och Mark AB";100,50;F1\n',  # a delimiter inside quotes
    '212000-1355;"Rad\nbrytning AB";200;F2\n',  # a line break inside quotes
    '212000-1355;"Rad\r\nbrytning två";300;"F\n3"\n',
    '212000-1355;Skärm 24" AB;400;F4\n',  # a quote inside an unquoted field is a character
    '212000-1355;"Citat ""inom"" citat";500;F5\n',
    "\n",  # an empty line
    ";;;\n",  # only delimiters
    " ; ;\t;\n",
    "212000-1355;För få fält\n",
    "212000-1355;För många;1;2;3\n",
    "212000-1355;Tom kolumn sist;600;F6;;\n",  # an empty trailing column is no error
    "212000-1355;Vanlig AB;700;F7\r\n",
    '"212000-1355";"Allt citerat";"800";"F8"\n',
    "212000-1355;Sista utan radslut;900;F9",
]


def _frames_both_ways(path, header_at=1, width=4):
    source = open_source(path)
    candidate = next(c for c in source.candidates if c.label == ";")
    fast = list(rawframes.csv_frames(path, source.encoding, ";", header_at, width))
    slow = list(candidate._framed(header_at, width))
    return fast, slow


def _rows(batches):
    import polars as pl
    frames = [b.frame for b in batches if b.frame.height]
    return (pl.concat(frames).rows() if frames else []), sum(b.empty for b in batches)


@pytest.mark.parametrize("read_bytes", [7, 64, 1 << 20])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polars_lines_and_csv_module_give_the_same_records(tmp_path, monkeypatch, read_bytes, seed):
    monkeypatch.setattr(rawframes, "READ_BYTES", read_bytes)
    monkeypatch.setattr(sources, "RECORDS_PER_BATCH", 3)
    body = TRICKY[:-1]
    random.Random(seed).shuffle(body)
    path = tmp_path / "fil.csv"
    path.write_bytes((HEADER + "".join(body) + TRICKY[-1]).encode("utf-8"))
    fast, slow = _frames_both_ways(path)
    assert _rows(fast) == _rows(slow)
    rows, empty = _rows(fast)
    assert empty == 3 and len(rows) == len(TRICKY) - 3
    by_content = {row[1]: row for row in rows}
    assert by_content["Rad\nbrytning AB"][:4] == ("212000-1355", "Rad\nbrytning AB", "200", "F2")
    assert by_content["Rad\r\nbrytning två"][3] == "F\n3"
    assert by_content['Skärm 24" AB'][2] == "400"
    assert by_content['Citat "inom" citat'][2] == "500"
    assert by_content["Tom kolumn sist"][5] is None  # no error
    wrong = {row[5] for row in rows if row[5]}
    assert wrong == {"fel antal fält: väntade 4, fick 2", "fel antal fält: väntade 4, fick 5"}


def test_whitespace_is_what_python_strips():
    import sys
    assert set(rawframes.WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_lines_are_counted_across_quoted_line_breaks(tmp_path, monkeypatch):
    monkeypatch.setattr(rawframes, "READ_BYTES", 16)
    path = tmp_path / "fil.csv"
    path.write_text(HEADER + '1;"a\nb\nc";1;x\n2;b;2;y\n', encoding="utf-8")
    fast, _ = _frames_both_ways(path)
    assert [row[4] for row in _rows(fast)[0]] == [2, 5]


@pytest.mark.parametrize("text, line", [
    (HEADER + "1;a;1;x\n2;\"b;2;y\n3;c;3;z\n", 3),  # a quote that never ends
    (HEADER + "1;a;1;x\n2;\"b\"c;2;y\n", 3),  # text after a closing quote
], ids=["never-ends", "after-closing-quote"])
def test_bad_quoting_is_refused_on_its_line_either_way(tmp_path, monkeypatch, text, line):
    monkeypatch.setattr(rawframes, "READ_BYTES", 8)
    path = tmp_path / "fil.csv"
    path.write_text(text, encoding="utf-8")
    source = open_source(path)
    with pytest.raises(FileRefused) as fast:
        list(rawframes.csv_frames(path, source.encoding, ";", 1, 4))
    with pytest.raises(FileRefused) as slow:
        list(next(c for c in source.candidates if c.label == ";")._framed(1, 4))
    assert fast.value.line == slow.value.line == line


def test_a_file_with_bare_carriage_returns_is_read_by_the_csv_module(tmp_path):
    path = tmp_path / "fil.csv"
    path.write_bytes(HEADER.replace("\n", "\r").encode() + b"1;a;1;x\r2;b;2;y\r")
    source = open_source(path)
    assert source.candidates[0].frames.__func__ is sources.Candidate._framed
    assert rawframes.reads_lines_itself("cp1252", False) and not rawframes.reads_lines_itself("utf-16", False)


def test_a_load_through_either_reader_builds_the_same_database(sample_dir, tmp_path, monkeypatch):
    """The sample, loaded with its lines split by Polars and with every record read by the csv
    module, then the same with its lines shuffled: the same tables."""
    from .test_summary_windows import INVOICES, SUMMARIES, _rows

    files = sorted(sample_dir.iterdir())
    shuffled_dir = tmp_path / "shuffled"
    shuffled_dir.mkdir()
    for file in files:
        if file.suffix != ".csv" or file.read_bytes().startswith(b"\xff\xfe"):
            (shuffled_dir / file.name).write_bytes(file.read_bytes())  # not split by line here
            continue
        lines = file.read_bytes().split(b"\n")
        header, body = lines[0], [line for line in lines[1:] if line]
        random.Random(7).shuffle(body)
        (shuffled_dir / file.name).write_bytes(b"\n".join([header, *body]) + b"\n")
    databases = {}
    for name, folder, polars_lines in (("polars", sample_dir, True), ("csv", sample_dir, False),
                                       ("shuffled", shuffled_dir, True)):
        with monkeypatch.context() as patch:
            if not polars_lines:
                patch.setattr(sources, "reads_lines_itself", lambda *args: False)
            db = tmp_path / f"{name}.db"
            result = run_openup("load", "--db", db, *sorted(folder.iterdir()))
            assert result.exit_code == 0, result.output
            databases[name] = db
    queries = {**SUMMARIES, "fakturor": INVOICES,
               "leverantorsreskontra": "SELECT kopare_id, kopare, verifikationsnummer, leverantor, leverantor_id, "
               "konto_nr, konto_text, bokforingsdatum, forvaltning, fakturanummer, nettobelopp, grund, avtal, "
               "kommun_id, s_kod_nr, faktura_typ, leverantor_id_typ, leverantor_nyckel, datum_precision, maskerad "
               "FROM leverantorsreskontra",
               "avvisade_rader": "SELECT kolumn, orsak, innehall FROM avvisade_rader"}
    for table, query in queries.items():
        polars_rows = _rows(databases["polars"], query)
        assert polars_rows, table
        assert polars_rows == _rows(databases["csv"], query), table
        # an invoice's first line moves with its lines; a sum row is one only below what it sums
        if table not in ("fakturor", "avvisade_rader"):
            assert polars_rows == _rows(databases["shuffled"], query), table
    invoices = ("SELECT kopare_id, leverantor_nyckel, verifikationsnummer, fakturanummer, bokforingsdatum, "
                "datum_precision, summa, konteringar, har_avtal FROM fakturor")
    assert _rows(databases["polars"], invoices) == _rows(databases["shuffled"], invoices)
    rejected = "SELECT kolumn, innehall FROM avvisade_rader"
    assert _rows(databases["polars"], rejected) == _rows(databases["shuffled"], rejected)
    lines = "SELECT kallfil_id, kallrad FROM leverantorsreskontra"
    assert _rows(databases["polars"], lines) == _rows(databases["csv"], lines)

"""The `openup` command: a thin layer over loader, reading, sample and schema."""

from __future__ import annotations

import json
import os
import sqlite3
import shutil
import signal
import sys
import threading
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import click

from . import identifiers, locks
from .database import connect, ensure_schema, schema_version_problem
from .loader import LOADED, REFUSED, FileResult, LoadOptions, load_file
from .shards import read_year_databases
from .staging import remove_leftovers
from .profiles import builtin_profiles
from .reading import ReadOptions
from .register import REGISTER_VARIABLE
from .validation import validate_file

# The environment variable that bounds the memory of `python -m openup` (bytes), as the
# instance's validator runs it on uploads.
MEMORY_LIMIT = "OPENUP_MAX_MEMORY_BYTES"
_FILES = click.argument("files", nargs=-1, required=True,
                        type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _workers_option(help_: str):
    return click.option("--workers", default=os.cpu_count() or 1, show_default="antal processorer",
                        type=click.IntRange(1, 64), help=help_)


def _buyer(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    kind, number = identifiers.classify_supplier_id(value)
    if kind != identifiers.ORGANISATIONSNUMMER:
        raise click.BadParameter(f"{value!r} är inget giltigt organisationsnummer (NNNNNN-NNNN)")
    return number


def _period(ctx, param, value: str | None) -> str | None:
    if value is not None and not (len(value) == 7 and value[4] == "-"
                                  and value[:4].isdigit() and 1 <= int(value[5:] or 0) <= 12):
        raise click.BadParameter(f"{value!r}: väntade ÅÅÅÅ-MM")
    return value


def _url(ctx, param, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter(f"{value!r}: väntade en URL (http:// eller https://)")
    return value


def _profiles(name: str | None):
    register = os.environ.get(REGISTER_VARIABLE)
    if register and not Path(register).is_file():
        raise click.UsageError(f"{REGISTER_VARIABLE}={register}: filen finns inte (köparregistret, se README)")
    profiles = builtin_profiles()
    if name is not None and name not in profiles:
        raise click.BadParameter(f"okänd profil {name!r}; finns: {', '.join(profiles)}",
                                 param_hint="--profile")
    return profiles


def _read_options(f):
    f = click.option("--profile", help="Tvinga en källprofil (annars känns den igen på rubrikerna).")(f)
    f = click.option("--period", callback=_period,
                     help="Månad ÅÅÅÅ-MM för filer utan datumkolumn och utan månad i filnamnet.")(f)
    f = click.option("--buyer-name", help="Köparens namn, om filen inte anger det.")(f)
    f = click.option("--buyer", callback=_buyer,
                     help="Köparens organisationsnummer, om filen inte anger det.")(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Open Up: leverantörsreskontror från offentliga organisationer i en SQLite-databas."""


def _load_options(f):
    f = click.option("--max-rejected", default=0.05, show_default=True, type=click.FloatRange(0, 1),
                     help="Största andel avvisade rader innan hela filen vägras.")(f)
    f = click.option("--license", "license_", callback=_url,
                     help="Licensen utgivaren angav, t.ex. http://creativecommons.org/publicdomain/zero/1.0/")(f)
    f = click.option("--source", callback=_url, help="Var utgivaren publicerade filerna (URL).")(f)
    return _read_options(f)


@main.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite-databasen att läsa in i (skapas om den saknas).")
@click.option("--replace", is_flag=True, help="Läs in filer på nytt som redan är inlästa.")
@_load_options
@_FILES
def load(db_path: Path, replace: bool, source, license_, max_rejected: float, buyer, buyer_name,
         period, profile, files: tuple[Path, ...]) -> None:
    """Läs in leverantörsreskontror (CSV, XLSX, JSON) i databasen, en transaktion per fil."""
    profiles = _profiles(profile)
    options = LoadOptions(buyer, buyer_name, period, profile, source, license_, replace, max_rejected)
    _stop_on_sigterm()  # as Ctrl-C: the transaction rolled back
    existed = db_path.exists()
    results = []
    try:
        with _open_database(db_path) as db:
            for path in files:
                results.append(_load_with_progress(db, path, profiles, options))
    except sqlite3.OperationalError as error:
        if not _disk_refused(error):
            raise
        raise click.ClickException(f"disken är full eller gick inte att skriva till ({error}): {path} "
                                   "lästes inte in, och databasen är som före filen. Frigör utrymme "
                                   "och kör igen.") from None
    finally:
        if not existed and not any(r.status == LOADED for r in results):
            for leftover in (db_path, Path(f"{db_path}-journal")):  # leave no empty database behind
                if leftover.is_file():
                    leftover.unlink()
    for result in results:
        click.echo(_summary_line(result), err=result.status == REFUSED)
    sys.exit(1 if any(r.status == REFUSED for r in results) else 0)


def _stop_on_sigterm() -> None:
    """SIGTERM stops the command as Ctrl-C does, through its cleanup (in the main thread only,
    where Python runs signal handlers; a test's runner may call it from another)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stopped)


def _stopped(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _disk_refused(error: Exception) -> bool:
    """SQLite's errors for a write the disk did not take: full (ENOSPC), or a file size limit."""
    return isinstance(error, sqlite3.OperationalError) and (
        "disk is full" in str(error) or "disk I/O error" in str(error))


@contextmanager
def _open_database(path: Path):
    try:
        db = connect(path)
    except (sqlite3.Error, OSError) as error:
        raise click.BadParameter(f"kan inte skriva databasen {path}: {error}", param_hint="--db") from None
    try:
        with locks.loading(path):
            remove_leftovers(path)
            try:
                db.conn.execute("BEGIN IMMEDIATE")
                db.conn.execute("ROLLBACK")
                ensure_schema(db)
            except (sqlite3.Error, OSError) as error:
                if _disk_refused(error):
                    raise
                raise click.BadParameter(f"kan inte skriva databasen {path}: {error}",
                                         param_hint="--db") from None
            yield db
    finally:
        db.conn.close()


def _load_with_progress(db, path: Path, profiles, options: LoadOptions) -> FileResult:
    if not sys.stderr.isatty():
        return load_file(db, path, profiles, options)
    with click.progressbar(length=_count_lines(path), label=path.name, file=sys.stderr) as bar:
        return load_file(db, path, profiles, options, progress=bar.update)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return max(1, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")))


def _summary_line(result: FileResult) -> str:
    tally = result.tally
    line = (f"{result.path.name}: {result.status}; lästa {tally.read}, inlästa {result.loaded}, "
            f"avvisade {tally.rejected}, tomma {tally.empty}, maskerade {tally.masked}, "
            f"överhoppade {result.skipped}, {result.seconds:.2f} s")
    notes = [result.message] if result.message else []
    if result.unknown_columns:
        notes.append(f"okända kolumner (läses inte in): {', '.join(result.unknown_columns)}")
    notes += [f"köparens organisationsnummer {c['kopare_id']} ({c['kopare']}) har fel kontrollsiffra: "
              f"{c['rader']} rader inlästa under registrets {c['registrets_kopare_id']}"
              for c in result.corrections]
    return "\n  ".join([line, *notes])


@main.command()
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite-databasen att hålla aktuell (skapas om den saknas).")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Sekunder att vänta på ett svar.")
@click.option("--attempts", default=3, show_default=True, type=click.IntRange(1, 10),
              help="Försök per fil när nätet eller servern felar (5xx, 429, tidsgräns).")
@click.option("--backoff", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Sekunder före andra försöket; fördubblas för varje nytt försök.")
@click.argument("sources", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def harvest(db_path: Path, timeout: float, attempts: int, backoff: float, sources: Path) -> None:
    """Hämta nya och ändrade filer från källorna i SOURCES (TOML) och läs in dem, en rad per källa."""
    from .fetching import Fetcher
    from .harvest import Harvest, read_sources

    try:
        publishers = read_sources(sources)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    profiles = _profiles(None)
    fetcher = Fetcher(timeout=timeout, attempts=attempts, backoff=backoff)
    try:
        with _open_database(db_path) as db:
            outcomes = [Harvest(db, profiles, fetcher).publisher(p) for p in publishers]
    finally:
        fetcher.close()
    for outcome in outcomes:
        click.echo(outcome.line(), err=outcome.failed)
    sys.exit(1 if any(o.failed for o in outcomes) else 0)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Skriv rapporten som JSON.")
@click.option("--convert", type=click.Path(dir_okay=False, path_type=Path),
              help="Skriv raderna som skulle läsas in till den här CSV-filen, i specifikationens "
                   "kolumner och med personnummer maskerade (en fil i taget).")
@_read_options
@_FILES
def validate(as_json: bool, convert: Path | None, buyer, buyer_name, period, profile,
             files: tuple[Path, ...]) -> None:
    """Granska filer före publicering, utan databas: vad som känns igen, avvisas och maskeras."""
    profiles = _profiles(profile)
    options = ReadOptions(buyer, buyer_name, period, profile)
    if convert is not None:
        if len(files) != 1:
            raise click.UsageError("--convert tar en fil i taget")
        with convert.open("w", newline="", encoding="utf-8") as converted:
            reports = [validate_file(files[0], profiles, options, converted=converted)]
    else:
        reports = [validate_file(path, profiles, options) for path in files]
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for report in reports:
            click.echo(report.as_text())
    sys.exit(1 if any(not r.acceptable for r in reports) else 0)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rows", default=20_000, show_default=True, type=click.IntRange(min=10),
              help="Ungefärligt antal rader totalt.")
@click.option("--seed", default=1, show_default=True, type=int, help="Slumpfrö (samma frö, samma filer).")
def sample(out_dir: Path, rows: int, seed: int) -> None:
    """Skapa syntetiska men realistiska exportfiler i flera av de verkliga formaten."""
    from .sample import write_samples

    for path in write_samples(out_dir, rows, seed):
        click.echo(str(path))


@main.command()
@click.option("--db", "db_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def export(db_path: Path, out_dir: Path) -> None:
    """Skriv en SQLite-fil och en CSV-fil per år för varje köpare, i specifikationens kolumner."""
    from .export import export_buyers

    for path in export_buyers(db_path, out_dir):
        click.echo(str(path))


@main.command()
@click.option("--db", "db_paths", required=True, multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Arbetsdatabasen; flera gånger för delar av samma instans, i den ordning filerna lästes in.")
@click.option("--name", help="Den nationella databasens namn (som standard den första arbetsdatabasens).")
@_workers_option("Antal årsdatabaser som skrivs samtidigt, var och en av en egen process.")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def shard(db_paths: tuple[Path, ...], name: str | None, workers: int, out_dir: Path) -> None:
    """Dela databasen i en databas per bokföringsår (med årets rader också som Parquet) och en nationell med allt utom raderna."""
    _write_shards(list(db_paths), out_dir, name, workers)


def _write_shards(works: list[Path], out_dir: Path, name: str | None, workers: int, own_parts: bool = False,
                  what: str | None = None) -> None:
    """openup shard of works (what is published, for the message of a failure: the works)."""
    from .shards import published_files, write_shards

    _stop_on_sigterm()  # the year processes are stopped, nothing published
    # No load changes the rows while they are copied, and no server reads the files replaced. A
    # build's own parts are not locked: a lock holds the file open, and each is removed (its disk
    # freed) once its years are written.
    with ExitStack() as held:
        for path in [*([] if own_parts else works), *published_files(works, out_dir, name or works[0].stem)]:
            held.enter_context(locks.loading(path))
        try:
            result = write_shards(works, out_dir, name, own_parts, workers)
        except (ValueError, sqlite3.Error, OSError) as error:
            raise click.ClickException(f"{what or ', '.join(map(str, works))} delades inte ({error}); "
                                       "inga publicerade filer ändrades") from None
    for label, paths in (("skriven", result.written), ("oförändrad", result.kept), ("borttagen", result.removed)):
        for path in paths:
            click.echo(f"{path}: {label}")
    click.echo(f"{result.national}: skriven")


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Mappen att publicera i: den nationella databasen, årsdatabaserna och Parquet-filerna.")
@click.option("--name", default="openup", show_default=True, help="Den nationella databasens namn.")
@_workers_option("Antal inläsningar, och sedan årsdatabaser, som körs samtidigt, var och en i en egen process.")
@_load_options
@_FILES
def build(out_dir: Path, name: str, workers: int, source, license_, max_rejected: float, buyer, buyer_name,
          period, profile, files: tuple[Path, ...]) -> None:
    """Läs in filerna parallellt och publicera dem som `openup shard`: årsdatabaser, Parquet och en nationell databas."""
    from .build import load_in_parts, parts_folder

    _profiles(profile)
    options = [*(f"--{flag}={value}" for flag, value in (
        ("source", source), ("license", license_), ("buyer", buyer), ("buyer-name", buyer_name),
        ("period", period), ("profile", profile)) if value is not None), f"--max-rejected={max_rejected}"]
    _stop_on_sigterm()  # the loads are stopped, each rolled back
    folder = parts_folder(out_dir, name)
    try:
        try:
            loaded = load_in_parts(list(files), folder, options, workers)
        except (ValueError, sqlite3.Error) as error:
            raise click.ClickException(f"{error}: inga publicerade filer ändrades") from None
        for output in loaded.outputs:
            click.echo(output, nl=False)
        if not loaded.complete:
            raise click.ClickException("alla filer lästes inte in (se ovan): inga publicerade filer ändrades")
        for repeated in loaded.skipped:
            click.echo(str(repeated))
        _write_shards(loaded.parts, out_dir, name, workers, own_parts=True, what=f"{len(files)} filer")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@main.command()
@click.argument("databases", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int, envvar="PORT")
@click.option("--exports", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Mapp från `openup export` att publicera under /exporter/.")
@_workers_option("Antal serverprocesser.")
def serve(databases: tuple[Path, ...], host: str, port: int, exports: Path | None, workers: int) -> None:
    """Publicera databaserna med Datasette, så som instansen är konfigurerad (read-only)."""
    import uvicorn
    from openup_plugins.instance import SERVED_DATABASES, SERVED_EXPORTS, inspect_file

    with locks.serving(list(databases)):
        for database in databases:
            _recover_interrupted_load(database)
            with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
                problem = schema_version_problem(conn)
                missing = [f"{stem}.db" for stem in read_year_databases(conn).values()
                           if stem not in {d.stem for d in databases}]
            if problem:
                raise click.BadParameter(f"{database}: {problem}", param_hint="DATABASES")
            if missing:  # its ledger links would lead nowhere, its comparisons miss years
                raise click.BadParameter(
                    f"{database} har reskontrans rader i årsdatabaser som inte publiceras: {', '.join(missing)}. "
                    f"Publicera dem också: openup serve {database} {database.parent / database.stem}_*.db",
                    param_hint="DATABASES")
        for database in databases:
            inspect_file(database)  # once, before the workers start
        os.environ[SERVED_DATABASES] = os.pathsep.join(str(d) for d in databases)
        if exports:
            os.environ[SERVED_EXPORTS] = str(exports)
        click.echo(f"Open Up: http://{host}:{port}/ ({workers} processer)")
        # Each worker process serves every request on its own (Python runs one thread at a time);
        # a download or stream whose client stopped reading would hold a graceful shutdown open.
        uvicorn.run("openup_plugins.instance:app_from_environment", factory=True, workers=workers,
                    host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


def _recover_interrupted_load(database: Path) -> None:
    """A load killed mid-file leaves its journal beside the database; opening the database for
    writing once rolls the file back to before that load (a read-only open cannot)."""
    journal = Path(f"{database}-journal")
    if not journal.exists():
        return
    try:
        with closing(sqlite3.connect(database)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        raise click.ClickException(
            f"{database} har en journal från en avbruten inläsning ({journal}) som inte kan rullas "
            f"tillbaka här ({error}): öppna databasen skrivbar en gång, så återställs den") from None
    if not journal.exists():
        click.echo(f"{database}: en avbruten inläsning rullades tillbaka; databasen är som före den", err=True)


@main.command()
@click.argument("databases", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def inspect(databases: tuple[Path, ...]) -> None:
    """Skriv inspect-filen (tabellernas radantal) bredvid varje databas, inför publicering."""
    from openup_plugins.instance import inspect_file

    for database in databases:
        click.echo(str(inspect_file(database)))


@main.command("schema-doc")
def schema_doc() -> None:
    """Skriv docs/schema.md (tabeller och kolumner) till standard ut."""
    from .schemadoc import render_schema_markdown

    click.echo(render_schema_markdown(), nl=False)

"""`openup harvest`: keep a database current with what publishers publish, without loading by hand.

A sources file (TOML) lists per publisher where its ledger is: file URLs, a URL pattern by
month, a paged JSON API, or a DCAT catalog whose datasets follow the national specification.
Each file found is downloaded only when new or changed (ETag, Last-Modified, then its content
hash), loaded as `openup load` loads a file (one transaction, refused files reported), and
recorded by its URL: in kallfiler.kalla and the buyer's kalla, and what the server said of it in
databasinfo (`hamtning <url>`), so the next run asks only for what changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit

from .fetching import FetchFailed, Fetcher, Validators
from .loader import LOADED, REFUSED, SKIPPED, LoadOptions, load_file
from .periods import periods
from .profiles import Profile

_STATE = "hamtning "  # databasinfo key prefix, followed by the URL
_MAX_PAGES = 10_000
_FORMATS = ("csv", "xlsx", "json")  # in the order they are preferred
_LOADABLE = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
_KEYS = {"namn", "kopare_id", "kopare", "licens", "profil", "filer", "manadsmall", "fran", "till", "api", "dcat"}
_MONTH = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Publisher:
    """One [[kalla]] of the sources file."""

    name: str
    buyer_id: str | None = None
    buyer_name: str | None = None
    license: str | None = None
    profile: str | None = None
    files: tuple[str, ...] = ()
    monthly: str | None = None  # a URL with {ar} and {manad}
    first_month: str | None = None
    last_month: str | None = None
    api: str | None = None
    catalog: str | None = None


def read_sources(path: Path) -> list[Publisher]:
    """The publishers of a sources file; ValueError saying what is wrong and where."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: {error}") from None
    publishers = []
    for number, entry in enumerate(data.get("kalla", []), start=1):
        where = f"{path}: [[kalla]] nummer {number}"
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"{where}: okända nycklar {', '.join(sorted(unknown))}; kända: {', '.join(sorted(_KEYS))}")
        if not entry.get("namn"):
            raise ValueError(f"{where}: namn saknas")
        if not any(entry.get(k) for k in ("filer", "manadsmall", "api", "dcat")):
            raise ValueError(f"{where} ({entry['namn']}): ange filer, manadsmall, api eller dcat")
        files = entry.get("filer", [])
        if not isinstance(files, list) or not all(isinstance(url, str) for url in files):
            raise ValueError(f"{where}: filer ska vara en lista av URL:er, som filer = [\"https://…\"]")
        for key in _KEYS - {"filer"}:
            if key in entry and not isinstance(entry[key], str):
                raise ValueError(f"{where}: {key} ska vara en sträng inom citattecken, inte {entry[key]!r}")
        if entry.get("manadsmall"):
            if "{ar}" not in entry["manadsmall"] or "{manad}" not in entry["manadsmall"]:
                raise ValueError(f"{where}: manadsmall ska innehålla {{ar}} och {{manad}}")
            for key in ("fran", "till"):
                if entry.get(key) is not None and not _MONTH.fullmatch(str(entry[key])):
                    raise ValueError(f"{where}: {key} ska vara en månad ÅÅÅÅ-MM, inte {entry[key]!r}")
            if not entry.get("fran"):
                raise ValueError(f"{where}: manadsmall kräver fran (första månaden, ÅÅÅÅ-MM)")
        publishers.append(Publisher(
            entry["namn"], entry.get("kopare_id"), entry.get("kopare"), entry.get("licens"), entry.get("profil"),
            tuple(entry.get("filer", ())), entry.get("manadsmall"), entry.get("fran"), entry.get("till"),
            entry.get("api"), entry.get("dcat")))
    if not publishers:
        raise ValueError(f"{path}: inga källor ([[kalla]] med namn och filer, manadsmall, api eller dcat)")
    return publishers


@dataclass(frozen=True)
class Published:
    """A file a publisher published: where, and under which licence if its catalog says."""

    url: str
    license: str | None = None
    may_be_missing: bool = False  # a month of a pattern: not published yet is not an error


@dataclass
class Outcome:
    """What a harvest did for one publisher."""

    publisher: Publisher
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    not_published: int = 0
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.refused or self.errors)

    def line(self) -> str:
        counts = (f"{self.publisher.name}: {self.new} nya, {self.changed} ändrade, {self.unchanged} oförändrade"
                  + (f", {self.not_published} inte publicerade än" if self.not_published else "")
                  + f", {len(self.refused)} vägrade, {len(self.errors)} fel")
        return "\n  ".join([counts, *self.refused, *self.errors])


def _rdf_format(content: bytes, content_type: str, url: str) -> str:
    """The RDF syntax of a catalog: by its content type, else its address, else its first bytes."""
    for given, syntax in (("turtle", "turtle"), ("n-triples", "nt"), ("ld+json", "json-ld"), ("json", "json-ld"),
                          ("rdf+xml", "xml"), ("/xml", "xml")):
        if given in content_type:
            return syntax
    suffix = PurePosixPath(urlsplit(url).path).suffix.casefold()
    by_suffix = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml", ".xml": "xml"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json-ld" if start in (b"{", b"[") else "xml" if start == b"<" else "turtle"


def catalog_files(content: bytes, content_type: str, base: str) -> list[Published]:
    """The loadable distributions of a DCAT catalog's supplier-ledger datasets: those that
    conform to the national specification or carry its keyword. Of each dataset, every
    distribution in the best format it offers (CSV, then XLSX, then JSON): a dataset may be
    published as a file per year or month."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF

    graph = Graph()
    try:
        # Read as bytes, so that RDF/XML is decoded as its own declaration says.
        graph.parse(source=io.BytesIO(content), format=_rdf_format(content, content_type, base), publicID=base)
    except Exception as error:  # rdflib raises many kinds of parser errors
        raise FetchFailed(f"{base}: katalogen gick inte att läsa som RDF ({type(error).__name__}: {error})") from None
    found = []
    for dataset in sorted(graph.subjects(RDF.type, DCAT.Dataset)):
        conforms = [str(o) for o in graph.objects(dataset, DCTERMS.conformsTo)]
        keywords = [str(o).casefold() for o in graph.objects(dataset, DCAT.keyword)]
        if not (any("leverantorsreskontra" in c for c in conforms)
                or any(k in ("leverantörsreskontra", "leverantorsreskontra") for k in keywords)):
            continue
        choices = []
        for distribution in graph.objects(dataset, DCAT.distribution):
            url = graph.value(distribution, DCAT.downloadURL) or graph.value(distribution, DCAT.accessURL)
            if not isinstance(url, URIRef):
                continue
            described = " ".join(str(o) for p in (DCTERMS.format, DCAT.mediaType)
                                 for o in graph.objects(distribution, p)).casefold()
            kind = _file_kind(str(url), described)
            if kind:
                license_ = graph.value(distribution, DCTERMS.license) or graph.value(dataset, DCTERMS.license)
                choices.append((_FORMATS.index(kind), Published(str(url), str(license_) if license_ else None)))
        best = min((rank for rank, _ in choices), default=None)
        found += sorted({published.url: published for rank, published in choices if rank == best}.values(),
                        key=lambda published: published.url)
    if not found:
        raise FetchFailed(f"{base}: katalogen har ingen datamängd för leverantörsreskontra (dct:conformsTo den "
                          "nationella specifikationen eller nyckelordet leverantörsreskontra) med en fil i "
                          "CSV, XLSX eller JSON")
    return found


def _file_kind(url: str, described: str) -> str | None:
    for word, kind in (("csv", "csv"), ("spreadsheetml", "xlsx"), ("xlsx", "xlsx"), ("json", "json")):
        if word in described:
            return kind
    return _LOADABLE.get(PurePosixPath(urlsplit(url).path).suffix.casefold())


class Harvest:
    """Harvesting publishers into one open database."""

    def __init__(self, db, profiles: dict[str, Profile], fetcher: Fetcher, today: dt.date | None = None):
        self.db, self.profiles, self.fetcher = db, profiles, fetcher
        self.today = today or dt.date.today()

    def publisher(self, publisher: Publisher) -> Outcome:
        outcome = Outcome(publisher)
        with tempfile.TemporaryDirectory(prefix="openup-harvest-") as folder:
            try:
                for published in self._published(publisher):
                    self._file(publisher, published, Path(folder), outcome)
                if publisher.api:
                    self._api(publisher, Path(folder), outcome)
            except FetchFailed as failed:
                outcome.errors.append(str(failed))
        return outcome

    def _published(self, publisher: Publisher) -> Iterator[Published]:
        """The files a publisher lists, its month pattern gives and its catalog names."""
        for url in publisher.files:
            yield Published(url, publisher.license)
        if publisher.monthly:
            for month in periods(publisher.first_month, publisher.last_month or f"{self.today:%Y-%m}"):
                year, number = month.split("-")
                yield Published(publisher.monthly.format(ar=year, manad=number), publisher.license, True)
        if publisher.catalog:
            content, content_type = self.fetcher.content(publisher.catalog)
            for published in catalog_files(content, content_type, publisher.catalog):
                yield Published(published.url, published.license or publisher.license)

    def _file(self, publisher: Publisher, published: Published, folder: Path, outcome: Outcome) -> None:
        known = self._state(published.url)
        target = folder / self._name(published.url)
        try:
            fetched = self.fetcher.download(published.url, target, known)
        except FetchFailed as failed:
            if published.may_be_missing and failed.not_there:
                outcome.not_published += 1
            else:
                outcome.errors.append(str(failed))
            return
        if fetched.path is None:
            outcome.unchanged += 1
            return
        self._load(publisher, published, fetched.path, fetched.sha256, outcome,
                   {"etag": fetched.validators.etag, "last_modified": fetched.validators.last_modified})
        fetched.path.unlink(missing_ok=True)

    def _api(self, publisher: Publisher, folder: Path, outcome: Outcome) -> None:
        """Every page of a JSON API (rows in results, rows or the page itself; the next page in
        next_url or next), gathered into one JSON file and loaded as one."""
        target = folder / f"{_slug(publisher.name)}_api.json"
        url, seen = publisher.api, set()
        with target.open("w", encoding="utf-8") as handle:
            handle.write("[")
            separator = ""
            while url:
                if len(seen) == _MAX_PAGES:
                    raise FetchFailed(f"{publisher.api}: fler än {_MAX_PAGES} sidor; läste inte vidare")
                if url in seen:
                    raise FetchFailed(f"{url}: sidorna pekar i en cirkel")
                seen.add(url)
                page = self.fetcher.json(url)
                rows = page if isinstance(page, list) else page.get("results", page.get("rows")) \
                    if isinstance(page, dict) else None
                if not isinstance(rows, list):
                    raise FetchFailed(f"{url}: väntade en lista av rader (results, rows eller en lista)")
                for row in rows:
                    handle.write(separator + json.dumps(row, ensure_ascii=False))
                    separator = ",\n"
                following = page.get("next_url") or page.get("next") if isinstance(page, dict) else None
                url = urljoin(url, following) if isinstance(following, str) and following else None
            handle.write("]")
        self._load(publisher, Published(publisher.api, publisher.license), target, None, outcome, {})

    def _load(self, publisher: Publisher, published: Published, path: Path, sha256: str | None,
              outcome: Outcome, validators: dict) -> None:
        conn = self.db.conn
        if sha256 is None:
            with path.open("rb") as handle:
                sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        if conn.execute("SELECT 1 FROM kallfiler WHERE sha256 = ?", [sha256]).fetchone():
            outcome.unchanged += 1
            self._remember(published.url, {**validators, "sha256": sha256})
            return
        earlier = conn.execute("SELECT 1 FROM kallfiler WHERE kalla = ?", [published.url]).fetchone()
        options = LoadOptions(publisher.buyer_id, publisher.buyer_name, None, publisher.profile,
                              published.url, published.license, replace=bool(earlier))
        result = load_file(self.db, path, self.profiles, options)
        if result.status == REFUSED:
            outcome.refused.append(f"{published.url}: vägrades: {result.message}")
            return
        if result.status == LOADED:
            outcome.changed += bool(earlier)
            outcome.new += not earlier
        elif result.status == SKIPPED:
            outcome.unchanged += 1
        self._remember(published.url, {**validators, "sha256": sha256})

    def _name(self, url: str) -> str:
        """The file's name as loaded: its URL's last segment, which keeps a month in the name
        for the loader to read, unless that name is taken by another URL or the URL has a query."""
        parts = urlsplit(url)
        name = PurePosixPath(parts.path).name or "fil"
        taken = self.db.conn.execute("SELECT 1 FROM kallfiler WHERE filnamn = ? AND kalla IS NOT ?",
                                     [name, url]).fetchone()
        if parts.query or taken:
            stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
            name = f"{stem}_{hashlib.sha1(url.encode()).hexdigest()[:10]}{suffix}"
        return name

    def _state(self, url: str) -> Validators:
        row = self.db.conn.execute("SELECT varde FROM databasinfo WHERE nyckel = ?", [_STATE + url]).fetchone()
        if row is None:
            return Validators()
        state = json.loads(row[0])
        loaded = self.db.conn.execute("SELECT 1 FROM kallfiler WHERE sha256 = ?", [state.get("sha256")]).fetchone()
        # Asked conditionally only while the version remembered is still in the database.
        return Validators(state.get("etag"), state.get("last_modified")) if loaded else Validators()

    def _remember(self, url: str, state: dict) -> None:
        state["hamtad"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.db.conn.execute("INSERT INTO databasinfo VALUES (?, ?) ON CONFLICT DO UPDATE SET varde = excluded.varde",
                             [_STATE + url, json.dumps(state, ensure_ascii=False)])


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold().translate(str.maketrans("åäö", "aao"))).strip("_") or "kalla"

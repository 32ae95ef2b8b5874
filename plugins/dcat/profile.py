"""The DCAT-AP-SE profile: catalog facts in, an rdflib Graph out (as ckanext-dcat does it, one
class for the profile, serialised by rdflib, never by string templates)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from openup.archive import MEDIA_TYPE
from openup.columns import PUBLISHED_COLUMNS
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF

from .catalog import BuyerYear, CatalogFacts


class _Terms:
    """A namespace whose terms are made once: rdflib makes a new URIRef on every attribute
    access, which was a sixth of the time to build a large catalog."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term = self._namespace[name]
        setattr(self, name, term)
        return term


DCAT = _Terms(Namespace("http://www.w3.org/ns/dcat#"))
DCATAP = _Terms(Namespace("http://data.europa.eu/r5r/"))
VCARD = _Terms(Namespace("http://www.w3.org/2006/vcard/ns#"))
DCTERMS = _Terms(DCTERMS)
FOAF = _Terms(FOAF)
RDF = _Terms(RDF)
ADMS_TYPE = Namespace("http://purl.org/adms/publishertype/")
EU = "http://publications.europa.eu/resource/authority/"
THEME = Namespace(EU + "data-theme/")
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
SWEDEN = URIRef("http://sws.geonames.org/2661886")
PORTAL_ORGANISATION = "http://dataportal.se/organisation/SE"
# Terms every dataset shares, made once (making an rdflib term costs as much as adding it).
GOVE, ECON = THEME.GOVE, THEME.ECON
PUBLIC = URIRef(EU + "access-right/PUBLIC")
MONTHLY = URIRef(EU + "frequency/MONTHLY")
STABLE = URIRef(EU + "planned-availability/STABLE")
REST = URIRef("http://www.wikidata.org/entity/Q749568")  # DCAT-AP-SE's "architectural style"
KEYWORDS = (Literal("leverantörsreskontra", lang="sv"), Literal("offentliga inköp", lang="sv"),
            Literal("fakturor", lang="sv"), Literal("upphandling", lang="sv"),
            Literal("supplier ledger", lang="en"))
DISTRIBUTIONS = (  # suffix, media type, title sv, title en
    ("csv", Literal("text/csv"), Literal("CSV-fil för året", lang="sv"),
     Literal("CSV file for the year", lang="en")),
    ("json", Literal("application/json"), Literal("JSON-API för året", lang="sv"),
     Literal("JSON API for the year", lang="en")),
    ("sqlite", Literal("application/vnd.sqlite3"), Literal("Hela databasen (SQLite)", lang="sv"),
     Literal("The whole database (SQLite)", lang="en")),
)
# The SQLite distribution's titles when each year's rows are a database of their own (openup shard).
YEAR_DATABASE_TITLES = (Literal("Årets databas, alla köpare (SQLite)", lang="sv"),
                        Literal("The year's database, every buyer (SQLite)", lang="en"))
# The year's rows as Parquet (openup shard writes it beside the year's database), for bulk use.
YEAR_ARCHIVE = ("parquet", Literal(MEDIA_TYPE), Literal("Årets rader, alla köpare (Parquet)", lang="sv"),
                Literal("The year's rows, every buyer (Parquet)", lang="en"))
# The CSV of a buyer and year: the specification's columns, every row (streamed), as a download.
_CSV_OPTIONS = urlencode([*(("_col", c) for c in PUBLISHED_COLUMNS), ("_sort", "id"), ("_stream", "on"),
                          ("_size", "max"), ("_nofacet", "1"), ("_dl", "1")])
# Stable identifiers: the same buyer and year give the same UUID in every rebuild.
IDENTIFIER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://openup.se/leverantorsreskontra")


@dataclass(frozen=True)
class CatalogConfig:
    """The instance's own facts, from metadata.yml (plugins: openup-dcat)."""

    base_url: str
    publisher_name: str
    publisher_orgnr: str
    publisher_type: str
    contact_name: str
    contact_email: str
    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    specification: str
    homepage: str

    @classmethod
    def from_plugin_config(cls, config: dict, base_url: str) -> CatalogConfig:
        publisher, contact = config["publisher"], config["contact"]
        return cls(
            base_url=base_url.rstrip("/"),
            publisher_name=publisher["name"], publisher_orgnr=publisher["orgnr"],
            publisher_type=publisher["type"], contact_name=contact["name"],
            contact_email=contact["email"], title_sv=config["title"]["sv"],
            title_en=config["title"]["en"], description_sv=config["description"]["sv"],
            description_en=config["description"]["en"], specification=config["specification"],
            homepage=config.get("homepage") or base_url.rstrip("/") + "/",
        )


def dataset_identifier(orgnr: str, year: int) -> str:
    return str(uuid.uuid5(IDENTIFIER_NAMESPACE, f"{orgnr}/{year}"))


class DcatApSeProfile:
    """Builds the catalog graph dataportal.se harvests."""

    def __init__(self, config: CatalogConfig):
        self.config = config
        self.base = config.base_url

    def graph(self, facts: CatalogFacts) -> Graph:
        graph = Graph(store="SimpleMemory")  # half the cost of the default, context-aware store
        for prefix, terms in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
                              ("dcatap", DCATAP)):
            graph.bind(prefix, terms._namespace)
        self.graph_ = graph
        self._store_add = graph.store.add  # Graph.add only re-checks the terms made here
        self.specification = URIRef(self.config.specification)
        self.openapi = URIRef(f"{self.base}/openapi.json")
        self.contact = None
        self.issued = _date_time(facts.first_loaded) if facts.first_loaded else None
        self.modified = _date_time(facts.last_loaded) if facts.last_loaded else None
        catalog = URIRef(f"{self.base}/datasets/catalog")
        service = URIRef(f"{self.base}/datasets/api")
        self._catalog(catalog, facts)
        self._data_service(service, facts)
        graph.add((catalog, DCAT.service, service))
        seen_publishers: set[str] = set()
        for dataset in facts.datasets:
            if dataset.orgnr not in seen_publishers:
                seen_publishers.add(dataset.orgnr)
                self._agent(dataset.orgnr, dataset.name, dataset.publisher_type)
            uri = self._dataset(dataset, facts, service)
            graph.add((catalog, DCAT.dataset, uri))
            graph.add((service, DCAT.servesDataset, uri))
        return graph

    def _add(self, subject, predicate, obj) -> None:
        self._store_add((subject, predicate, obj), self.graph_)

    def _texts(self, subject, predicate, sv: str, en: str) -> None:
        self._add(subject, predicate, Literal(sv, lang="sv"))
        self._add(subject, predicate, Literal(en, lang="en"))

    def _catalog(self, catalog: URIRef, facts: CatalogFacts) -> None:
        config = self.config
        self._add(catalog, RDF.type, DCAT.Catalog)
        self._texts(catalog, DCTERMS.title, config.title_sv, config.title_en)
        self._texts(catalog, DCTERMS.description, config.description_sv, config.description_en)
        self._add(catalog, DCTERMS.publisher,
                  self._agent(config.publisher_orgnr, config.publisher_name, config.publisher_type))
        self._add(catalog, DCTERMS.license, CC0)
        self._add(catalog, DCTERMS.language, URIRef(EU + "language/SWE"))
        self._add(catalog, DCAT.themeTaxonomy, URIRef(EU + "data-theme"))
        self._add(catalog, FOAF.homepage, URIRef(config.homepage))
        self._add(catalog, DCTERMS.spatial, SWEDEN)
        if facts.first_loaded:
            self._add(catalog, DCTERMS.issued, _date_time(facts.first_loaded))
        if facts.last_loaded:
            self._add(catalog, DCTERMS.modified, _date_time(facts.last_loaded))

    def _agent(self, orgnr: str, name: str, kind: str) -> URIRef:
        agent = URIRef(PORTAL_ORGANISATION + orgnr.replace("-", ""))
        self._add(agent, RDF.type, FOAF.Agent)
        self._add(agent, FOAF.name, Literal(name, lang="sv"))
        self._add(agent, DCTERMS.type, ADMS_TYPE[kind])
        self._add(agent, DCTERMS.identifier, Literal(orgnr))
        return agent

    def _contact(self) -> URIRef:
        """The contact point of every dataset: those running the instance answer for the copy."""
        if self.contact is not None:
            return self.contact
        contact = self.contact = URIRef(f"{self.base}/datasets/kontakt")
        self._add(contact, RDF.type, VCARD.Organization)
        self._add(contact, VCARD.fn, Literal(self.config.contact_name, lang="sv"))
        self._add(contact, VCARD.hasEmail, URIRef(f"mailto:{self.config.contact_email}"))
        return contact

    def _dataset(self, dataset: BuyerYear, facts: CatalogFacts, service: URIRef) -> URIRef:
        orgnr, year = dataset.orgnr, dataset.year
        uri = URIRef(f"{self.base}/datasets/leverantorsreskontra/{orgnr}/{year}")
        self._add(uri, RDF.type, DCAT.Dataset)
        self._texts(uri, DCTERMS.title, f"Leverantörsreskontra {dataset.name} {year}",
                    f"Supplier ledger {dataset.name} {year}")
        self._texts(
            uri, DCTERMS.description,
            f"Leverantörsfakturor som {dataset.name} betalade {year}, en rad per kontering, belopp "
            "exklusive moms, enligt den nationella specifikationen för leverantörsreskontra. "
            "Enskilda näringsidkares personnummer är maskerade.",
            f"Supplier invoices paid by {dataset.name} in {year}, one row per account posting, "
            "amounts excluding VAT, following the Swedish national specification for supplier "
            "ledgers. Sole traders' personal identity numbers are masked.")
        self._add(uri, DCTERMS.publisher, URIRef(PORTAL_ORGANISATION + orgnr.replace("-", "")))
        self._add(uri, DCAT.contactPoint, self._contact())
        for keyword in KEYWORDS:
            self._add(uri, DCAT.keyword, keyword)
        self._add(uri, DCAT.theme, GOVE)
        self._add(uri, DCAT.theme, ECON)
        self._add(uri, DCTERMS.conformsTo, self.specification)
        self._add(uri, DCTERMS.spatial, SWEDEN)
        period = URIRef(f"{uri}#period")
        self._add(uri, DCTERMS.temporal, period)
        self._add(period, RDF.type, DCTERMS.PeriodOfTime)
        self._add(period, DCAT.startDate, Literal(dataset.start, datatype=XSD.date))
        self._add(period, DCAT.endDate, Literal(dataset.end, datatype=XSD.date))
        if facts.first_loaded:
            self._add(uri, DCTERMS.issued, self.issued)
        if facts.last_loaded:
            self._add(uri, DCTERMS.modified, self.modified)
        self._add(uri, DCTERMS.accessRights, PUBLIC)
        self._add(uri, DCTERMS.accrualPeriodicity, MONTHLY)
        self._add(uri, DCTERMS.identifier, Literal(dataset_identifier(orgnr, year)))
        self._add(uri, DCAT.landingPage,
                  URIRef(f"{self.base}/{facts.database}/kopare/{quote(orgnr)}"))
        for distribution in self._distributions(uri, dataset, facts, service):
            self._add(uri, DCAT.distribution, distribution)
        return uri

    def _distributions(self, dataset_uri: URIRef, dataset: BuyerYear, facts: CatalogFacts,
                       service: URIRef) -> list[URIRef]:
        year = dataset.year
        rows_database = facts.rows_database(year)
        rows = f"{self.base}/{rows_database}/leverantorsreskontra"
        filters = urlencode([("kopare_id", dataset.orgnr), ("bokforingsdatum__gte", f"{year}-01-01"),
                             ("bokforingsdatum__lte", f"{year}-12-31")])
        license_ = URIRef(dataset.license) if dataset.license else CC0  # the buyer's, if it gave one
        urls = {"csv": URIRef(f"{rows}.csv?{filters}&{_CSV_OPTIONS}"),
                "json": URIRef(f"{rows}.json?{filters}&_shape=objects"),
                "sqlite": URIRef(f"{self.base}/{rows_database}.db"),
                "parquet": URIRef(f"{self.base}/{rows_database}.parquet")}
        sharded = rows_database != facts.database
        made = []
        for suffix, media_type, title_sv, title_en in (*DISTRIBUTIONS, *((YEAR_ARCHIVE,) if sharded else ())):
            distribution = URIRef(f"{dataset_uri}/{suffix}")
            self._add(distribution, RDF.type, DCAT.Distribution)
            if suffix == "sqlite" and sharded:
                title_sv, title_en = YEAR_DATABASE_TITLES
            self._add(distribution, DCTERMS.title, title_sv)
            self._add(distribution, DCTERMS.title, title_en)
            self._add(distribution, DCAT.accessURL, urls[suffix])
            if suffix != "json":
                self._add(distribution, DCAT.downloadURL, urls[suffix])
            else:
                self._add(distribution, DCAT.accessService, service)
                self._add(distribution, DCTERMS.conformsTo, self.openapi)
            self._add(distribution, DCTERMS.format, media_type)
            self._add(distribution, DCTERMS.license, license_)
            self._add(distribution, DCATAP.availability, STABLE)
            made.append(distribution)
        return made

    def _data_service(self, service: URIRef, facts: CatalogFacts) -> None:
        self._add(service, RDF.type, DCAT.DataService)
        self._texts(service, DCTERMS.title, "Open Up JSON-API för leverantörsreskontror",
                    "Open Up JSON API for supplier ledgers")
        self._texts(service, DCTERMS.description,
                    "Läs raderna, summeringarna och de färdiga frågorna som JSON. Öppet för alla.",
                    "Read the rows, the summaries and the prepared queries as JSON. Open to all.")
        self._add(service, DCAT.endpointURL, URIRef(f"{self.base}/{facts.database}"))
        self._add(service, DCAT.endpointDescription, URIRef(f"{self.base}/openapi.json"))
        self._add(service, DCTERMS.format, Literal("application/json"))
        self._add(service, DCTERMS.type, REST)
        self._add(service, DCTERMS.conformsTo, URIRef("https://spec.openapis.org/oas/v3.0.3"))
        self._add(service, DCAT.contactPoint, self._contact())
        self._add(service, DCTERMS.publisher, URIRef(PORTAL_ORGANISATION
                                                     + self.config.publisher_orgnr.replace("-", "")))
        self._add(service, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC"))
        self._add(service, DCTERMS.license, CC0)
        self._add(service, DCAT.keyword, Literal("leverantörsreskontra", lang="sv"))


def _date_time(text: str) -> Literal:
    return Literal(text, datatype=XSD.dateTime)

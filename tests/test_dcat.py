"""The DCAT-AP-SE catalog (plugins/dcat) and the OpenAPI document it points to."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from openup_plugins import dcat as dcat_plugin
from openup_plugins.instance import make_datasette
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from .conftest import run_openup

DCAT = Namespace("http://www.w3.org/ns/dcat#")
BASE = "https://data.exempel.se"
SHARED_SHAPES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dcat-ap-3.0.1"
OUR_SHAPES = Path(__file__).parent / "shapes" / "dcat-ap-se.ttl"


@pytest.fixture(scope="module")
def datasette(sample_db):
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENUP_BASE_URL", BASE)
    dcat_plugin._cache.clear()
    yield make_datasette([sample_db])
    mp.undo()


@pytest.fixture(scope="module")
def graphs(datasette):
    async def fetch():
        graphs = {}
        for suffix, rdf_format in (("", "xml"), (".ttl", "turtle"), (".jsonld", "json-ld")):
            response = await datasette.client.get(f"/datasets/dcat{suffix}")
            assert response.status_code == 200
            graphs[rdf_format] = Graph().parse(data=response.content, format=rdf_format)
        return graphs

    return asyncio.run(fetch())


def local(url: str) -> str:
    assert url.startswith(BASE), url
    return url[len(BASE):]


async def test_three_serialisations_parse_and_are_isomorphic(graphs):
    assert len(graphs["xml"]) > 100
    assert isomorphic(graphs["xml"], graphs["turtle"])
    assert isomorphic(graphs["xml"], graphs["json-ld"])


@pytest.mark.parametrize("accept, media_type", [
    ("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"), ("*/*", "application/rdf+xml")])
async def test_harvest_path_honours_accept(datasette, accept, media_type):
    response = await datasette.client.get("/datasets/dcat", headers={"Accept": accept})
    assert response.headers["content-type"].startswith(media_type)


async def test_one_dataset_per_buyer_and_year(graphs, sample_db):
    graph = graphs["turtle"]
    with sqlite3.connect(sample_db) as conn:
        expected = {f"{BASE}/datasets/leverantorsreskontra/{b}/{y}" for b, y in conn.execute(
            "SELECT DISTINCT kopare_id, substr(bokforingsdatum, 1, 4) FROM leverantorsreskontra")}
    assert {str(d) for d in graph.subjects(RDF.type, DCAT.Dataset)} == expected
    dataset = URIRef(f"{BASE}/datasets/leverantorsreskontra/212000-1355/2023")
    titles = {str(t) for t in graph.objects(dataset, DCTERMS.title)}
    assert "Leverantörsreskontra Göteborgs Stad 2023" in titles
    publisher = graph.value(dataset, DCTERMS.publisher)
    assert str(publisher) == "http://dataportal.se/organisation/SE2120001355"
    assert str(graph.value(publisher, DCTERMS.type)) == "http://purl.org/adms/publishertype/LocalAuthority"
    period = graph.value(dataset, DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)) == "2023-03-01"


async def test_every_uri_is_absolute_from_the_base_url_and_nothing_is_blank(graphs):
    graph = graphs["turtle"]
    for subject in set(graph.subjects()):
        assert isinstance(subject, URIRef), subject
    ours = [str(n) for n in set(graph.subjects()) | set(graph.objects())
            if isinstance(n, URIRef) and "127.0.0.1" in str(n) or "localhost" in str(n)]
    assert ours == []


async def test_catalog_conforms_to_our_swedish_shapes(graphs):
    from pyshacl import validate

    conforms, _, report = validate(graphs["turtle"], shacl_graph=str(OUR_SHAPES), inference="none")
    assert conforms, report


async def test_our_shapes_can_fail():
    from pyshacl import validate

    broken = Graph().parse(data="""
        @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        <https://x.se/catalog> a dcat:Catalog ; dct:title "no language" ;
            dct:license <http://creativecommons.org/licenses/by/4.0/> .
        _:d a dcat:Distribution ; dcat:accessURL <https://x.se/f.csv> .
    """, format="turtle")
    conforms, _, report = validate(broken, shacl_graph=str(OUR_SHAPES), inference="none")
    assert not conforms
    for rule in ("hasValue", "datatype", "publisher", "format", "NodeKind"):
        assert rule.lower() in report.lower(), rule


@pytest.mark.skipif(not SHARED_SHAPES.exists(), reason="../shared/reference is not beside the project")
async def test_eu_base_shapes_report_only_the_documented_format_literal_divergence(graphs):
    from pyshacl import validate

    _, results, _ = validate(graphs["turtle"], shacl_graph=str(SHARED_SHAPES / "shapes.ttl"),
                             inference="none")
    sh = Namespace("http://www.w3.org/ns/shacl#")
    violations = [(results.value(r, sh.resultPath), results.value(r, sh.sourceConstraintComponent))
                  for r in results.subjects(sh.resultSeverity, sh.Violation)]
    unexpected = [v for v in violations if v != (DCTERMS["format"], sh.NodeKindConstraintComponent)]
    assert unexpected == []


async def test_every_access_and_download_url_answers_in_its_format(datasette, graphs):
    graph = graphs["turtle"]
    checked = set()
    for distribution in graph.subjects(RDF.type, DCAT.Distribution):
        media_type = str(graph.value(distribution, DCTERMS["format"]))
        for predicate in (DCAT.accessURL, DCAT.downloadURL):
            for url in graph.objects(distribution, predicate):
                if str(url) in checked:
                    continue
                checked.add(str(url))
                response = await datasette.client.get(local(str(url)))
                assert response.status_code == 200, url
                assert response.headers["content-type"].split(";")[0] in (
                    media_type, "application/octet-stream" if media_type.endswith("sqlite3") else media_type)
    assert len(checked) > 10


async def test_csv_of_a_buyer_year_has_exactly_its_rows(datasette, graphs, sample_db):
    graph = graphs["turtle"]
    dataset = URIRef(f"{BASE}/datasets/leverantorsreskontra/212000-1355/2023")
    csv_url = next(str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(dataset, DCAT.distribution)
                   if str(graph.value(d, DCTERMS["format"])) == "text/csv")
    assert parse_qs(urlsplit(csv_url).query)["_stream"] == ["on"]
    response = await datasette.client.get(local(csv_url))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    with sqlite3.connect(sample_db) as conn:
        expected = conn.execute("SELECT count(*), round(sum(nettobelopp), 2) FROM leverantorsreskontra "
                                "WHERE kopare_id = '212000-1355' AND bokforingsdatum LIKE '2023%'").fetchone()
    assert (len(rows), round(sum(float(r["nettobelopp"]) for r in rows), 2)) == expected
    assert {r["kopare_id"] for r in rows} == {"212000-1355"}


async def test_data_service_points_at_the_openapi_document(graphs):
    graph = graphs["turtle"]
    (service,) = graph.subjects(RDF.type, DCAT.DataService)
    assert str(graph.value(service, DCAT.endpointDescription)) == f"{BASE}/openapi.json"
    assert len(list(graph.objects(service, DCAT.servesDataset))) == len(
        list(graph.subjects(RDF.type, DCAT.Dataset)))


async def test_openapi_document_is_valid_and_complete(datasette, sample_db):
    from openapi_spec_validator import validate

    response = await datasette.client.get("/openapi.json")
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    validate(document)
    name = sample_db.stem
    tables = await datasette.databases[name].table_names()
    hidden = await datasette.databases[name].hidden_table_names()
    for table in set(tables) - set(hidden):
        assert f"/{name}/{table}.json" in document["paths"], table
    for query in await datasette.get_canned_queries(name, None):
        assert f"/{name}/{query}.json" in document["paths"], query
    from openup.indicators import INDICATORS

    for slug in INDICATORS:
        assert f"/inkop/flaggor/{slug}.json" in document["paths"], slug
    for path in ("/inkop.json", "/inkop/kopare/{orgnr}.json", "/inkop/leverantor/{orgnr}.json",
                 "/inkop/jamfor.json", "/inkop/kvalitet.json", "/inkop/flaggor.json"):
        assert path in document["paths"], path
    assert document["servers"] == [{"url": BASE}]


async def test_catalog_is_cached_until_the_database_changes(sample_dir, tmp_path):
    from datasette.app import Datasette
    from openup_plugins.instance import instance_metadata

    db = tmp_path / "live.db"
    files = sorted(sample_dir.glob("vgr_leverantorsreskontra_*.csv"))
    assert run_openup("load", "--db", db, files[0]).exit_code == 0
    live = Datasette([str(db)], metadata=instance_metadata([db.stem]))
    dcat_plugin._cache.clear()
    first = (await live.client.get("/datasets/dcat.ttl")).text
    cached_graph = dcat_plugin._cache[db.stem].graph
    assert (await live.client.get("/datasets/dcat.ttl")).text == first
    assert dcat_plugin._cache[db.stem].graph is cached_graph
    assert run_openup("load", "--db", db, files[1]).exit_code == 0
    assert (await live.client.get("/datasets/dcat.ttl")).text != first
    assert dcat_plugin._cache[db.stem].graph is not cached_graph


async def test_identifiers_and_uris_are_stable_across_rebuilds(sample_dir, tmp_path):
    from datasette.app import Datasette
    from openup_plugins.instance import instance_metadata

    identifiers = []
    for attempt in ("a", "b"):
        db = tmp_path / attempt / "openup.db"
        db.parent.mkdir()
        assert run_openup("load", "--db", db, *sorted(sample_dir.glob("vgr_*.csv"))).exit_code == 0
        dcat_plugin._cache.clear()
        instance = Datasette([str(db)], metadata=instance_metadata([db.stem]))
        graph = Graph().parse(data=(await instance.client.get("/datasets/dcat.ttl")).text,
                              format="turtle")
        identifiers.append({(str(d), str(graph.value(d, DCTERMS.identifier)))
                            for d in graph.subjects(RDF.type, DCAT.Dataset)})
    assert identifiers[0] == identifiers[1] and len(identifiers[0]) == 2  # VGR 2022 and 2023


async def test_a_buyers_own_licence_goes_on_its_distributions(sample_dir, tmp_path):
    from datasette.app import Datasette
    from openup_plugins.instance import instance_metadata

    db = tmp_path / "openup.db"
    cc_by = "http://creativecommons.org/licenses/by/4.0/"
    assert run_openup("load", "--db", db, "--license", cc_by,
                      *sorted(sample_dir.glob("vgr_leverantorsreskontra_*.csv"))).exit_code == 0
    dcat_plugin._cache.clear()
    instance = Datasette([str(db)], metadata=instance_metadata([db.stem]))
    graph = Graph().parse(data=(await instance.client.get("/datasets/dcat.ttl")).text, format="turtle")
    licences = {str(graph.value(d, DCTERMS.license)) for d in graph.subjects(RDF.type, DCAT.Distribution)}
    assert licences == {cc_by}
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert str(graph.value(catalog, DCTERMS.license)) == "http://creativecommons.org/publicdomain/zero/1.0/"


def test_links_work_on_any_port_without_configuration(sample_db, monkeypatch):
    """Served on a free port with no base URL set, every distribution URL answers 200."""
    import urllib.request

    from .browser import serving

    monkeypatch.delenv("OPENUP_BASE_URL", raising=False)
    with serving(sample_db) as base:
        graph = Graph().parse(data=urllib.request.urlopen(f"{base}/datasets/dcat.ttl").read(), format="turtle")
        urls = {str(o) for p in (DCAT.accessURL, DCAT.downloadURL, DCAT.endpointURL)
                for o in graph.objects(None, p)}
        assert urls and all(url.startswith(base) for url in urls), sorted(urls)[:3]
        for url in sorted(urls)[:40]:
            with urllib.request.urlopen(url, timeout=60) as response:
                assert response.status == 200 and response.read(), url

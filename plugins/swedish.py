"""What readers see, in Swedish: column headings in words, and numbers as Swedish writes them
(1 234 567,89 kr, 12,5 %, 13 415 rader). Only the pages: the JSON and CSV keep plain numbers
and the national specification's column names, which the pages show beside each heading for
those who write SQL."""

from __future__ import annotations

import json

from datasette import hookimpl
from openup.values import swedish_number

HEADINGS = {
    # the ledger, as the national specification names its columns
    "id": "Nr", "kopare_id": "Köparens org.nr", "kopare": "Köpare", "verifikationsnummer": "Verifikation",
    "leverantor": "Leverantör", "leverantor_id": "Leverantörens org.nr", "konto_nr": "Konto",
    "konto_text": "Kontotext", "bokforingsdatum": "Datum", "forvaltning": "Förvaltning",
    "fakturanummer": "Fakturanummer", "nettobelopp": "Belopp (kr)", "grund": "Upphandlingsgrund",
    "avtal": "Avtal", "kommun_id": "Kommunkod", "s_kod_nr": "S-kod", "faktura_typ": "Fakturatyp",
    "leverantor_id_typ": "Typ av id", "leverantor_nyckel": "Leverantörsnyckel",
    "datum_precision": "Datumets precision", "maskerad": "Maskerad", "kallfil_id": "Källfil",
    "kallrad": "Rad i källfilen",
    # source files, rejected lines and buyers
    "filnamn": "Fil", "sha256": "SHA-256", "profil": "Källprofil", "format": "Format",
    "teckenkodning": "Teckenkodning", "avgransare": "Avgränsare", "blad": "Blad", "period": "Period",
    "rader_lasta": "Lästa rader", "rader_inlasta": "Inlästa rader", "rader_avvisade": "Avvisade rader",
    "rader_tomma": "Tomma rader", "rader_maskerade": "Maskerade rader", "forsta_id": "Första nr",
    "sista_id": "Sista nr", "saknade_kolumner": "Saknade kolumner", "okanda_kolumner": "Okända kolumner",
    "korrigeringar": "Korrigeringar", "kalla": "Källa", "licens": "Licens", "inlast": "Inläst",
    "sekunder": "Sekunder", "rad": "Rad", "kolumn": "Kolumn", "orsak": "Orsak", "innehall": "Innehåll",
    "typ": "Typ", "forsta_datum": "Första datum", "sista_datum": "Sista datum", "latitud": "Latitud",
    "longitud": "Longitud", "popup": "Kartans ruta", "namnvarianter": "Namnvarianter", "namnform": "Förenklat namn",
    # summaries, invoices and flags
    "manad": "Månad", "ar": "År", "summa": "Summa (kr)", "rader": "Rader", "leverantorer": "Leverantörer",
    "fakturor": "Fakturor", "median_faktura": "Medianfaktura (kr)", "rader_med_avtal": "Rader med avtal",
    "med_verifikationsnummer": "Med verifikation", "med_leverantor_id": "Med leverantörs-id",
    "med_konto_nr": "Med konto", "med_konto_text": "Med kontotext", "med_forvaltning": "Med förvaltning",
    "med_fakturanummer": "Med fakturanummer", "med_avtal": "Med avtal",
    "organisationsnummer": "Med giltigt org.nr", "dagsdatum": "Med dagsdatum", "maskerade": "Maskerade",
    "fakturanyckel": "Fakturanyckel", "konteringar": "Konteringar", "har_avtal": "Har avtal",
    "forsta_kallrad": "Första rad i källfilen", "indikator": "Indikator", "belopp": "Belopp (kr)",
    "sortering": "Mått", "detaljer": "Detaljer", "rader_url": "Raderna", "fran": "Från", "till": "Till",
    "lag": "Lag", "grans": "Gräns (kr)", "nyckel": "Nyckel", "varde": "Värde",
    # fields of the indicators' hits and the pages' figures
    "manader": "Månader med rader", "fran_datum": "Från", "till_datum": "Till", "forsta_ar": "Första år",
    "sista_ar": "Sista år", "jamna": "Jämna belopp", "andel_jamna": "Andel jämna (%)",
    "kopare_andel_jamna": "Köparens andel jämna (%)", "hhi": "HHI",
    "andel_topp": "Största leverantörens andel (%)", "per_dag_slut": "Per dag i slutet (kr)",
    "per_dag_ovrigt": "Per dag i övrigt (kr)", "kvot": "Kvot", "mad": "Avvikelse (MAD)",
    "mest_overrepresenterad": "Mest överrepresenterade siffra",
}

# Datasette's filter operations, by their key.
LOOKUPS = {
    "exact": "=", "not": "≠", "contains": "innehåller", "endswith": "slutar med", "startswith": "börjar med",
    "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "like": "liknar (LIKE)", "notlike": "liknar inte (LIKE)",
    "glob": "matchar (GLOB)", "in": "är en av", "notin": "är ingen av", "arraycontains": "listan innehåller",
    "arraynotcontains": "listan innehåller inte", "date": "har datumet", "isnull": "saknas",
    "notnull": "finns", "isblank": "är tom", "notblank": "är inte tom",
}

# The words of Datasette's table.js (column menus) and datasette-vega (charting options), which
# have no translations of their own: replaced in the page as those scripts write them.
SCRIPT_WORDS = {
    "Sort ascending": "Sortera stigande", "Sort descending": "Sortera fallande",
    "Facet by this": "Sammanställ efter kolumnen", "Hide this column": "Dölj kolumnen",
    "Show all columns": "Visa alla kolumner", "Remove this filter": "Ta bort filtret",
    "Show charting options": "Visa diagramval", "Hide charting options": "Dölj diagramval",
    "Charting options": "Diagramval", "Mark": "Diagramtyp", "Bar": "Staplar", "Line": "Linje",
    "Scatter": "Punkter", "X column": "X-kolumn", "Y column": "Y-kolumn", "Color": "Färg",
    "Size": "Storlek", "Type": "Typ", "-- none --": "-- ingen --", "Label": "Etikett",
    "Save as PNG": "Spara som PNG", "Save as SVG": "Spara som SVG", "View Source": "Visa källkoden",
    "Open in Vega Editor": "Öppna i Vega Editor", "Numeric": "Tal", "Date/time": "Datum/tid",
    "Swap X and Y": "Byt X och Y", "Numeric, binned": "Tal, i intervall",
    "Date/time, binned": "Datum/tid, i intervall", "Category": "Kategori",
}
_TRANSLATING_SCRIPT = """(() => {
  const words = %s;
  const translate = (node) => {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const trimmed = text.nodeValue.trim();
      if (words[trimmed]) text.nodeValue = text.nodeValue.replace(trimmed, words[trimmed]);
      else if (trimmed.startsWith("Type: ")) text.nodeValue = text.nodeValue.replace("Type: ", "Typ: ");
    }
  };
  const within = (node) => {
    const element = node.nodeType === Node.TEXT_NODE ? node.parentNode : node;
    if (element && element.nodeType === Node.ELEMENT_NODE) translate(element);
  };
  translate(document.body);
  new MutationObserver((changes) => changes.forEach((change) => {
    if (change.type === "characterData") within(change.target);
    change.addedNodes.forEach(within);
  })).observe(document.body, {childList: true, subtree: true, characterData: true});
})();"""

# Shown with two decimals (kronor and öre), and counts with their thousands apart.
MONEY = {"nettobelopp", "summa", "belopp", "grans", "median_faktura", "per_dag_slut", "per_dag_ovrigt"}
COUNTS = {"rader", "rader_lasta", "rader_inlasta", "rader_avvisade", "rader_tomma", "rader_maskerade",
          "rader_med_avtal", "leverantorer", "fakturor", "konteringar", "maskerade", "organisationsnummer",
          "dagsdatum", "jamna", *(name for name in HEADINGS if name.startswith("med_"))}


number = swedish_number


def percent(value: float, decimals: int = 1) -> str:
    return f"{number(value, decimals)} %"


def shown(value, column: str) -> str | None:
    """A number as the pages show it in its column; None where the column is neither money nor
    a count (years, ids and coordinates stay as they are)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if column in MONEY:
        return number(value, 2)
    if column in COUNTS:
        return number(value)
    return None


def in_column(value, column: str):
    """For the pages' own tables: as shown(), any other fraction with two decimals, a list as its
    non-empty items and nothing as blank. A filter, not a macro: a page's table may have 300 rows."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value if item)
    return shown(value, column) or (number(value, 2) if isinstance(value, float) else value)


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["tal"] = number
    env.filters["procent"] = percent
    env.filters["i_kolumn"] = in_column


@hookimpl
def extra_template_vars():
    return {"headings": HEADINGS, "lookups_sv": LOOKUPS}


@hookimpl
def extra_body_script():
    return _TRANSLATING_SCRIPT % json.dumps(SCRIPT_WORDS, ensure_ascii=False)


@hookimpl
def render_cell(value, column):
    return shown(value, column)

"""The published database's tables and columns: the contract between scripts/ and plugins/.

One definition serves three readers: the loader creates the tables from it, `openup schema-doc`
writes docs/schema.md from it, and the instance's metadata is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # SQLite type: TEXT, INTEGER, REAL
    sv: str
    en: str
    unit: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    sv: str
    en: str
    columns: tuple[Column, ...]
    pk: tuple[str, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    fts: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()  # a row's identity, kept indexed even during bulk loads

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def C(name: str, type_: str, sv: str, en: str, unit: str = "") -> Column:
    return Column(name, type_, sv, en, unit)


_BUYER_ID = C("kopare_id", "TEXT", "Köparens organisationsnummer (NNNNNN-NNNN)",
              "Buyer's organisation number (NNNNNN-NNNN)")
_BUYER_NAME = C("kopare", "TEXT", "Köparens namn", "Buyer's name")
_SUPPLIER_KEY = C("leverantor_nyckel", "TEXT",
                  "Leverantörens nyckel: organisations- eller momsnummer, annars namnet",
                  "Supplier key: organisation or VAT number, else the name")
_SUPPLIER_NAME = C("leverantor", "TEXT", "Leverantörens namn (senast sedd)", "Supplier's name (latest seen)")
_NAME_FORM = C("namnform", "TEXT",
               "Namnet förenklat för jämförelse: gemener, utan skiljetecken, aktiebolag som ab",
               "The name simplified for matching: lower case, no punctuation, aktiebolag as ab")
_MONTH = C("manad", "TEXT", "Bokföringsmånad (ÅÅÅÅ-MM)", "Booking month (YYYY-MM)")
_YEAR = C("ar", "INTEGER", "Bokföringsår", "Booking year")
_SUM = C("summa", "REAL", "Summa nettobelopp exklusive moms", "Sum of net amounts excluding VAT", "SEK")
_ROWS = C("rader", "INTEGER", "Antal konteringsrader", "Number of kontering rows")
_FIRST = C("forsta_datum", "TEXT", "Första bokföringsdatum", "First booking date")
_LAST = C("sista_datum", "TEXT", "Sista bokföringsdatum", "Last booking date")

LEDGER = Table(
    "leverantorsreskontra",
    "Leverantörsreskontra: en rad per kontering, belopp exklusive moms, enligt den nationella "
    "specifikationen v1.1",
    "Supplier ledger: one row per kontering (account posting), amounts excluding VAT, following "
    "the national specification v1.1",
    (
        C("id", "INTEGER", "Radens nummer i databasen", "Row number in the database"),
        _BUYER_ID,
        _BUYER_NAME,
        C("verifikationsnummer", "TEXT",
          "Verifikationsnummer: ange det när du begär ut fakturan",
          "Voucher number: quote it to request the invoice"),
        C("leverantor", "TEXT", "Leverantörens namn (enskilda näringsidkare maskerade)",
          "Supplier's name (sole traders masked)"),
        C("leverantor_id", "TEXT",
          "Leverantörens identitet: organisationsnummer NNNNNN-NNNN, momsnummer eller internt "
          "nummer; tomt för enskilda näringsidkare",
          "Supplier id: organisation number NNNNNN-NNNN, VAT or internal number; empty for sole "
          "traders"),
        C("konto_nr", "TEXT", "Kontonummer", "Account number"),
        C("konto_text", "TEXT", "Kontots benämning", "Account name"),
        C("bokforingsdatum", "TEXT",
          "Bokföringsdatum (ÅÅÅÅ-MM-DD; den 1:a när bara månaden är känd, se datum_precision)",
          "Booking date (YYYY-MM-DD; the 1st when only the month is known, see datum_precision)"),
        C("forvaltning", "TEXT", "Förvaltning eller enhet", "Department or unit"),
        C("fakturanummer", "TEXT", "Leverantörens fakturanummer", "Supplier's invoice number"),
        C("nettobelopp", "REAL", "Konterat belopp exklusive moms; negativt för kreditfakturor",
          "Posted amount excluding VAT; negative for credit notes", "SEK"),
        C("grund", "TEXT", "Grund för upphandlingen", "Procurement basis"),
        C("avtal", "TEXT", "Avtalsreferens", "Contract reference"),
        C("kommun_id", "TEXT", "Kommunkod (SCB)", "Municipality code (Statistics Sweden)"),
        C("s_kod_nr", "TEXT", "S-kod", "S-code"),
        C("faktura_typ", "TEXT", "Fakturatyp som utgivaren angav (till exempel NORMAL eller CREDIT)",
          "Invoice type as published (for example NORMAL or CREDIT)"),
        C("leverantor_id_typ", "TEXT",
          "Typ av leverantörsidentitet: organisationsnummer, personnummer, samordningsnummer, "
          "maskerat, enskild_firma, utlandskt_momsnummer, internt, ogiltigt, saknas eller flera",
          "Kind of supplier id: organisationsnummer, personnummer, samordningsnummer, maskerat, "
          "enskild_firma, utlandskt_momsnummer, internt, ogiltigt, saknas or flera"),
        _SUPPLIER_KEY,
        C("datum_precision", "TEXT", "Datumets precision: dag eller manad",
          "Precision of the date: dag (day) or manad (month)"),
        C("maskerad", "INTEGER", "1 om personuppgifter maskerades på raden",
          "1 if personal data was masked on the row"),
        C("kallfil_id", "INTEGER", "Källfilen (kallfiler.id)", "Source file (kallfiler.id)"),
        C("kallrad", "INTEGER", "Rad i källfilen (rad, bladrad eller objektets nummer)",
          "Line in the source file (line, sheet row or object number)"),
    ),
    pk=("id",),
    # The columns a reader filters the ledger by first (buyer, supplier key, supplier id), with
    # nettobelopp: the sum of a filtered ledger page is read from the index alone.
    indexes=(("kopare_id", "bokforingsdatum", "nettobelopp"), ("leverantor_nyckel", "bokforingsdatum", "nettobelopp"),
             ("leverantor_id", "nettobelopp")),
)

SOURCE_FILES = Table(
    "kallfiler",
    "Inlästa källfiler: en rad per fil, med hur många rader som lästes, lästes in, avvisades och "
    "maskerades",
    "Loaded source files: one row per file with lines read, loaded, rejected and masked",
    (
        C("id", "INTEGER", "Filens nummer", "File number"),
        C("filnamn", "TEXT", "Filens namn", "File name"),
        C("sha256", "TEXT", "SHA-256 av filens innehåll", "SHA-256 of the file's bytes"),
        C("profil", "TEXT", "Källprofil som tolkade rubrikerna", "Source profile that mapped the header"),
        C("format", "TEXT", "csv, xlsx eller json", "csv, xlsx or json"),
        C("teckenkodning", "TEXT", "Upptäckt teckenkodning", "Detected encoding"),
        C("avgransare", "TEXT", "Fältavgränsare (csv)", "Field delimiter (csv)"),
        C("blad", "TEXT", "Arbetsblad (xlsx)", "Worksheet (xlsx)"),
        C("period", "TEXT", "Period (ÅÅÅÅ-MM) från filnamnet eller --period",
          "Period (YYYY-MM) from the file name or --period"),
        C("rader_lasta", "INTEGER", "Lästa datarader: inlästa + avvisade + tomma",
          "Data lines read: loaded + rejected + empty"),
        C("rader_inlasta", "INTEGER", "Inlästa rader", "Rows loaded"),
        C("rader_avvisade", "INTEGER", "Avvisade rader (se avvisade_rader)",
          "Rejected lines (see avvisade_rader)"),
        C("rader_tomma", "INTEGER", "Rader med bara avgränsare eller blanksteg",
          "Lines holding only delimiters or whitespace"),
        C("rader_maskerade", "INTEGER", "Rader där personuppgifter maskerades",
          "Rows where personal data was masked"),
        C("summa", "REAL", "Summa av inlästa belopp", "Sum of loaded amounts", "SEK"),
        C("forsta_id", "INTEGER", "Första radens id i leverantorsreskontra",
          "First row id in leverantorsreskontra"),
        C("sista_id", "INTEGER", "Sista radens id i leverantorsreskontra",
          "Last row id in leverantorsreskontra"),
        C("saknade_kolumner", "TEXT", "Obligatoriska kolumner som filen saknar",
          "Mandatory columns the file lacks"),
        C("okanda_kolumner", "TEXT", "Filens kolumner som inte motsvarar någon känd kolumn (läses inte in)",
          "The file's columns that match no known column (not loaded)"),
        C("korrigeringar", "TEXT",
          "Köparnummer med fel kontrollsiffra som lästes in under registrets nummer (JSON)",
          "Buyer numbers failing their check digit, loaded under the register's number (JSON)"),
        C("kalla", "TEXT", "Var utgivaren publicerade filen (URL, från --source)",
          "Where the publisher published the file (URL, from --source)"),
        C("licens", "TEXT", "Licensen utgivaren angav (URL, från --license)",
          "The licence the publisher gave (URL, from --license)"),
        C("inlast", "TEXT", "Tidpunkt för inläsningen (UTC)", "Time of loading (UTC)"),
        C("sekunder", "REAL", "Inläsningens längd", "Duration of the load", "s"),
    ),
    pk=("id",),
    indexes=(("sha256",),),
)

REJECTED = Table(
    "avvisade_rader",
    "Avvisade rader: varje rad som inte kunde läsas in, med fil, rad, kolumn och orsak",
    "Rejected lines: every line that could not be loaded, with file, line, column and reason",
    (
        C("id", "INTEGER", "Nummer", "Number"),
        C("kallfil_id", "INTEGER", "Källfilen (kallfiler.id)", "Source file (kallfiler.id)"),
        C("rad", "INTEGER", "Rad i källfilen", "Line in the source file"),
        C("kolumn", "TEXT", "Kolumnen som felade", "Column at fault"),
        C("orsak", "TEXT", "Orsak", "Reason"),
        C("innehall", "TEXT", "Radens innehåll (personnummer maskerade)",
          "The line's content (personal numbers masked)"),
    ),
    pk=("id",),
    indexes=(("kallfil_id",),),
)

BUYERS = Table(
    "kopare",
    "Köpare: myndigheter, kommuner och regioner i databasen",
    "Buyers: the agencies, municipalities and regions in the database",
    (
        _BUYER_ID,
        _BUYER_NAME,
        C("typ", "TEXT", "kommun, region, statlig myndighet eller annan offentlig organisation",
          "Municipality, region, state agency or other public body"),
        C("kommun_id", "TEXT", "Kommunkod (SCB)", "Municipality code (Statistics Sweden)"),
        _FIRST,
        C("sista_datum", "TEXT", "Sista dagen uppgifterna täcker: för rader med bara månad, månadens sista dag",
          "The last day the data covers: for rows dated to a month only, the month's last day"),
        _ROWS, _SUM,
        C("kalla", "TEXT", "Var köparen publicerar sin leverantörsreskontra (URL)",
          "Where the buyer publishes its supplier ledger (URL)"),
        C("licens", "TEXT", "Licensen köparen publicerar under (URL); tom om okänd",
          "The licence the buyer publishes under (URL); empty if unknown"),
        C("latitud", "REAL", "Latitud för orten köparen är uppkallad efter (GeoNames)",
          "Latitude of the place the buyer is named after (GeoNames)"),
        C("longitud", "REAL", "Longitud för orten köparen är uppkallad efter (GeoNames)",
          "Longitude of the place the buyer is named after (GeoNames)"),
        C("popup", "TEXT", "Kartans ruta för köparen: namn, summa och länk (JSON för datasette-cluster-map)",
          "The buyer's box on the map: name, total and link (JSON for datasette-cluster-map)"),
    ),
    pk=("kopare_id",),
)

SUPPLIERS = Table(
    "leverantorer",
    "Leverantörer med organisations- eller momsnummer, med det vanligaste namnet",
    "Suppliers with an organisation or VAT number, under their most common name",
    (
        C("leverantor_id", "TEXT", "Organisationsnummer (NNNNNN-NNNN) eller momsnummer",
          "Organisation number (NNNNNN-NNNN) or VAT number"),
        C("leverantor", "TEXT", "Vanligaste namnet", "Most common name"),
        C("leverantor_id_typ", "TEXT", "organisationsnummer eller utlandskt_momsnummer",
          "organisationsnummer or utlandskt_momsnummer"),
        C("namnvarianter", "TEXT", "Alla namn som setts, åtskilda med ' | '",
          "Every name seen, separated by ' | '"),
        _FIRST, _LAST, _ROWS, _SUM,
    ),
    pk=("leverantor_id",),
    fts=("leverantor", "namnvarianter"),
)

SUPPLIER_NAMES = Table(
    "leverantorsnamn",
    "Varje namn en leverantör har publicerats under",
    "Every name a supplier has been published under",
    (
        C("leverantor_id", "TEXT", "Leverantörens identitet", "Supplier id"),
        C("leverantor", "TEXT", "Namnet", "The name"),
        _ROWS,
        _NAME_FORM,
    ),
    pk=("leverantor_id", "leverantor"),
    indexes=(("namnform",),),
)

NAME_KEYED_SUPPLIERS = Table(
    "namnnycklade_leverantorer",
    "Leverantörer bokförda utan ett eget organisations- eller momsnummer (internt nummer, ogiltigt, "
    "saknas eller flera nummer i samma fält): deras rader är nycklade på namnet",
    "Suppliers booked without an organisation or VAT number of their own (an internal number, an "
    "invalid one, none, or several in one field): their rows are keyed by name",
    (
        _SUPPLIER_KEY,
        C("leverantor_id_typ", "TEXT", "internt, ogiltigt, saknas eller flera",
          "internt, ogiltigt, saknas or flera"),
        C("leverantor_id", "TEXT", "Identiteten som publicerad (tom om den saknas); för flera: "
          "organisationsnumren åtskilda av ' / '",
          "The id as published (empty if missing); for flera: the organisation numbers separated by ' / '"),
        _ROWS,
        _NAME_FORM,
    ),
    pk=("leverantor_nyckel", "leverantor_id_typ", "leverantor_id"),
    indexes=(("namnform",), ("leverantor_id_typ",)),
)

ACCOUNTS = Table(
    "konton",
    "Konton per köpare med den vanligaste benämningen",
    "Accounts per buyer with their most common name",
    (
        _BUYER_ID,
        C("konto_nr", "TEXT", "Kontonummer", "Account number"),
        C("konto_text", "TEXT", "Vanligaste benämningen", "Most common name"),
        _ROWS, _SUM,
    ),
    pk=("kopare_id", "konto_nr"),
    fts=("konto_nr", "konto_text"),
)

BUYER_SUPPLIER_MONTH = Table(
    "kopare_leverantor_manad",
    "Summering per köpare, leverantör och månad",
    "Totals per buyer, supplier and month",
    (
        _BUYER_ID, _SUPPLIER_KEY, _SUPPLIER_NAME, _MONTH, _YEAR, _SUM, _ROWS,
        C("rader_med_avtal", "INTEGER", "Rader med avtalsreferens", "Rows with a contract reference"),
    ),
    pk=("kopare_id", "leverantor_nyckel", "manad"),
    indexes=(("leverantor_nyckel", "manad"), ("ar", "kopare_id")),
)

BUYER_MONTH = Table(
    "kopare_manad",
    "Summering per köpare och månad",
    "Totals per buyer and month",
    (_BUYER_ID, _MONTH, _YEAR, _SUM, _ROWS),
    pk=("kopare_id", "manad"),
    indexes=(("ar", "kopare_id"),),
)

BUYER_SUPPLIER_YEAR = Table(
    "kopare_leverantor_ar",
    "Summering per köpare, leverantör och år",
    "Totals per buyer, supplier and year",
    (_BUYER_ID, _SUPPLIER_KEY, _SUPPLIER_NAME, _YEAR, _SUM, _ROWS),
    pk=("kopare_id", "leverantor_nyckel", "ar"),
    # A buyer's largest suppliers of a year; a supplier's figures by year and buyer from the index
    # alone (its page read the largest supplier's 36,500 buyer-months, each from the table).
    indexes=(("kopare_id", "ar", "summa"), ("leverantor_nyckel", "ar", "kopare_id", "summa", "rader")),
)

BUYER_YEAR = Table(
    "kopare_ar",
    "Köparens år i siffror som inte går att summera: leverantörer, fakturor och medianfaktura",
    "A buyer's year in figures that do not add up: suppliers, invoices and the median invoice",
    (
        _BUYER_ID, _YEAR,
        C("leverantorer", "INTEGER", "Antal leverantörer", "Number of suppliers"),
        C("fakturor", "INTEGER", "Antal fakturor (tabellen fakturor)", "Number of invoices (table fakturor)"),
        C("median_faktura", "REAL", "Medianfakturans summa (den nedre vid jämnt antal)",
          "The median invoice's total (the lower one for an even number)", "SEK"),
    ),
    pk=("kopare_id", "ar"),
)

BUYER_ACCOUNT_MONTH = Table(
    "kopare_konto_manad",
    "Summering per köpare, konto och månad",
    "Totals per buyer, account and month",
    (
        _BUYER_ID,
        C("konto_nr", "TEXT", "Kontonummer", "Account number"),
        C("konto_text", "TEXT", "Kontots benämning", "Account name"),
        _MONTH, _YEAR, _SUM, _ROWS,
    ),
    pk=("kopare_id", "konto_nr", "konto_text", "manad"),
    indexes=(("ar", "kopare_id"),),
)

BUYER_UNIT_MONTH = Table(
    "kopare_forvaltning_manad",
    "Summering per köpare, förvaltning och månad",
    "Totals per buyer, department and month",
    (
        _BUYER_ID,
        C("forvaltning", "TEXT", "Förvaltning", "Department"),
        _MONTH, _YEAR, _SUM, _ROWS,
    ),
    pk=("kopare_id", "forvaltning", "manad"),
    indexes=(("ar", "kopare_id"),),
)

SUPPLIER_ACCOUNT = Table(
    "leverantor_konto",
    "Summering per leverantör och konto (alla köpare och år)",
    "Totals per supplier and account (all buyers and years)",
    (_SUPPLIER_KEY, C("konto_nr", "TEXT", "Kontonummer", "Account number"),
     C("konto_text", "TEXT", "Kontots benämning (senast sedd)", "Account name (latest seen)"),
     _SUM, _ROWS),
    pk=("leverantor_nyckel", "konto_nr"),
)

BUYER_QUALITY = Table(
    "kopare_kvalitet",
    "Datakvalitet per köpare och år: hur många rader som har varje uppgift",
    "Data quality per buyer and year: how many rows carry each field",
    (
        _BUYER_ID, _YEAR, _ROWS,
        *(C(f"med_{c}", "INTEGER", f"Rader med {c} ifyllt", f"Rows with {c} filled in")
          for c in ("verifikationsnummer", "leverantor_id", "konto_nr", "konto_text", "forvaltning",
                    "fakturanummer", "avtal")),
        C("organisationsnummer", "INTEGER", "Rader vars leverantörs-id är ett giltigt organisationsnummer",
          "Rows whose supplier id is a valid organisation number"),
        C("dagsdatum", "INTEGER", "Rader med datum på dagen (inte bara månaden)",
          "Rows dated to the day (not only the month)"),
        C("maskerade", "INTEGER", "Rader där personuppgifter maskerades", "Rows where personal data was masked"),
    ),
    pk=("kopare_id", "ar"),
)

SOURCE_FILE_BUYERS = Table(
    "kallfil_kopare",
    "Vilka köpare varje källfil innehåller, med antal rader",
    "Which buyers each source file holds, with the number of rows",
    (C("kallfil_id", "INTEGER", "Källfilen (kallfiler.id)", "Source file (kallfiler.id)"), _BUYER_ID, _ROWS),
    pk=("kallfil_id", "kopare_id"),
    indexes=(("kopare_id",),),
)

INVOICES = Table(
    "fakturor",
    "Fakturor: konteringsrader summerade per köpare, leverantör, fakturanummer och "
    "verifikationsnummer, oavsett radernas ordning i filen",
    "Invoices: kontering rows summed per buyer, supplier, invoice number and voucher number, "
    "whatever the order of the rows in the file",
    (
        C("id", "INTEGER", "Nummer", "Number"),
        _BUYER_ID, _SUPPLIER_KEY,
        C("fakturanyckel", "TEXT",
          "Fakturanummer, annars verifikationsnummer, annars radens id",
          "Invoice number, else voucher number, else the row id"),
        C("fakturanummer", "TEXT", "Fakturanummer (tomt om utgivaren inte angav något)",
          "Invoice number (empty if the publisher gave none)"),
        C("verifikationsnummer", "TEXT", "Verifikationsnummer (tomt om utgivaren inte angav något)",
          "Voucher number (empty if the publisher gave none)"),
        C("bokforingsdatum", "TEXT", "Första bokföringsdatum bland fakturans rader",
          "Earliest booking date among the invoice's rows"),
        C("datum_precision", "TEXT", "dag eller manad", "dag (day) or manad (month)"),
        _YEAR,
        C("summa", "REAL", "Fakturans summa exklusive moms", "Invoice total excluding VAT", "SEK"),
        C("konteringar", "INTEGER", "Antal konteringsrader", "Number of kontering rows"),
        C("har_avtal", "INTEGER", "1 om någon rad har avtalsreferens", "1 if any row has a contract"),
        C("kallfil_id", "INTEGER", "Källfilen", "Source file"),
        C("forsta_kallrad", "INTEGER", "Första raden i källfilen", "First line in the source file"),
    ),
    pk=("id",),
    # per buyer and year (the views' access path, and equal amounts found from the index alone);
    # an invoice number booked more than once, and a supplier's share of round amounts in a
    # buyer's year, each read from an index alone
    indexes=(("kopare_id", "ar", "summa"), ("kopare_id", "leverantor_nyckel", "fakturanummer", "ar"),
             ("kopare_id", "ar", "leverantor_nyckel", "summa")),
    unique=("kallfil_id", "kopare_id", "leverantor_nyckel", "fakturanyckel", "verifikationsnummer"),
)

DIRECT_AWARD_LIMITS = Table(
    "direktupphandlingsgranser",
    "Direktupphandlingsgränser per period och lag, kronor exklusive moms, med källa",
    "Direct-award limits per period and law, SEK excluding VAT, with source",
    (
        C("fran", "TEXT", "Gäller från (datum)", "Valid from (date)"),
        C("till", "TEXT", "Gäller till och med (datum; tomt = tills vidare)",
          "Valid until (date; empty = until further notice)"),
        C("lag", "TEXT", "LOU, LUF eller LUK", "LOU, LUF or LUK"),
        C("grans", "REAL", "Gränsen exklusive moms", "The limit excluding VAT", "SEK"),
        C("kalla", "TEXT", "Källa", "Source"),
    ),
    pk=("fran", "lag"),
)

BUILD_INFO = Table(
    "databasinfo",
    "Om databasen: schemaversion och senaste inläsning",
    "About the database: schema version and latest load",
    (
        C("nyckel", "TEXT", "Nyckel", "Key"),
        C("varde", "TEXT", "Värde", "Value"),
    ),
    pk=("nyckel",),
)

BUYER_DAY = Table(
    "kopare_dag",
    "Summa per köpare och bokföringsdag, av rader med datum på dagen",
    "Sum per buyer and booking day, of the rows dated to the day",
    (_BUYER_ID, C("bokforingsdatum", "TEXT", "Bokföringsdatum (ÅÅÅÅ-MM-DD)", "Booking date (YYYY-MM-DD)"),
     _YEAR, _SUM, _ROWS),
    pk=("kopare_id", "bokforingsdatum"),
    indexes=(("ar", "kopare_id"),),
)

FLAGS = Table(
    "flaggor",
    "Indikatorernas träffar med standardparametrar, beräknade när databasen byggdes: en rad per "
    "träff. En flagga är en anledning att titta närmare, aldrig ett bevis.",
    "The indicators' hits with default parameters, computed when the database was built: one row "
    "per hit. A flag is a reason to look closer, never proof.",
    (
        C("indikator", "TEXT", "Indikatorn (se /inkop/flaggor)", "The indicator (see /inkop/flaggor)"),
        _BUYER_ID,
        _BUYER_NAME,
        C("leverantor_id", "TEXT", "Leverantörens nyckel (organisationsnummer, annars namnet); tom "
          "för träffar som gäller en köpares år", "Supplier key (organisation number, else the name); "
          "empty for hits about a buyer's year"),
        C("leverantor", "TEXT", "Leverantörens namn", "Supplier's name"),
        C("ar", "INTEGER", "Året träffen gäller (tomt för träffar över flera år)",
          "The year of the hit (empty for hits over several years)"),
        C("belopp", "REAL", "Beloppet träffen gäller", "The amount the hit is about", "SEK"),
        C("sortering", "REAL", "Indikatorns mått, som träffarna ordnas efter (störst först)",
          "The indicator's measure, by which hits are ordered (largest first)"),
        C("detaljer", "TEXT", "Träffens övriga fält som JSON, olika för varje indikator",
          "The hit's other fields as JSON, particular to each indicator"),
        C("rader_url", "TEXT", "Sökväg till raderna i reskontran bakom träffen",
          "Path to the ledger rows behind the hit"),
    ),
    indexes=(("indikator", "kopare_id", "ar"), ("indikator", "leverantor_id"), ("kopare_id", "ar")),
)

# In a year's database alone (openup shard), written from that year's rows: a ledger page filtered
# on one supplier (by key or id) reads its count, sum and buyers from it (plugins/counts.py, facets.py).
SUPPLIER_BUYERS = Table(
    "leverantor_kopare",
    "Årets rader och summa per leverantör och köpare (i en årsdatabas): vad reskontrans sida för en "
    "leverantör räknar",
    "The year's rows and sum per supplier and buyer (in a year's database): what the ledger's page of "
    "one supplier counts",
    (_SUPPLIER_KEY, C("leverantor_id", "TEXT", "Leverantörens identitet som i reskontran", "Supplier id as in the ledger"),
     _BUYER_ID, _ROWS, _SUM),
    pk=("leverantor_nyckel", "leverantor_id", "kopare_id"),
    indexes=(("leverantor_id",),),
)

TABLES: tuple[Table, ...] = (
    LEDGER, SOURCE_FILES, REJECTED, BUYERS, SUPPLIERS, SUPPLIER_NAMES, NAME_KEYED_SUPPLIERS, ACCOUNTS,
    BUYER_SUPPLIER_MONTH, BUYER_MONTH, BUYER_SUPPLIER_YEAR, BUYER_YEAR, BUYER_ACCOUNT_MONTH,
    BUYER_UNIT_MONTH, BUYER_DAY, SUPPLIER_ACCOUNT, BUYER_QUALITY,
    SOURCE_FILE_BUYERS,
    INVOICES, FLAGS,
    DIRECT_AWARD_LIMITS, BUILD_INFO,
)
TABLES_BESIDE_LEDGER = tuple(table for table in TABLES if table is not LEDGER)
YEAR_ONLY_TABLES = (SUPPLIER_BUYERS,)
DOCUMENTED_TABLES = (*TABLES, *YEAR_ONLY_TABLES)  # in docs/schema.md and the instance's metadata
SCHEMA_VERSION = "9"  # 2: kopare_manad, kopare_leverantor_ar, kopare_ar; 3: faktura_typ, file
# columns, invoices by content; 4: namnform, namnnycklade_leverantorer; 5: flaggor; 6: kopare_dag;
# 7: nettobelopp in the ledger indexes; 8: the ledger indexed by leverantor_id; 9: a supplier's
# figures in kopare_leverantor_ar's index

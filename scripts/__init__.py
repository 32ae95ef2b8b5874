"""Open Up: Swedish public bodies' supplier ledgers, loaded into one SQLite database."""

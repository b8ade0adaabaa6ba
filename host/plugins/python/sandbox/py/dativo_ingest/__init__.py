"""The original `dativo_ingest` package, as far as plugins see it: `dativo_ingest.plugins`."""

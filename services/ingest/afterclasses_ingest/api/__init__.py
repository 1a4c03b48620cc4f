"""HTTP entry points of ingest."""

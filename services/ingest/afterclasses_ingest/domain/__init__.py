"""The ingest domain: pure rules of submissions, review and imports (no Flask, no SQL)."""

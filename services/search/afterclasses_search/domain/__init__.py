"""The search domain: what of an activity is searchable (pure; no engine)."""

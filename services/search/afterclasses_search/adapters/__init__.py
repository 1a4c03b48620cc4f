"""Adapters of the search port."""

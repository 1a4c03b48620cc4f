"""Adapters of the ingest service (relational store)."""

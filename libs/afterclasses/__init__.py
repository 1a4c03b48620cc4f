"""Shared library of the Afterclasses services: event contracts, ports, settings."""

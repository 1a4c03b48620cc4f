"""Ports: small abstract interfaces whose adapters are chosen in each service's bootstrap."""

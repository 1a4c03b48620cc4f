"""HTTP entry points of search."""

"""The category tree shared by every service (labels in ``taxonomy.toml``)."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Category:
    slug: str
    labels: dict

    @property
    def parent(self) -> str | None:
        return self.slug.rpartition(".")[0] or None

    @property
    def depth(self) -> int:
        return self.slug.count(".")

    def label(self, language: str = "en") -> str:
        return self.labels.get(language) or self.labels["en"]


def _walk(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict):
            slug = f"{prefix}.{key}" if prefix else key
            yield Category(slug, {k: v for k, v in value.items() if k in LANGUAGES})
            yield from _walk(value, slug)


@functools.cache
def categories() -> dict[str, Category]:
    """Every category by slug, parents before children."""
    text = resources.files("afterclasses").joinpath("taxonomy.toml").read_text("utf-8")
    return {c.slug: c for c in _walk(tomllib.loads(text))}


def ancestors(slug: str) -> list[str]:
    """``"sports.racket.tennis"`` → ``["sports", "sports.racket", "sports.racket.tennis"]``."""
    parts = slug.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def is_known(slug: str) -> bool:
    return slug in categories()


def within(slug: str, other: str) -> bool:
    """Whether ``slug`` lies under ``other`` in the tree (``sports.racket`` within ``sports``)."""
    return slug.startswith(other + ".")


def narrowest(slugs: list[str]) -> list[str]:
    """The selection without duplicates and without any category another selected one lies under:
    ``[family, family.housing]`` asks for housing (as a union it would be all of family)."""
    unique = list(dict.fromkeys(slugs))
    return [s for s in unique if not any(within(other, s) for other in unique)]

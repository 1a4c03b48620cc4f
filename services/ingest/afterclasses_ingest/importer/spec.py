"""Field specs: the vocabulary of a mapping file, compiled once into evaluators.

A mapping describes every target field declaratively, so a new department needs a TOML file and
no code. Within ``[activity]`` / ``[provider]`` a table is a *field spec* when it has one of the
source keys below; any other table is a nested object (``[activity.venue]``) and any bare value is
a constant (``language = "ru"``, ``price = {free = true}``).

Source keys (exactly one)::

    column   = "AGENCY"                       # the raw cell
    template = "{PROGRAM} at {SITE NAME}"     # or a list of parts; a part with a blank placeholder
    join     = ". "                           #   is left out (all of it, if it is the first part);
                                              #   the rest are joined by ``join``
    value    = <any TOML value>               # a constant (for values that look like tables)
    coalesce = [{...}, {...}]                 # the first sub-spec giving a non-empty value
    concat   = [{...}, {...}]                 # the sub-specs' values flattened into one list

Options::

    parser   = "age_range"      # a name from parsers.PARSERS; column/template default to "text"
    lookup   = "sports"         # a [lookups.sports] table (keys ignore case, ё/е and spacing);
    default  = "sports.other"   #   a miss gives the default, the value (keep_unmatched = true) or
    keep_unmatched = false      #   an error. A list looks up each item and drops its misses.
    item     = 0 | "lat"        # pick from a tuple/dict result (after lookup)
    required = true             # an empty result is a row error
    on_error = "error" | "null" # what a ParseError does: fail the row (default) or give None
    truncate = 300              # cut longer text, ending in "…"

Evaluation is ``(parser → lookup → item)``; parser results are memoised per run on (parser,
cell), which is also what makes the gazetteer cheap on large files.
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from afterclasses_ingest.importer.errors import MappingError, ParseError
from afterclasses_ingest.importer.parsers import PARSERS, ParseContext, Parser, text

SOURCE_KEYS = ("column", "template", "value", "coalesce", "concat")
OPTION_KEYS = ("join", "parser", "lookup", "default", "keep_unmatched", "item", "required",
               "on_error", "truncate")
Cells = dict[str, str]


class FieldError(Exception):
    """A row's value for ``target`` could not be built; becomes a RowError."""

    def __init__(self, target: str, reason: str):
        super().__init__(f"{target}: {reason}")


@dataclass
class Run:
    """Per-import state shared by all evaluators: parse context and the parser memo.

    Department files repeat short cells (ages, districts, sexes) thousands of times; long cells
    are mostly unique text, so only short ones are memoised and the memo is bounded, keeping a
    100,000-row import's memory flat.
    """

    ctx: ParseContext
    memo: dict = field(default_factory=dict)
    MEMO_CELL_CHARS = 120
    MEMO_ENTRIES = 50_000

    def parse(self, name: str, fn: Parser, raw: str) -> Any:
        key = (name, raw)
        hit = self.memo.get(key)
        if hit is None:
            try:
                hit = (True, fn(raw, self.ctx))
            except ParseError as exc:
                hit = (False, exc.reason)
            if len(raw) <= self.MEMO_CELL_CHARS:
                if len(self.memo) >= self.MEMO_ENTRIES:
                    self.memo.clear()
                self.memo[key] = hit
        ok, value = hit
        if not ok:
            raise ParseError(value)
        return value


class Node(ABC):
    """A compiled spec: evaluates one row into a target value."""

    @abstractmethod
    def evaluate(self, cells: Cells, run: Run) -> Any: ...

    def columns(self) -> set[str]:
        """The data columns this node reads (checked against the file's header)."""
        return set()

    def constants(self) -> Iterator[Any]:
        """Every value this node can produce that is fixed by the mapping (for slug checks)."""
        return iter(())


@dataclass(frozen=True)
class Const(Node):
    value: Any

    def evaluate(self, cells, run):
        return _fresh(self.value)

    def constants(self):
        yield self.value


@dataclass(frozen=True)
class Obj(Node):
    """A nested object, e.g. ``venue``: a dict of its children's values."""

    children: tuple[tuple[str, Node], ...]

    def evaluate(self, cells, run):
        return {key: node.evaluate(cells, run) for key, node in self.children}

    def columns(self):
        return set().union(*(node.columns() for _, node in self.children))

    def child(self, key: str) -> Node | None:
        return dict(self.children).get(key)


@dataclass(frozen=True)
class Template:
    """``"{A} at {B}"`` parts, compiled to (literal, column) pairs once."""

    parts: tuple[tuple[tuple[str, str | None], ...], ...]
    join: str

    _PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")

    @classmethod
    def compile(cls, template: str | list[str], join: str, target: str) -> Template:
        if isinstance(template, str):
            template = [template]
        if not all(isinstance(part, str) for part in template):
            raise MappingError(f"{target}: template must be a string or a list of strings")
        return cls(tuple(cls._compile_part(part) for part in template), join)

    @classmethod
    def _compile_part(cls, part: str) -> tuple[tuple[str, str | None], ...]:
        pieces, last = [], 0
        for match in cls._PLACEHOLDER.finditer(part):
            literal = part[last:match.start()] + (match[0][0] if match[1] is None else "")
            pieces.append((literal, match[1]))
            last = match.end()
        pieces.append((part[last:], None))
        return tuple(pieces)

    def columns(self) -> set[str]:
        return {column for part in self.parts for _, column in part if column}

    def render(self, cells: Cells) -> str:
        rendered = []
        for index, part in enumerate(self.parts):
            out = []
            for literal, column in part:
                out.append(literal)
                if column:
                    value = text(cells[column])
                    if value is None:
                        break  # a part with a blank placeholder is left out...
                    out.append(value)
            else:
                rendered.append("".join(out))
                continue
            if index == 0:
                return ""  # ...and without its first part (the subject) the whole text is
        return self.join.join(rendered)


@dataclass(frozen=True)
class Field(Node):
    target: str
    column: str | None = None
    template: Template | None = None
    options: tuple[Node, ...] = ()  # coalesce / concat sub-specs
    combine: str | None = None  # "coalesce" | "concat"
    parser: tuple[str, Parser] | None = None
    lookup: dict[str, Any] | None = None
    lookup_name: str | None = None
    default: Any = None
    has_default: bool = False
    keep_unmatched: bool = False
    item: int | str | None = None
    required: bool = False
    null_on_error: bool = False
    truncate: int | None = None

    def evaluate(self, cells, run):
        try:
            value = self._value(cells, run)
        except ParseError as exc:
            if not self.null_on_error:
                raise FieldError(self.target, exc.reason) from None
            value = None
        if self.required and _empty(value):
            raise FieldError(self.target, "is empty")
        return value

    def _value(self, cells, run):
        if self.combine == "coalesce":
            values = (option.evaluate(cells, run) for option in self.options)
            value = next((v for v in values if not _empty(v)), None)
        elif self.combine == "concat":
            value = _flatten(o.evaluate(cells, run) for o in self.options)
        else:
            raw = cells[self.column] if self.column is not None else self.template.render(cells)
            name, fn = self.parser
            value = run.parse(name, fn, raw)
        if self.lookup is not None:
            value = self._look_up(value)
        if self.item is not None:
            value = _pick(value, self.item)
        if self.truncate and isinstance(value, str) and len(value) > self.truncate:
            value = value[: self.truncate - 1].rstrip() + "…"
        return _fresh(value)

    def _look_up(self, value):
        if isinstance(value, (list, tuple)):
            hits = (self._look_up_one(v, drop=True) for v in value)
            return tuple(h for h in hits if h is not None)
        return self._look_up_one(value, drop=False)

    def _look_up_one(self, value, drop: bool):
        if value is not None:
            hit = self.lookup.get(lookup_key(value))
            if hit is not None:
                return hit
            if self.keep_unmatched:
                return value
        if self.has_default:
            return self.default
        if value is None or drop:
            return None
        raise ParseError(f"no entry for {value!r} in lookup {self.lookup_name!r}")

    def columns(self):
        found = {self.column} if self.column else set()
        if self.template:
            found |= self.template.columns()
        return found.union(*(o.columns() for o in self.options))

    def constants(self):
        if self.lookup is not None:
            yield from self.lookup.values()
            if self.has_default:
                yield self.default
        else:
            for option in self.options:
                yield from option.constants()


def lookup_key(value: Any) -> str:
    """Lookup keys ignore case, ё/е and runs of whitespace ("Футбол ", "футбол" match)."""
    return (text(str(value)) or "").casefold().replace("ё", "е")


def compile_object(table: dict, target: str, lookups: dict[str, dict]) -> Obj:
    """Compile ``[activity]``/``[provider]`` (or a nested table) into an ``Obj``."""
    return Obj(tuple((key, compile_node(value, f"{target}.{key}", lookups))
                     for key, value in table.items()))


def compile_node(spec: Any, target: str, lookups: dict[str, dict]) -> Node:
    if not isinstance(spec, dict):
        return Const(spec)
    sources = [key for key in SOURCE_KEYS if key in spec]
    if not sources:
        return compile_object(spec, target, lookups)
    if len(sources) > 1:
        raise MappingError(f"{target}: give one of {', '.join(sources)}, not several")
    unknown = set(spec) - set(SOURCE_KEYS) - set(OPTION_KEYS)
    if unknown:
        raise MappingError(f"{target}: unknown key(s) {', '.join(sorted(unknown))}")
    source = sources[0]
    if source == "value":
        if set(spec) != {"value"}:
            raise MappingError(f"{target}: a constant takes no options")
        return Const(spec["value"])
    return Field(target=target, **_source(spec, source, target, lookups),
                 **_options(spec, target, lookups))


def _source(spec: dict, source: str, target: str, lookups) -> dict:
    if source == "column":
        if not isinstance(spec["column"], str):
            raise MappingError(f"{target}: column must be a string")
        return {"column": spec["column"], "parser": _parser(spec.get("parser", "text"), target)}
    if source == "template":
        template = Template.compile(spec["template"], spec.get("join", ""), target)
        return {"template": template, "parser": _parser(spec.get("parser", "text"), target)}
    if "parser" in spec:
        raise MappingError(f"{target}: {source} takes no parser (give it to the sub-specs)")
    subs = spec[source]
    if not isinstance(subs, list) or not subs:
        raise MappingError(f"{target}: {source} must be a non-empty list of specs")
    options = tuple(compile_node(sub, f"{target}[{i}]", lookups) for i, sub in enumerate(subs))
    return {"combine": source, "options": options}


def _parser(name: Any, target: str) -> tuple[str, Parser]:
    if name not in PARSERS:
        known = ", ".join(sorted(PARSERS))
        raise MappingError(f"{target}: unknown parser {name!r} (known: {known})")
    return name, PARSERS[name]


def _options(spec: dict, target: str, lookups: dict[str, dict]) -> dict:
    options: dict[str, Any] = {
        "required": bool(spec.get("required", False)),
        "keep_unmatched": bool(spec.get("keep_unmatched", False)),
        "item": spec.get("item"),
        "truncate": spec.get("truncate"),
    }
    if options["item"] is not None and not isinstance(options["item"], (int, str)):
        raise MappingError(f"{target}: item must be an index or a key")
    truncate = options["truncate"]
    if truncate is not None and not (isinstance(truncate, int) and truncate > 1):
        raise MappingError(f"{target}: truncate must be a length above 1")
    on_error = spec.get("on_error", "error")
    if on_error not in ("error", "null"):
        raise MappingError(f"{target}: on_error must be 'error' or 'null'")
    options["null_on_error"] = on_error == "null"
    if "default" in spec:
        options.update(default=spec["default"], has_default=True)
    if "lookup" in spec:
        name = spec["lookup"]
        if name not in lookups:
            raise MappingError(f"{target}: no [lookups.{name}] table")
        options.update(lookup=lookups[name], lookup_name=name)
    elif "default" in spec or "keep_unmatched" in spec:
        raise MappingError(f"{target}: default/keep_unmatched only apply with a lookup")
    return options


def compile_lookups(tables: Any) -> dict[str, dict]:
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise MappingError("[lookups] must hold tables of key = value")
    compiled = {}
    for name, table in tables.items():
        keys: dict[str, Any] = {}
        for key, value in table.items():
            if lookup_key(key) in keys and keys[lookup_key(key)] != value:
                raise MappingError(
                    f"lookups.{name}: {key!r} clashes with another key after normalisation")
            keys[lookup_key(key)] = value
        compiled[name] = keys
    return compiled


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)


def _flatten(values) -> list:
    out: dict = {}
    for value in values:
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if not _empty(item):
                out.setdefault(item, None)
    return list(out)


def _pick(value: Any, item: int | str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(item)
    try:
        return value[item]
    except (IndexError, TypeError):
        return None


def _fresh(value: Any) -> Any:
    """A copy of memoised/constant containers, so no two records share a mutable object."""
    if isinstance(value, (list, tuple)):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value

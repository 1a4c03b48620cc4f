"""The relational store of ingest (SQLAlchemy Core): SQLite embedded, PostgreSQL at scale.

``CatalogStore.transaction()`` is the unit of work: everything a handler does inside one
``with`` block commits together or not at all — catalog rows, audit rows and outbox events.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from afterclasses_ingest.adapters.tables import (
    activities,
    api_tokens,
    audit,
    editors,
    outbox,
    providers,
    submissions,
    venues,
)
from afterclasses_ingest.domain.model import canonical_json


class StoreUnavailable(Exception):
    """The database cannot be reached; answer 503 and let the caller retry."""


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def iso(value: dt.datetime | None) -> str | None:
    return utc(value).isoformat() if value is not None else None


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # an accepted submission survives a power cut
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


READ_ONLY = "afterclasses_read_only"


def _sqlite_begin(conn):
    # a writer takes the write lock at BEGIN: two editors approving at once serialise instead
    # of failing with "database is locked" half-way through; a reader never waits (WAL)
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # let SQLAlchemy not emit its own BEGIN; we emit BEGIN IMMEDIATE ourselves
        event.listen(engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CatalogStore:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    def create_schema(self) -> None:
        """Migrate the schema to the newest revision (Alembic)."""
        from afterclasses_ingest.adapters import migrate

        try:
            migrate.upgrade(self.engine)
        except OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        try:
            with self.engine.begin() as conn:
                yield Tx(conn)
        except OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc

    @contextlib.contextmanager
    def reading(self) -> Iterator[Tx]:
        """A read-only transaction: it never waits for, nor blocks, a writer."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{READ_ONLY: True})
                with conn.begin():
                    yield Tx(conn)
        except OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc

    def ping(self) -> None:
        try:
            with self.reading() as tx:
                tx.conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def dispose(self) -> None:
        self.engine.dispose()


class Tx:
    """Named queries over one open transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    # submissions -----------------------------------------------------------------------
    def insert_submission(self, row: dict) -> None:
        self.conn.execute(insert(submissions), [row])

    def submission_by_key(self, key: str) -> dict | None:
        row = self.conn.execute(select(submissions).where(submissions.c.idempotency_key == key)).mappings().first()
        return dict(row) if row else None

    def get_submission(self, submission_id: str) -> dict | None:
        row = self.conn.execute(select(submissions).where(submissions.c.id == submission_id)).mappings().first()
        return dict(row) if row else None

    def decide_submission(self, submission_id: str, status: str, by: str, note: str | None,
                          at: dt.datetime, result_id: str | None = None) -> bool:
        """Mark a pending submission decided; False when someone else decided it first."""
        res = self.conn.execute(
            update(submissions)
            .where(submissions.c.id == submission_id, submissions.c.status == "pending")
            .values(status=status, decided_by=by, decided_at=at, note=note, result_id=result_id)
        )
        return res.rowcount == 1

    def set_submission_report(self, submission_id: str, report: dict, status: str) -> None:
        self.conn.execute(update(submissions).where(submissions.c.id == submission_id)
                          .values(report=report, status=status))

    @staticmethod
    def _pending(kind: str | None):
        conditions = [submissions.c.status == "pending"]
        if kind is not None:
            conditions.append(submissions.c.kind == kind)
        return conditions

    def pending(self, limit: int, offset: int, kind: str | None = None) -> list[dict]:
        q = (select(submissions).where(*self._pending(kind))
             .order_by(submissions.c.created_at, submissions.c.id).limit(limit).offset(offset))
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def count_pending(self, kind: str | None = None) -> int:
        q = select(func.count()).select_from(submissions).where(*self._pending(kind))
        return self.conn.execute(q).scalar_one()

    # activities ------------------------------------------------------------------------
    def get_activity(self, activity_id: str, for_update: bool = False) -> dict | None:
        q = select(activities).where(activities.c.id == activity_id)
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return dict(row) if row else None

    def activities_by_source(self, source: str, source_ids: Iterable[str]) -> dict[str, dict]:
        ids = list(source_ids)
        out: dict[str, dict] = {}
        for i in range(0, len(ids), 500):  # stay under every driver's bound-parameter limit
            q = select(activities).where(activities.c.source == source, activities.c.source_id.in_(ids[i:i + 500]))
            out.update({r["source_id"]: dict(r) for r in self.conn.execute(q).mappings()})
        return out

    def insert_activities(self, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(insert(activities), rows)

    def update_activity(self, activity_id: str, values: dict) -> None:
        self.conn.execute(update(activities).where(activities.c.id == activity_id).values(**values))

    def count_activities(self, source: str | None = None) -> int:
        q = select(func.count()).select_from(activities)
        if source is not None:
            q = q.where(activities.c.source == source)
        return self.conn.execute(q).scalar_one()

    # providers and venues --------------------------------------------------------------
    def get_provider(self, provider_id: str) -> dict | None:
        row = self.conn.execute(select(providers).where(providers.c.id == provider_id)).mappings().first()
        return dict(row) if row else None

    def providers_by_key(self, source: str, keys: Iterable[str]) -> dict[str, dict]:
        keys = list(keys)
        out: dict[str, dict] = {}
        for i in range(0, len(keys), 500):
            q = select(providers).where(providers.c.source == source, providers.c.source_key.in_(keys[i:i + 500]))
            out.update({r["source_key"]: dict(r) for r in self.conn.execute(q).mappings()})
        return out

    def insert_providers(self, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(insert(providers), rows)

    def update_provider(self, provider_id: str, values: dict) -> None:
        self.conn.execute(update(providers).where(providers.c.id == provider_id).values(**values))

    def get_venue(self, venue_id: str | None) -> dict | None:
        if venue_id is None:
            return None
        row = self.conn.execute(select(venues).where(venues.c.id == venue_id)).mappings().first()
        return dict(row) if row else None

    def venues_by_key(self, keys: Iterable[str]) -> dict[str, dict]:
        keys = list(keys)
        out: dict[str, dict] = {}
        for i in range(0, len(keys), 500):
            q = select(venues).where(venues.c.content_key.in_(keys[i:i + 500]))
            out.update({r["content_key"]: dict(r) for r in self.conn.execute(q).mappings()})
        return out

    def insert_venues(self, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(insert(venues), rows)

    # audit and outbox ------------------------------------------------------------------
    def add_audit(self, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(insert(audit), rows)

    def audit_for(self, entity: str, entity_id: str, since: dt.datetime | None = None,
                  fields: tuple[str, ...] | None = None) -> list[dict]:
        """An entity's audit rows, oldest first; only those after ``since``, of ``fields``, if given."""
        q = select(audit).where(audit.c.entity == entity, audit.c.entity_id == entity_id).order_by(audit.c.id)
        if since is not None:
            q = q.where(audit.c.at > since)
        if fields is not None:
            q = q.where(audit.c.field.in_(fields))
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def add_outbox(self, rows: list[dict]) -> None:
        if rows:
            self.conn.execute(insert(outbox), rows)

    def unpublished(self, limit: int) -> list[dict]:
        q = select(outbox).where(outbox.c.published.is_(False)).order_by(outbox.c.id).limit(limit)
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def mark_published(self, ids: list[int]) -> None:
        for i in range(0, len(ids), 500):
            self.conn.execute(update(outbox).where(outbox.c.id.in_(ids[i:i + 500])).values(published=True))

    def count_unpublished(self) -> int:
        q = select(func.count()).select_from(outbox).where(outbox.c.published.is_(False))
        return self.conn.execute(q).scalar_one()

    # tokens ----------------------------------------------------------------------------
    def token_roles(self, token: str, now: dt.datetime) -> tuple[str, set[str]] | None:
        """The name and roles of a token; None when unknown, revoked or expired at ``now``."""
        q = select(api_tokens).where(api_tokens.c.token_hash == hash_token(token))
        row = self.conn.execute(q).mappings().first()
        if row is None or (row["expires_at"] is not None and utc(row["expires_at"]) <= now):
            return None
        return row["name"], set(row["roles"].split())

    def add_token(self, token: str, name: str, roles: Iterable[str], at: dt.datetime,
                  expires_at: dt.datetime | None = None, editor: str | None = None) -> None:
        """Store a token (hashed). ``expires_at`` None: it never expires (tokens made by the CLI);
        ``editor``: the account whose sign-in made it, so disabling the account revokes it."""
        self.conn.execute(insert(api_tokens), [{"token_hash": hash_token(token), "name": name,
                                                "roles": " ".join(sorted(roles)), "created_at": at,
                                                "expires_at": expires_at, "editor": editor}])

    def delete_token(self, token: str) -> bool:
        res = self.conn.execute(delete(api_tokens).where(api_tokens.c.token_hash == hash_token(token)))
        return res.rowcount == 1

    def delete_tokens_of(self, editor: str) -> int:
        """Revoke every sign-in session of an account."""
        return self.conn.execute(delete(api_tokens).where(api_tokens.c.editor == editor)).rowcount

    def delete_expired_tokens(self, now: dt.datetime) -> int:
        q = delete(api_tokens).where(api_tokens.c.expires_at.is_not(None), api_tokens.c.expires_at <= now)
        return self.conn.execute(q).rowcount

    # editor accounts -------------------------------------------------------------------
    def get_editor(self, username: str) -> dict | None:
        row = self.conn.execute(select(editors).where(editors.c.username == username)).mappings().first()
        if row is None:
            return None
        blocked = row["signin_blocked_until"]
        return {**row, "roles": set(row["roles"].split()), "created_at": utc(row["created_at"]),
                "signin_blocked_until": utc(blocked) if blocked else None}

    def add_editor(self, username: str, password_hash: str, roles: Iterable[str], at: dt.datetime) -> None:
        self.conn.execute(insert(editors), [{"username": username, "password_hash": password_hash,
                                             "roles": " ".join(sorted(roles)), "created_at": at,
                                             "disabled": False}])

    def update_editor(self, username: str, **values) -> bool:
        """Change ``password_hash``, ``disabled`` or the sign-in backoff of an account; False when
        there is none."""
        res = self.conn.execute(update(editors).where(editors.c.username == username).values(**values))
        return res.rowcount == 1


__all__ = ["CatalogStore", "StoreUnavailable", "Tx", "canonical_json", "hash_token", "iso", "utc"]

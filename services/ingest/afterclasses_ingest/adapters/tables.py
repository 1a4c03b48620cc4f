"""The relational model of the catalog, submissions, audit, outbox, tokens and editor accounts (SQLAlchemy Core).

Portable between SQLite (embedded) and PostgreSQL: JSON columns, string UUIDs, UTC timestamps.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData()

ID = String(36)

providers = Table(
    "providers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("fields", JSON, nullable=False),  # ProviderFieldsSchema data
    Column("name", String(300), nullable=False),
    Column("source", String(100)),
    Column("source_key", String(300)),  # dedupe key within a source (normalised name)
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "source_key", name="uq_provider_source_key"),
)

venues = Table(
    "venues",
    metadata,
    Column("id", ID, primary_key=True),
    Column("fields", JSON, nullable=False),  # VenueSchema data
    Column("content_key", String(64), nullable=False, unique=True),  # hash of fields: dedupe
    Column("created_at", DateTime(timezone=True), nullable=False),
)

activities = Table(
    "activities",
    metadata,
    Column("id", ID, primary_key=True),
    Column("provider_id", ID, ForeignKey("providers.id")),
    Column("venue_id", ID, ForeignKey("venues.id")),
    Column("fields", JSON, nullable=False),  # ActivityFieldsSchema data without the venue
    Column("title", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", String(100)),
    Column("source_id", String(200)),
    Column("source_hash", String(64)),  # fingerprint of the source record as last imported
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "source_id", name="uq_activity_source_id"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(20), nullable=False),  # activity | provider | edit | import
    Column("status", String(20), nullable=False),  # pending | approved | rejected | importing
    Column("target_id", ID),  # the activity an edit changes
    Column("base_version", Integer),  # the live version the edit was written against
    Column("payload", JSON, nullable=False),
    Column("submitted_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(200)),
    Column("note", Text),
    Column("result_id", ID),
    Column("report", JSON),  # imports: counts and row errors
    # the client's Idempotency-Key: the same submission sent twice (a retry after a timeout, a
    # double click) is stored once
    Column("idempotency_key", String(64)),
    Index("ix_submissions_status_created", "status", "created_at"),
    Index("ix_submissions_idempotency_key", "idempotency_key", unique=True),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("entity", String(20), nullable=False),  # activity | provider | submission
    Column("entity_id", ID, nullable=False),
    Column("field", String(100), nullable=False),  # "*" for a whole new entry
    Column("old", JSON),
    Column("new", JSON),
    Column("submission_id", ID),
    Index("ix_audit_entity", "entity", "entity_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published", Boolean, nullable=False, default=False),
    Index("ix_outbox_unpublished", "published", "id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the token; never the token
    Column("name", String(200), nullable=False),
    Column("roles", String(200), nullable=False),  # space-separated, e.g. "editor"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),  # sign-in sessions expire; CLI tokens (NULL) do not
    Column("editor", String(100)),  # the account a sign-in session belongs to (revoked with it)
    Index("ix_api_tokens_editor", "editor"),
)

editors = Table(
    "editors",
    metadata,
    Column("username", String(100), primary_key=True),  # lower case
    Column("password_hash", String(300), nullable=False),  # werkzeug's "method$salt$hash"; never the password
    Column("roles", String(200), nullable=False),  # space-separated, e.g. "editor"
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
    # wrong passwords in a row, and until when the next sign-in waits (accounts.sign_in)
    Column("failed_signins", Integer, nullable=False, default=0, server_default="0"),
    Column("signin_blocked_until", DateTime(timezone=True)),
)


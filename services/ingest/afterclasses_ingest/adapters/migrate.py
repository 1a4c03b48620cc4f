"""Schema migrations of the ingest store (Alembic), run by the store on start-up."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision. Safe to run from several processes at once on
    PostgreSQL (Alembic's version row is updated in the same transaction)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # several services may start at once: one migrates, the others wait, then no-op
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
        names = set(inspect(conn).get_table_names())
        cfg = config(conn)
        if "activities" in names and "alembic_version" not in names:
            # a store created before migrations existed has the first revision's tables
            command.stamp(cfg, "0001")
        command.upgrade(cfg, "head")


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the difference between tables.py and the database."""
    with engine.begin() as conn:
        command.revision(config(conn), message=message, autogenerate=True)

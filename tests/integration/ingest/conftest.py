import dataclasses

import pytest
from sqlalchemy import create_engine, func, select

from afterclasses_ingest import create_app
from afterclasses_ingest.adapters.tables import metadata
from afterclasses_ingest.domain.handlers import utcnow
from tests.conftest import server_url

EDITOR, CITIZEN = "editor-token", "citizen-token"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, data_dir):
    """Every ingest integration test runs on the embedded store and on real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{data_dir}/ingest.db"
    url = server_url("AFTERCLASSES_TEST_DATABASE_URL")
    engine = create_engine(url)
    with engine.begin() as conn:  # a clean database for each test
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture
def app(ingest_settings, database_url):
    app = create_app(dataclasses.replace(ingest_settings, database_url=database_url))
    with app.extensions["afterclasses"].store.transaction() as tx:
        tx.add_token(EDITOR, "alice", ["editor"], utcnow())
        tx.add_token(CITIZEN, "bob", [], utcnow())
    yield app
    app.extensions["afterclasses"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def store(app):
    return app.extensions["afterclasses"].store


def as_editor(token=EDITOR):
    return {"Authorization": f"Bearer {token}"}


def table_counts(store) -> dict:
    with store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}

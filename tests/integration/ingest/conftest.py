import pytest
from afterclasses_ingest import create_app
from afterclasses_ingest.adapters.tables import metadata
from afterclasses_ingest.domain.handlers import utcnow
from sqlalchemy import func, select

EDITOR, CITIZEN = "editor-token", "citizen-token"


@pytest.fixture
def app(ingest_settings):
    app = create_app(ingest_settings)
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

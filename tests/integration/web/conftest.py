"""The web front over the real ingest and search apps, in process: the web's HTTP clients are
routed through a WSGI transport adapter to the real Flask apps on one temporary data dir, and
``stack.sync()`` runs the outbox relay and the search indexer until both are idle (what the
background processes do in production)."""
from __future__ import annotations

import re

import pytest
from wsgiadapter import WSGIAdapter

from afterclasses.eventlog import make_eventlog
from afterclasses_ingest import create_app as create_ingest
from afterclasses_ingest.domain.handlers import utcnow
from afterclasses_ingest.relay import relay_once
from afterclasses_search import create_app as create_search
from afterclasses_search.bootstrap import bootstrap as bootstrap_search
from afterclasses_search.consumers import Indexer
from afterclasses_web import create_app as create_web
from afterclasses_web.settings import WebSettings
from tests.conftest import DATASETS

EDITOR_TOKEN = "web-tests-editor-token"


def _pep3333(app):
    """wsgiadapter puts CONTENT_LENGTH in the environ as an int; PEP 3333 says str, and Werkzeug
    3.1 fails on any request body without it."""

    def wrapped(environ, start_response):
        environ["CONTENT_LENGTH"] = str(environ.get("CONTENT_LENGTH") or "")
        return app(environ, start_response)

    return wrapped


class InProcessStack:
    def __init__(self, ingest_settings, search_settings, web_settings):
        self.ingest_app = create_ingest(ingest_settings)
        self.ingest = self.ingest_app.extensions["afterclasses"]
        self.eventlog = make_eventlog(ingest_settings)
        self.writer = bootstrap_search(search_settings)  # before the reader: it creates the index
        self.indexer = Indexer(self.eventlog, self.writer.index, search_settings.consumer_group)
        self.search_app = create_search(search_settings)
        self.web_app = create_web(web_settings)
        web = self.web_app.extensions["afterclasses_web"]
        web.search.mount(WSGIAdapter(_pep3333(self.search_app)))
        web.ingest.mount(WSGIAdapter(_pep3333(self.ingest_app)))
        self.web_app.config.update(TESTING=True)
        with self.ingest.store.transaction() as tx:
            tx.add_token(EDITOR_TOKEN, "alice", ["editor"], utcnow())

    def sync(self) -> None:
        """Publish approved changes and index them (relay, then indexer, until idle)."""
        while relay_once(self.ingest.store, self.eventlog):
            pass
        self.indexer.run(until_idle=True)
        self.search_app.extensions["afterclasses"].index.reopen_if_swapped()

    def client(self):
        return self.web_app.test_client()

    def close(self):
        self.indexer.close()
        self.writer.close()
        self.search_app.extensions["afterclasses"].close()
        self.ingest.close()


@pytest.fixture
def web_settings(data_dir) -> WebSettings:
    return WebSettings(data_dir=data_dir, datasets_dir=str(DATASETS), web_secret_key="test-secret",
                       search_url="http://search.test", ingest_url="http://ingest.test",
                       tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")


@pytest.fixture
def stack(ingest_settings, search_settings, web_settings):
    stack = InProcessStack(ingest_settings, search_settings, web_settings)
    yield stack
    stack.close()


@pytest.fixture
def client(stack):
    return stack.client()


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, "no csrf_token on the page"
    return found.group(1)

"""Browser tests: a parent's clicks in Debian's headless Chromium, driven by Playwright, against the
product started as a user starts it (tests/e2e/conftest.py's `stack`, real data, free ports).

Playwright never downloads a browser here: it drives /usr/bin/chromium (bin/test installs it).
Every request to a host other than 127.0.0.1 is aborted and makes the test fail; the map tiles
point at a closed port on 127.0.0.1, so the pages are also shown to work when tiles cannot load.
Each step's screenshot lands in test-artifacts/screenshots/<test>/<NN-step>.png. The accessibility
audit injects axe-core, which bin/test installs from the npm registry into .cache/npm.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens on port 9: tiles never load
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 900}
# axe-core, pinned in bin/test, which installs it from the npm registry (git ignores .cache/)
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so the page fixture can screenshot a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; a skip with the reason when missing — a failure under CI=true."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing under CI=true: bin/test installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing (`make test` installs Debian's chromium: apt-get install chromium)")


@pytest.fixture(scope="session")
def axe() -> Path:
    """axe-core's script, to inject into pages; a skip with the reason when missing — a failure under CI=true."""
    if AXE.is_file():
        return AXE
    rel = AXE.relative_to(ROOT)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{rel} is missing under CI=true: bin/test installs axe-core from the npm registry")
    pytest.skip(f"{rel} is missing (`make test` installs it from the npm registry, the version bin/test pins)")


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # launch() gives every run a new, empty profile in a temporary user-data dir of its own
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def stack_env() -> dict:
    return {"AFTERCLASSES_TILE_URL": TILE_URL}


@pytest.fixture(scope="module")
def web(stack) -> str:
    """The web front's URL, once it answers (the stack waits for the data, the web may lag)."""
    stack.wait_until(lambda: requests.get(stack.web_url + "/readyz", timeout=2).ok, timeout=60,
                     what="the web front to be ready")
    return stack.web_url


class Contexts:
    """Browser contexts of one test: each one only reaches 127.0.0.1, and remembers what it refused."""

    def __init__(self, browser):
        self.browser = browser
        self.opened = []
        self.refused: list[str] = []
        self.page_errors: list[str] = []
        self.csp_violations: list[str] = []
        self.tile_requests: list[str] = []

    def new(self, **options):
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-US")
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._route)
        context.on("page", self._watch)
        self.opened.append(context)
        return context

    def new_page(self, **options):
        page = self.new(**options).new_page()
        return page

    def _route(self, route):
        url = route.request.url
        host = urlsplit(url).hostname
        if host != "127.0.0.1" and not url.startswith(("data:", "blob:", "about:")):
            self.refused.append(url)
            route.abort("blockedbyclient")
            return
        if url.startswith(TILE_URL.split("{")[0]):
            self.tile_requests.append(url)
        route.continue_()

    def _watch(self, page):
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self.csp_violations.append(f"{page.url}: {msg.text}")
                if msg.type == "error" and "Content Security Policy" in msg.text else None)

    def close(self):
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser, request):
    ctx = Contexts(browser)
    yield ctx
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        for i, context in enumerate(ctx.opened):
            for j, page in enumerate(context.pages):
                try:
                    _save(page, request.node, f"failure-{i}{j}")
                except Exception:  # a crashed page has nothing to show
                    pass
    ctx.close()
    assert not ctx.refused, f"the pages tried to reach other hosts than 127.0.0.1: {ctx.refused}"
    assert not ctx.page_errors, f"uncaught script errors: {ctx.page_errors}"
    assert not ctx.csp_violations, f"Content-Security-Policy violations: {ctx.csp_violations}"


@pytest.fixture
def page(contexts):
    """A desktop page (1280×900, English) in a context of its own."""
    return contexts.new_page()


def _test_dir(node) -> Path:
    return SCREENSHOTS / re.sub(r"[^\w.-]+", "_", node.name)


def _save(page, node, step: str) -> Path:
    path = _test_dir(node) / f"{step}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name)``: saves test-artifacts/screenshots/<test>/<NN-name>.png (full page)."""
    shutil.rmtree(_test_dir(request.node), ignore_errors=True)
    steps = iter(range(1, 100))

    def take(page, name: str) -> Path:
        slug = re.sub(r"[^\w.-]+", "-", name)
        return _save(page, request.node, f"{next(steps):02d}-{slug}")

    return take

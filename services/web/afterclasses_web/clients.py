"""HTTP clients of the two APIs the web front stands on: search (reads) and ingest (writes).

The web holds nothing durable; every page is built from these calls. A service that does not
answer becomes :class:`ServiceDown` (the page says so with a 503), never a stack trace.
"""
from __future__ import annotations

import dataclasses
import re
import threading
from urllib.parse import quote

import requests

PING_TIMEOUT = 2.0  # seconds; readiness probes of the APIs


# the APIs' ids are UUIDs (imports' too); anything else names no entry and is never sent on
# (a word would be a route of its own: /v1/review/queue is not a submission)
_ID = re.compile(r"[0-9A-Fa-f-]{1,64}")  # with fullmatch: "$" would take a trailing newline


def is_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


class ServiceDown(Exception):
    """An API did not answer usefully (connection refused, timeout, 5xx)."""

    def __init__(self, service: str, reason: str):
        super().__init__(f"{service}: {reason}")
        self.service, self.reason = service, reason


@dataclasses.dataclass
class Reply:
    status: int
    body: dict

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def field_errors(self) -> dict:
        """ingest's field-level messages of a 422 (``details``), else {}."""
        return (self.body.get("details") or {}) if self.status == 422 else {}


class ServiceClient:
    name = "service"

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._adapters: list = []
        self._local = threading.local()  # a session per thread: the web runs threaded workers

    @property
    def http(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            for adapter in self._adapters:
                session.mount(self.base_url, adapter)
        return session

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs) -> Reply:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", self.timeout)
        try:
            resp = self.http.request(method, self.base_url + path, headers=headers, **kwargs)
        except requests.RequestException as exc:
            raise ServiceDown(self.name, type(exc).__name__) from exc
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code >= 500:
            raise ServiceDown(self.name, body.get("message") or f"HTTP {resp.status_code}")
        return Reply(resp.status_code, body if isinstance(body, dict) else {"items": body})

    def ping(self) -> None:
        """Raise :class:`ServiceDown` unless the service says it is ready (the web's /readyz)."""
        # short: a load balancer's probe must not hang for a page's whole patience
        reply = self.call("GET", "/readyz", timeout=min(self.timeout, PING_TIMEOUT))
        if not reply.ok:
            raise ServiceDown(self.name, f"not ready (HTTP {reply.status})")

    def mount(self, adapter) -> None:
        """Route this client's calls through a transport adapter (tests: an in-process WSGI app)."""
        self._adapters.append(adapter)
        self.http.mount(self.base_url, adapter)


class SearchClient(ServiceClient):
    name = "search"

    def venues(self, text: str, limit: int) -> Reply:
        return self.call("GET", "/v1/venues", params={"q": text, "limit": limit})

    def search(self, params: list[tuple[str, str]]) -> Reply:
        return self.call("GET", "/v1/search", params=params)

    def activity(self, activity_id: str) -> Reply:
        return self.call("GET", f"/v1/activities/{quote(activity_id, safe='')}")


class IngestClient(ServiceClient):
    name = "ingest"

    def submit(self, body: dict, idempotency_key: str | None = None) -> Reply:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self.call("POST", "/v1/submissions", json=body, headers=headers)

    def submission(self, submission_id: str) -> Reply:
        return self.call("GET", f"/v1/submissions/{quote(submission_id, safe='')}")

    def activity(self, activity_id: str) -> Reply:
        return self.call("GET", f"/v1/catalog/activities/{quote(activity_id, safe='')}")

    def provider(self, provider_id: str) -> Reply:
        return self.call("GET", f"/v1/catalog/providers/{quote(provider_id, safe='')}")

    # the editors' desk: ``token`` is the editor's sign-in session (a 401 means it expired or was revoked)
    def sign_in(self, username: str, password: str) -> Reply:
        return self.call("POST", "/v1/auth/sessions", json={"username": username, "password": password})

    def sign_out(self, token: str) -> Reply:
        return self.call("DELETE", "/v1/auth/sessions/current", token=token)

    def review_queue(self, token: str, page: int, per_page: int, kind: str | None = None) -> Reply:
        params = {"page": page, "per_page": per_page, **({"kind": kind} if kind else {})}
        return self.call("GET", "/v1/review/queue", token=token, params=params)

    def review(self, token: str, submission_id: str) -> Reply:
        return self.call("GET", f"/v1/review/{quote(submission_id, safe='')}", token=token)

    def approve(self, token: str, submission_id: str, note: str | None, force: bool = False,
                verified: bool = False, withdraw: bool = False) -> Reply:
        return self.call("POST", f"/v1/review/{quote(submission_id, safe='')}/approve", token=token,
                         json={"note": note, "force": force, "verified": verified, "withdraw": withdraw})

    def reject(self, token: str, submission_id: str, note: str) -> Reply:
        return self.call("POST", f"/v1/review/{quote(submission_id, safe='')}/reject", token=token,
                         json={"note": note})

    def history(self, token: str, activity_id: str) -> Reply:
        return self.call("GET", f"/v1/catalog/activities/{quote(activity_id, safe='')}/history", token=token)

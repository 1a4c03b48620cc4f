"""In-memory stand-ins for the web's two API clients (``afterclasses_web.clients``): they answer
with what a test gives them and record what the pages asked, so a page's own logic (paging, what
the form keeps, which calls it makes) is tested without the APIs. The real APIs behind the web
are tested in ``tests/integration/web``."""
from __future__ import annotations

from afterclasses_web.clients import Reply, ServiceDown


def search_reply(total: int = 0, results: list[dict] | None = None, facets: dict | None = None) -> Reply:
    return Reply(200, {"total": total, "results": results or [], "facets": facets or {}})


class FakeSearchClient:
    name = "search"

    def __init__(self, *replies: Reply):
        self.replies = list(replies)  # answers in turn; the last one repeats
        self.calls: list[list[tuple[str, str]]] = []
        self.attempts = 0  # every call tried, answered or not (a page's patience is spent per attempt)
        self.down = False

    def search(self, params: list[tuple[str, str]]) -> Reply:
        self._check()
        self.calls.append(list(params))
        return self.replies.pop(0) if len(self.replies) > 1 else (self.replies[0] if self.replies else search_reply())

    def activity(self, activity_id: str) -> Reply:
        self._check()
        return Reply(404, {})

    def venues(self, text: str, limit: int) -> Reply:
        self._check()
        return Reply(200, {"venues": []})

    def ping(self) -> None:
        self._check()

    def _check(self) -> None:
        self.attempts += 1
        if self.down:
            raise ServiceDown(self.name, "ConnectionError")


class FakeIngestClient(FakeSearchClient):
    name = "ingest"

"""Putting catalog entries in place through the real ingest API (submit, approve, sync)."""
from __future__ import annotations

from tests.factories import activity_fields
from tests.integration.web.conftest import EDITOR_TOKEN


def publish(stack, sync: bool = True, provider: dict | None = None, verified: bool = False, **fields) -> str:
    """Submit an activity, approve it as an editor (who checked it, with ``verified``), and (by
    default) index it. Returns its id."""
    ingest = stack.ingest_app.test_client()
    body = {"kind": "activity", "activity": activity_fields(**fields),
            "provider": provider or {"name": "Junior Tennis League", "phone": "+1 718 555 0100"}}
    sub = ingest.post("/v1/submissions", json=body)
    assert sub.status_code == 202, sub.get_json()
    done = ingest.post(f"/v1/review/{sub.get_json()['id']}/approve", json={"note": "ok", "verified": verified},
                       headers={"Authorization": f"Bearer {EDITOR_TOKEN}"})
    assert done.status_code == 200, done.get_json()
    if sync:
        stack.sync()
    return done.get_json()["result_id"]

"""What text of an activity document search matches, shared by every index adapter."""
from __future__ import annotations

from afterclasses import taxonomy


def searchable_text(doc: dict) -> dict[str, str]:
    """Title, topic and body as written (each adapter folds and stems them its own way).

    The topic — category labels in every language, and tags — says what the activity *is*, so
    adapters weigh it above words that only appear in a description or a provider's name.
    """
    venue = doc.get("venue") or {}
    provider = doc.get("provider") or {}
    topic = []
    if doc.get("category") in taxonomy.categories():
        for slug in taxonomy.ancestors(doc["category"]):
            topic.extend(taxonomy.categories()[slug].labels.values())
    topic += doc.get("tags") or []
    body = [doc.get("description"), provider.get("name"), venue.get("name"), venue.get("address"),
            venue.get("district"), venue.get("city")]
    return {"title": doc.get("title") or "", "topic": " ".join(t for t in topic if t),
            "body": " ".join(b for b in body if b)}

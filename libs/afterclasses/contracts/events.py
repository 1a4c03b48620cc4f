"""The event envelope, defined once for every producer and consumer.

``{id, type, version, occurred_at, key, payload}``: ``version`` is the version of the payload's
schema for that ``type`` (a breaking change is a new version); the catalog entry's own version,
which consumers use for idempotency, travels inside the payload.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from marshmallow import ValidationError

CATALOG_ENTRIES = "catalog.entries"
COMMUNITY_COMMENTS = "community.comments"


def dlq_topic(topic: str) -> str:
    """Where messages of ``topic`` that cannot be decoded or validated go."""
    return f"{topic}.dlq"


class InvalidMessage(Exception):
    """A message that can never be processed (undecodable, unknown type, schema-invalid)."""


@dataclasses.dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    version: int
    occurred_at: str
    key: str
    payload: dict

    def encode(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, separators=(",", ":")).encode()


def new_event(type: str, key: str, payload: dict, version: int = 1) -> Envelope:
    """A new envelope, validated against its schema so a producer cannot emit a bad event."""
    env = Envelope(
        id=str(uuid.uuid4()),
        type=type,
        version=version,
        occurred_at=dt.datetime.now(dt.UTC).isoformat(),
        key=key,
        payload=payload,
    )
    return _validated(env)


_FIELDS = {f.name for f in dataclasses.fields(Envelope)}


def decode(raw: bytes) -> Envelope:
    """Parse and validate one message.

    :raise InvalidMessage: not JSON, not an envelope, unknown type/version, or payload invalid.
    """
    try:
        data = json.loads(raw)
        json.dumps(data, ensure_ascii=False).encode()  # lone surrogates cannot be stored anywhere
    except (UnicodeError, ValueError, TypeError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from None
    except RecursionError:
        raise InvalidMessage("not JSON: nested too deeply") from None
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise InvalidMessage(f"not an envelope: fields must be {sorted(_FIELDS)}")
    return _validated(Envelope(**data))


def _validated(env: Envelope) -> Envelope:
    """``env`` with its payload as the schema loads it (types coerced, defaults filled), so a
    consumer never sees a value the contract did not promise ("5" for a number, say)."""
    from afterclasses.contracts.schemas import schema_for  # schemas import marshmallow models

    if not isinstance(env.type, str) or not isinstance(env.version, int) or isinstance(env.version, bool):
        raise InvalidMessage("not an envelope: type must be a string and version an integer")
    schema = schema_for(env.type, env.version)
    if schema is None:
        raise InvalidMessage(f"unknown event type/version: {env.type!r} v{env.version!r}")
    if not isinstance(env.key, str) or not env.key:
        raise InvalidMessage("key must be a non-empty string")
    if not isinstance(env.payload, dict):
        raise InvalidMessage("payload must be an object")
    try:
        payload = schema.load(env.payload)
    except ValidationError as exc:
        raise InvalidMessage(f"payload invalid: {exc.messages}") from None
    except RecursionError:
        raise InvalidMessage("payload invalid: nested too deeply") from None
    return dataclasses.replace(env, payload=payload)

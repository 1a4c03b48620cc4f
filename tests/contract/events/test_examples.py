"""Topic contracts: every sample message validates; the envelope round-trips; bad ones are refused."""
import json
from importlib import resources

import pytest

from afterclasses.contracts import Envelope, InvalidMessage, decode
from afterclasses.contracts.schemas import event_types

EXAMPLES = resources.files("afterclasses.contracts").joinpath("examples")


def examples():
    for topic in EXAMPLES.iterdir():
        for version in topic.iterdir():
            for path in version.iterdir():
                if path.name.endswith(".json"):
                    name = f"{topic.name}/{version.name}/{path.name}"
                    yield pytest.param(topic.name, int(version.name), path, id=name)


@pytest.mark.parametrize("topic, version, path", list(examples()))
def test_every_example_validates_and_round_trips(topic, version, path):
    raw = path.read_bytes()
    env = decode(raw)
    assert env.version == version and path.name == f"{env.type}.json"
    assert decode(env.encode()) == env


def test_every_event_type_has_an_example():
    names = {p.name for p in EXAMPLES.joinpath("catalog.entries", "1").iterdir()}
    assert {f"{t}.json" for t, v in event_types()} <= names


@pytest.mark.parametrize("mutate, reason", [
    (lambda e: e.update(type="activity.exploded"), "unknown event type"),
    (lambda e: e.update(version=99), "unknown event type"),
    (lambda e: e.pop("key"), "not an envelope"),
    (lambda e: e.update(extra=1), "not an envelope"),
    (lambda e: e["payload"].pop("title"), "payload invalid"),
    (lambda e: e["payload"].update(age_min=20, age_max=5), "payload invalid"),
    (lambda e: e["payload"].update(updated_at="2026-01-01T00:00:00"), "payload invalid"),
])
def test_invalid_messages_are_refused_with_a_reason(mutate, reason):
    data = json.loads(EXAMPLES.joinpath("catalog.entries", "1", "activity.published.json").read_bytes())
    mutate(data)
    with pytest.raises(InvalidMessage, match=reason):
        decode(json.dumps(data).encode())


def test_envelope_is_json_with_exactly_its_fields():
    env = decode(EXAMPLES.joinpath("catalog.entries", "1", "provider.published.json").read_bytes())
    assert isinstance(env, Envelope)
    assert set(json.loads(env.encode())) == {"id", "type", "version", "occurred_at", "key", "payload"}

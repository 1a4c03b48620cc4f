"""How the desk shows values to an editor: lines a person reads, and the review's rows."""
import pytest
from flask import Flask
from flask_babel import Babel

from afterclasses_web import desk_display as display


@pytest.fixture(autouse=True)
def ctx():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context("/"):
        yield


def test_values_read_as_lines_never_json():
    sessions = [{"weekday": "wed", "start": "15:00", "end": "17:00"}, {"weekday": "mon", "start": "09:00",
                                                                        "end": "10:00"}]
    assert display.value_lines("sessions", sessions) == ["Monday 09:00–10:00", "Wednesday 15:00–17:00"]
    assert display.value_lines("price", {"free": False, "amount": 40, "currency": "USD", "period": "month"}) == [
        "$40 per month"]
    assert display.value_lines("venue", {"name": "P.S. 121", "lat": 40.866081, "lon": -73.85, "approximate": True}) == [
        "Name: P.S. 121", "Point: 40.866081, -73.85 (approximate: the area's point, not the address)"]
    assert display.value_lines("contact", {"phone": "(718) 231-3239", "email": None}) == ["Phone: (718) 231-3239"]
    assert display.value_lines("category", "sports.racket.tennis") == ["Tennis (sports.racket.tennis)"]
    assert display.value_lines("gender", "girls") == ["girls only"]
    assert display.value_lines("tags", ["arts, crafts", "clay"]) == ["arts, crafts, clay"]
    assert display.value_lines("title", "") == [] and display.value_lines("venue", None) == []


def test_a_corrections_rows_show_every_field_and_mark_the_changed_ones():
    live = {"title": "Tennis", "age_min": 5.0, "age_max": 11.0, "sessions": []}
    detail = {"kind": "edit", "payload": {}, "diff": [{"field": "age_max", "old": 11.0, "new": 12.0}]}
    rows = {r["field"]: r for r in display.comparison(detail, live)}
    assert [f for f, r in rows.items() if r["changed"]] == ["age_max"]
    assert rows["age_max"]["old"] == ["11"] and rows["age_max"]["new"] == ["12"]
    assert rows["title"]["old"] == rows["title"]["new"] == ["Tennis"]


def test_a_submission_is_named_by_what_it_brings():
    assert display.submission_title({"kind": "activity", "payload": {"activity": {"title": "Chess"}}}) == "Chess"
    assert display.submission_title({"kind": "provider", "payload": {"provider": {"name": "Club"}}}) == "Club"
    assert display.submission_title({"kind": "edit", "payload": {}, "target_title": "Tennis"}) == "Tennis"

"""How the pages say distances, ages, prices, schedules; where a sign-in may send you next."""
import pytest
from flask import Flask
from flask_babel import Babel

from afterclasses_web import pages
from afterclasses_web.security import safe_next


@pytest.fixture
def ctx():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context("/"):
        yield


def test_distance(ctx):
    assert pages.distance(0.447) == "450 m"
    assert pages.distance(4.44) == "4.4 km"
    assert pages.distance(23.6) == "24 km"
    assert pages.distance(None) == ""


def test_ages(ctx):
    assert pages.ages({"age_min": 5, "age_max": 11}) == "5–11 years"
    assert pages.ages({"age_min": 1.5, "age_max": None}) == "1.5+ years"
    assert pages.ages({"age_min": 0, "age_max": 3}) == "up to 3 years"
    assert pages.ages({}) == "all ages"


def test_price(ctx):
    assert pages.price({"price": {"free": True}}) == "free"
    monthly = {"free": False, "amount": 40, "currency": "USD", "period": "month"}
    assert pages.price({"price": monthly}) == "$40 per month"
    assert pages.price({"price": None}) == ""


def test_schedule_groups_days_sharing_a_time(ctx):
    sessions = [{"weekday": "wed", "start": "16:00", "end": "17:30"},
                {"weekday": "mon", "start": "16:00", "end": "17:30"},
                {"weekday": "sat", "start": "10:00", "end": "11:00"}]
    assert pages.schedule(sessions) == "Mon, Wed 16:00–17:30 · Sat 10:00–11:00"
    assert [day for day, _ in pages.weekly(sessions)] == ["Monday", "Wednesday", "Saturday"]


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)", "evil.example",
    "/ok\r\nSet-Cookie: x=1", "\\\\evil.example", " //evil.example"])
def test_safe_next_refuses_other_sites(ctx, target):
    assert safe_next(target, "/desk") == "/desk"


def test_safe_next_keeps_local_paths(ctx):
    assert safe_next("/desk/submissions/1?x=2", "/desk") == "/desk/submissions/1?x=2"
    assert safe_next(None, "/desk") == "/desk"


def test_workers_starting_at_once_share_one_development_secret(tmp_path):
    import concurrent.futures

    from afterclasses_web.settings import WebSettings

    settings = WebSettings(data_dir=tmp_path)
    with concurrent.futures.ProcessPoolExecutor(4) as pool:
        secrets = set(pool.map(WebSettings.secret_key, [settings] * 16))
    assert len(secrets) == 1 and len(secrets.pop()) >= 32
    assert not [p for p in tmp_path.iterdir() if p.name != "web-secret"]


def test_a_price_beyond_number_formatting_is_still_said(ctx):
    assert pages.price({"price": {"free": False, "amount": 1e27, "currency": "USD"}}) == "1e+27 USD"


def test_each_number_of_a_phone_cell_dials_on_its_own(ctx):
    assert pages.phone_links("+7 499 261-07-11, +7 499 261-03-83") == [
        ("+7 499 261-07-11", "tel:+74992610711"), ("+7 499 261-03-83", "tel:+74992610383")]
    assert pages.phone_links("+1 718-231-3239 ext. 12") == [("+1 718-231-3239 ext. 12", "tel:+17182313239")]
    assert pages.phone_links("ask at the desk") == [("ask at the desk", None)]
    assert pages.phone_links(None) == []

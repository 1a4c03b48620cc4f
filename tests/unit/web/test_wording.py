"""Words the pages build from data, in English and Russian: how long ago, how long a submission
has waited, the APIs' field messages, the desk queue's count."""
from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template
from flask_babel import get_translations

from afterclasses_web import create_app, pages
from afterclasses_web.forms.errors import api_message
from afterclasses_web.settings import WebSettings
from tests.conftest import DATASETS
from tests.unit.web.fakes import FakeIngestClient, FakeSearchClient


@pytest.fixture
def app(tmp_path):
    settings = WebSettings(data_dir=str(tmp_path), datasets_dir=str(DATASETS), web_secret_key="unit")
    return create_app(settings, search=FakeSearchClient(), ingest=FakeIngestClient())


@pytest.fixture
def en(app):
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def ru(app):
    with app.test_request_context("/?lang=ru"):
        yield


def before(**delta) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5, **delta)).isoformat()


def needs_russian(singular: str, plural: str | None = None) -> None:
    """Skip until the Russian catalog has the message (new ones are merged into it separately)."""
    translations = get_translations()
    said = translations.ngettext(singular, plural, 5) if plural else translations.gettext(singular)
    if said == (plural or singular):
        pytest.skip(f"no Russian for {singular!r} in the catalog yet")


@pytest.mark.parametrize("delta, said", [({"minutes": 1}, "1 minute"), ({"minutes": 42}, "42 minutes"),
                                         ({"hours": 1}, "1 hour"), ({"hours": 23}, "23 hours"),
                                         ({"days": 1}, "1 day"), ({"days": 30}, "30 days")])
def test_how_long_a_submission_has_waited(en, delta, said):
    assert pages.waited(before(**delta)) == said


@pytest.mark.parametrize("delta, said", [({"minutes": 1}, "1 минуту"), ({"minutes": 3}, "3 минуты"),
                                         ({"minutes": 11}, "11 минут"), ({"minutes": 21}, "21 минуту"),
                                         ({"hours": 2}, "2 часа"), ({"hours": 5}, "5 часов"),
                                         ({"days": 1}, "1 день"), ({"days": 22}, "22 дня")])
def test_russian_says_how_long_in_the_accusative_that_follows_waiting(ru, delta, said):
    needs_russian("%(num)s minute", "%(num)s minutes")
    assert pages.waited(before(**delta)) == said  # «ждёт 1 минуту», never «ждёт 1 минута»


@pytest.mark.parametrize("days, said", [(1, "1 день назад"), (3, "3 дня назад"), (11, "11 дней назад"),
                                        (21, "21 день назад"), (0, "сегодня")])
def test_russian_days_ago_take_the_three_plural_forms(ru, days, said):
    assert pages.ago(before(days=days)) == said


@pytest.mark.parametrize("message", ["Longer than maximum length 10000.",
                                     "Must be greater than or equal to 0 and less than or equal to 99.",
                                     "Unknown category 'x'.", "Must be one of: any, boys, girls.",
                                     "Something no pattern knows."])
def test_english_pages_show_the_apis_messages_word_for_word(en, message):
    assert api_message(message) == message


def test_some_api_messages_are_worded_for_people(en):
    assert api_message("Not a valid email address.") == "Enter an e-mail address like name@example.com."
    assert api_message("Longer than maximum length 50.", "tags", of_list=True) == "Too many: at most 50."


@pytest.mark.parametrize("message, said", [
    ("Longer than maximum length 10000.", "Слишком длинно: максимальная длина — 10000."),
    ("Must be greater than or equal to 0 and less than or equal to 99.", "Введите число от 0 до 99."),
    ("Must be greater than 0 and less than or equal to 1000.", "Введите число больше 0 и не больше 1000."),
    ("Unknown category 'x'.", "Нет такой категории: 'x'."),
    ("Must be one of: any, boys, girls.", "Выберите одно из значений: any, boys, girls."),
])
def test_russian_pages_translate_the_apis_messages_keeping_their_values(ru, message, said):
    needs_russian("Longer than maximum length %(max)s.")
    assert api_message(message) == said


def test_russian_pages_keep_a_message_no_pattern_knows_and_reword_known_ones(ru):
    assert api_message("Something no pattern knows.") == "Something no pattern knows."
    assert api_message("Not a valid email address.") == "Введите адрес эл. почты, например name@example.com."


def test_the_desk_queue_says_either_how_many_wait_or_that_none_does(en):
    empty = render_template("desk/queue.html", items=[], total=0, page=1, pages=1, kind=None, kinds={})
    assert "Nothing is waiting for review." in empty and "submissions are waiting" not in empty
    item = {"id": "1", "kind": "activity", "title": "Chess", "created_at": before(minutes=1), "submitted_by": None}
    one = render_template("desk/queue.html", items=[item], total=1, page=1, pages=1, kind=None, kinds={})
    assert "1 submission is waiting, oldest first." in one and "Nothing is waiting" not in one
    assert 'class="waiting">1 minute</td>' in one

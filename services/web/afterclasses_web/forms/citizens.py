"""The citizens' forms (Flask-WTF): a new activity, a new provider, a correction. They check only
the CSRF token; every rule of the catalog is ingest's (see the package's docstring)."""
from __future__ import annotations

import hashlib
import json
import secrets

from flask import request
from flask_babel import get_locale, gettext, lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from afterclasses import taxonomy
from afterclasses.contracts.schemas import MAX_SESSIONS
from afterclasses.web import IDEMPOTENCY_KEY
from afterclasses_web.pages import DAY_NAMES_LONG, PERIODS, WEEKDAYS

HONEYPOT = "website_url"  # a name spam bots like to fill; humans never see the field
VENUE_KEYS = ("name", "address", "district", "city", "lat", "lon")
CONTACT_KEYS = ("phone", "email", "website")
SESSION_KEYS = ("weekday", "start", "end")
# the activity fields a correction may replace (whole top-level fields, as ingest's edits do)
EDITABLE = ("title", "description", "category", "tags", "age_min", "age_max", "gender", "sessions", "price",
            "language", "accessibility", "venue", "contact")

EXPIRED = lazy_gettext("Your form expired or came from another site; we kept what you typed — "
                       "check it and send again.")
TOO_MANY = lazy_gettext("You have sent a lot in a short time. We kept what you typed: please wait a while "
                        "and send it again.")
# (ingest may have stored it before the answer was lost: sending again is safe, see idempotency_key)
DOWN = lazy_gettext("We could not confirm your submission right now. We kept what you typed: please send it "
                    "again in a minute (it will not be stored twice).")


_DASH = lazy_gettext("Choose…")


def _choices(pairs, blank=_DASH) -> list[SelectChoice]:
    """Options for a select, the first one blank unless ``blank`` is None."""
    head = [("", blank)] if blank is not None else []
    return [SelectChoice(value, label) for value, label in [*head, *pairs]]


class SessionRow(Form):
    """One weekly session. A plain ``Form``: the page's one CSRF token covers the rows."""

    weekday = SelectField(lazy_gettext("Day"), choices=_choices((d, DAY_NAMES_LONG[d]) for d in WEEKDAYS),
                          validate_choice=False)
    start = StringField(lazy_gettext("From"), render_kw={"type": "time"})
    end = StringField(lazy_gettext("To"), render_kw={"type": "time"})


def _submitter_and_honeypot():
    return (
        StringField(lazy_gettext("Your name"), render_kw={"autocomplete": "name"}),
        EmailField(lazy_gettext("Your e-mail"), render_kw={"autocomplete": "email"}),
        StringField(lazy_gettext("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"}),
    )


def _provider_fields(required: bool):
    # ``required`` only marks the field: ingest says a missing name with every other mistake
    return (
        StringField(lazy_gettext("Name of the organisation"), render_kw={"autocomplete": "organization",
                                                                        **({"required": True} if required else {})}),
        SelectField(lazy_gettext("Kind of organisation"), validate_choice=False, choices=_choices([
            ("public", lazy_gettext("Public (city, school)")), ("private", lazy_gettext("Private")),
            ("non-profit", lazy_gettext("Non-profit"))])),
        StringField(lazy_gettext("Phone"), render_kw={"type": "tel", "autocomplete": "tel"}),
        EmailField(lazy_gettext("E-mail")),
        StringField(lazy_gettext("Website"), render_kw={"type": "url", "inputmode": "url"}),
        StringField(lazy_gettext("Address")),
    )


class TextForm(FlaskForm):
    """A form of typed text only: it reads the posted fields, never an uploaded file or a JSON body
    (a file part named like a field would reach the fields as an object they cannot handle)."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto:
                return request.form if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
            return formdata


class SubmissionForm(TextForm):
    """What every citizens' form has: CSRF (FlaskForm's), a honeypot, an idempotency key, and
    room for the errors ingest reports that belong to no single field."""

    # made when the form is first shown and posted back with it: a double click, or a retry after
    # "we could not send it", stores the submission once (ingest's Idempotency-Key)
    submission_key = HiddenField(default=lambda: secrets.token_urlsafe(18))
    # to the editors only: a source ("from their flyer"), or what is wrong when the writer does not
    # know the fix ("it closed in May"): a correction may be this alone
    message = TextAreaField(lazy_gettext("Anything the editors should know?"), render_kw={"rows": 3})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.general_errors: list[str] = []
        self.group_errors: dict[str, list[str]] = {}

    def idempotency_key(self, body: dict) -> str | None:
        """ingest's Idempotency-Key for ``body``: the form's key and the body's digest, so a double
        click or a retry stores the submission once, while the same form changed and sent again
        (Back, edit, send) is a submission of its own."""
        key = self.submission_key.data or ""
        if not IDEMPOTENCY_KEY.fullmatch(key):
            return None
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return f"{key[:40]}-{digest[:16]}"

    @property
    def is_spam(self) -> bool:
        return bool(self[HONEYPOT].data)  # even spaces: a person never sees the field

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)


class ActivityFieldsForm(SubmissionForm):
    """The fields of an activity (new or corrected)."""

    # required, but said by ingest with every other mistake of the form in one round
    title = StringField(lazy_gettext("Title"), render_kw={"required": True})
    category = SelectField(lazy_gettext("Category"), validate_choice=False)
    description = TextAreaField(lazy_gettext("Description"), render_kw={"rows": 6})
    age_min = StringField(lazy_gettext("From age"), render_kw={"inputmode": "decimal"})
    age_max = StringField(lazy_gettext("To age"), render_kw={"inputmode": "decimal"})
    gender = SelectField(lazy_gettext("For"), default="any", validate_choice=False, choices=_choices([
        ("any", lazy_gettext("Boys and girls")), ("boys", lazy_gettext("Boys only")),
        ("girls", lazy_gettext("Girls only"))], blank=None))
    # as many rows as the catalog allows sessions: a correction must be able to show every one
    sessions = FieldList(FormField(SessionRow), min_entries=4, max_entries=MAX_SESSIONS)
    price_free = BooleanField(lazy_gettext("It is free"))
    price_amount = StringField(lazy_gettext("Amount"), render_kw={"inputmode": "decimal"})
    price_currency = StringField(lazy_gettext("Currency"), render_kw={"size": 4, "autocapitalize": "characters"})
    price_period = SelectField(lazy_gettext("Payment period"), validate_choice=False,
                               choices=_choices((k, v) for k, v in PERIODS.items()))
    venue_name = StringField(lazy_gettext("Place name"))
    venue_address = StringField(lazy_gettext("Street address"), render_kw={"autocomplete": "street-address"})
    venue_district = StringField(lazy_gettext("District or neighbourhood"))
    venue_city = StringField(lazy_gettext("City"))
    venue_lat = StringField(lazy_gettext("Latitude"), render_kw={"inputmode": "decimal"})
    venue_lon = StringField(lazy_gettext("Longitude"), render_kw={"inputmode": "decimal"})
    # the people who run this activity, when not the organisation's own (a site's phone)
    contact_phone = StringField(lazy_gettext("Phone"), render_kw={"type": "tel", "autocomplete": "off"})
    contact_email = EmailField(lazy_gettext("E-mail"), render_kw={"autocomplete": "off"})
    contact_website = StringField(lazy_gettext("Website"), render_kw={"type": "url", "inputmode": "url"})
    language = StringField(lazy_gettext("Language of the lessons"), render_kw={"size": 3})
    accessibility = TextAreaField(lazy_gettext("Accessibility"), render_kw={"rows": 3})
    tags = StringField(lazy_gettext("Keywords"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices(self.category.data)

    def pad_sessions(self, blank: int = 2) -> None:
        """Leave ``blank`` empty rows to fill (there is no script to add rows)."""
        empty = sum(1 for row in self.sessions if not any((row[k].data or "").strip() for k in SESSION_KEYS))
        for _ in range(max(0, blank - empty)):
            if len(self.sessions) >= self.sessions.max_entries:
                break
            self.sessions.append_entry()


class NewActivityForm(ActivityFieldsForm):
    # an organisation already in the catalog (from its page's "add an activity"), else its fields
    provider_id = HiddenField()
    # its name as the page showed it: the page still names it when ingest cannot (never sent on)
    provider_name_shown = HiddenField()
    (provider_name, provider_kind, provider_phone, provider_email, provider_website,
     provider_address) = _provider_fields(required=False)
    submitter_name, submitter_email, website_url = _submitter_and_honeypot()


class CorrectionForm(ActivityFieldsForm):
    submitter_name, submitter_email, website_url = _submitter_and_honeypot()
    # the live version the form showed: a change approved meanwhile makes this correction stale
    # for the editor, instead of silently undoing that change
    base_version = HiddenField()
    # a digest of each field as the form showed it: a correction sends only what its writer
    # changed, never a field someone else changed since (sending it would revert their change)
    shown = HiddenField()


class ProviderForm(SubmissionForm):
    (provider_name, provider_kind, provider_phone, provider_email, provider_website,
     provider_address) = _provider_fields(required=True)
    submitter_name, submitter_email, website_url = _submitter_and_honeypot()


def category_choices(current: str | None = None) -> list[SelectChoice]:
    """The taxonomy, each category with its path ("Sports › Racket sports › Tennis") in the page's
    language. A value the taxonomy does not know is kept as typed (ingest says what is wrong)."""
    lang = str(get_locale() or "en")
    cats = taxonomy.categories()
    pairs = [(slug, " › ".join(cats[s].label(lang) for s in taxonomy.ancestors(slug))) for slug in cats]
    if current and current not in cats:
        pairs.append((current, current))
    return _choices(pairs, blank=gettext("Choose a category"))



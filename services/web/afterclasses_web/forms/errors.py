"""ingest's 422 on the form: each field-level message next to the field it names, the rest at the
top, and the summary of them all that opens the page."""
from __future__ import annotations

import dataclasses
import re

from flask_babel import gettext, lazy_gettext
from wtforms import (
    FieldList,
)

from afterclasses_web.forms.citizens import CONTACT_KEYS, HONEYPOT, SESSION_KEYS, VENUE_KEYS, SubmissionForm

# the APIs' messages are English (ingest's, and search's for the results page); these are worded
# for people (and translated). Any other message is shown as the API wrote it.
_MESSAGES = {
    "Missing data for required field.": lazy_gettext("This is required."),
    "Field may not be null.": lazy_gettext("This is required."),
    "Not a valid number.": lazy_gettext("Enter a number, e.g. 7 or 7.5."),
    "Not a valid email address.": lazy_gettext("Enter an e-mail address like name@example.com."),
    "Use HH:MM.": lazy_gettext("Enter a time like 15:30."),
    "Must be later than start.": lazy_gettext("Must be later than the start."),
    "Must not be less than age_min.": lazy_gettext("Must not be less than the youngest age."),
    "Use an ISO 4217 code.": lazy_gettext("Use a three-letter currency code, e.g. USD or RUB."),
    "Use an ISO 639-1 code, e.g. en.": lazy_gettext("Use a two-letter language code, e.g. en or ru."),
    "A free activity has no amount.": lazy_gettext("A free activity has no amount."),
    "Give the currency of the amount.": lazy_gettext("Give the currency of the amount."),
    "Give both lat and lon, or neither.": lazy_gettext("Give both latitude and longitude, or neither."),
    "Name at least one field to change.": lazy_gettext("Change at least one field."),
    "Name at least one field to change, or say what is wrong in message.":
        lazy_gettext("Change at least one field, or tell the editors what is wrong."),
    "Special numeric values (nan or infinity) are not permitted.": lazy_gettext("Enter a number, e.g. 7 or 7.5."),
    "Nothing differs from the live entry.": lazy_gettext("Nothing differs from what the site shows now."),
    "Must be greater than or equal to -90 and less than or equal to 90.":
        lazy_gettext("A latitude is between -90 and 90."),
    "Must be greater than or equal to -180 and less than or equal to 180.":
        lazy_gettext("A longitude is between -180 and 180."),
    # said in English as the API says them, translated into other languages
    "Not a valid integer.": lazy_gettext("Not a valid integer."),
    "Number too large.": lazy_gettext("Number too large."),
    "Not a valid URL.": lazy_gettext("Not a valid URL."),
    "Must not be in the future.": lazy_gettext("Must not be in the future."),
    "Not a phone number: use digits, spaces and + - ( ) . , with 'ext.' for an extension.":
        lazy_gettext("Not a phone number: use digits, spaces and + - ( ) . , with 'ext.' for an extension."),
}


# the same rule said about one field in particular
_FIELD_MESSAGES = {
    ("title", "Missing data for required field."): lazy_gettext("Give the activity a title."),
    ("title", "Field may not be null."): lazy_gettext("Give the activity a title."),
    ("provider_name", "Missing data for required field."): lazy_gettext("Give the organisation's name."),
}


_N = r"-?\d[\d.e+-]*"  # a limit as marshmallow writes it: 0, -90, 2.5, 1e+16
# marshmallow's messages that carry a limit or a value: in English word for word as the API says
# them, in other languages translated with the limit or value kept
_PATTERNS = [(re.compile(pattern), message) for pattern, message in (
    (rf"Longer than maximum length (?P<max>{_N})\.", lazy_gettext("Longer than maximum length %(max)s.")),
    (rf"Shorter than minimum length (?P<min>{_N})\.", lazy_gettext("Shorter than minimum length %(min)s.")),
    (rf"Must be greater than or equal to (?P<min>{_N}) and less than or equal to (?P<max>{_N})\.",
     lazy_gettext("Must be greater than or equal to %(min)s and less than or equal to %(max)s.")),
    (rf"Must be greater than (?P<min>{_N}) and less than or equal to (?P<max>{_N})\.",
     lazy_gettext("Must be greater than %(min)s and less than or equal to %(max)s.")),
    (rf"Must be greater than or equal to (?P<min>{_N})\.", lazy_gettext("Must be greater than or equal to %(min)s.")),
    (rf"Must be less than or equal to (?P<max>{_N})\.", lazy_gettext("Must be less than or equal to %(max)s.")),
    (r"Must be one of: (?P<choices>.*)\.", lazy_gettext("Must be one of: %(choices)s.")),
    (r"Unknown category (?P<value>'.*'|\".*\")\.", lazy_gettext("Unknown category %(value)s.")),
)]
# the same length limit on a list (keywords, days and times) counts its items, not characters
_TOO_MANY = (re.compile(rf"Longer than maximum length (?P<max>{_N})\."), lazy_gettext("Too many: at most %(max)s."))


def api_message(message, field: str | None = None, of_list: bool = False) -> str:
    """An API's (marshmallow's) English message in words for people, in the page's language; one
    it does not know is shown as the API wrote it. ``of_list``: the message is about a whole list."""
    text = str(message)
    known = _FIELD_MESSAGES.get((field, text)) or _MESSAGES.get(text)
    if known:
        return str(known)
    for pattern, worded in ([_TOO_MANY] if of_list else []) + _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return str(worded) % found.groupdict()
    return text


# where a path of ingest's ``details`` (below the submission's top level) is shown
_FIELD_PATHS = {
    **{("activity", k): k for k in ("title", "category", "description", "tags", "age_min", "age_max", "gender",
                                    "language", "accessibility")},
    **{("activity", "venue", k): f"venue_{k}" for k in VENUE_KEYS},
    **{("activity", "price", k): f"price_{k}" for k in ("free", "amount", "currency", "period")},
    **{("activity", "contact", k): f"contact_{k}" for k in CONTACT_KEYS},
    **{("provider", k): f"provider_{k}" for k in ("name", "kind", "phone", "email", "website", "address")},
    **{("submitter", k): f"submitter_{k}" for k in ("name", "email")},
    ("message",): "message",
}
# groups of fields (fieldsets) that take the messages about the group as a whole
_GROUP_PATHS = {("activity", "venue"): "venue", ("activity", "price"): "price", ("activity", "contact"): "contact",
                ("activity", "sessions"): "sessions", ("provider",): "provider", ("submitter",): "submitter"}
GROUP_LEGENDS = {"venue": lazy_gettext("Where"), "price": lazy_gettext("Price"),
                 "sessions": lazy_gettext("Weekly schedule"), "provider": lazy_gettext("Who runs it"),
                 "contact": lazy_gettext("Contact for this activity"),
                 "submitter": lazy_gettext("About you")}
# the first field of each group: the group's own messages come just before it in the summary
GROUP_FIRST_FIELD = {"venue": "venue_name", "price": "price_free", "sessions": "sessions", "contact": "contact_phone",
                     "provider": "provider_name", "submitter": "submitter_name"}


def _flatten(messages, path=()):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, (*path, str(key)))
    elif isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        if texts:
            yield path, texts
        for m in messages:
            if isinstance(m, dict):
                yield from _flatten(m, path)
    else:
        yield path, [str(messages)]


def attach_errors(form: SubmissionForm, details, session_rows: list[int]) -> None:
    """Put ingest's field messages next to the form's fields: ``details`` is marshmallow's nested
    messages, e.g. ``{"activity": {"age_max": [...], "venue": {"lat": [...]}}}``; an edit's are
    under ``changes``. A message no field matches goes to the top of the form."""
    for path, texts in _flatten(details):
        if path[:1] == ("changes",):
            path = ("activity", *path[1:])
        path = tuple(p for p in path if p != "_schema")
        target = _session_field(form, path, session_rows) or _field(form, path)
        of_list = path[-1:] in (("tags",), ("sessions",))
        texts = [api_message(t, target.name if target is not None else None, of_list) for t in texts]
        if target is not None:
            target.errors = [*target.errors, *texts]
            continue
        group = next((_GROUP_PATHS[path[:n]] for n in range(len(path), 0, -1) if path[:n] in _GROUP_PATHS), None)
        if group:
            form.group_errors.setdefault(group, []).extend(texts)
        else:
            form.general_errors.extend(texts)


def _field(form, path):
    for n in range(len(path), 0, -1):  # "activity.tags.3" is the tags field; "venue.x" is no field
        name = _FIELD_PATHS.get(path[:n])
        if name and name in form:
            return form[name]
    return None


def _session_field(form, path, session_rows):
    if path[:2] != ("activity", "sessions") or len(path) < 3 or "sessions" not in form:
        return None
    try:
        row = form.sessions[session_rows[int(path[2])]]
    except (ValueError, IndexError):
        return None
    key = path[3] if len(path) > 3 and path[3] in SESSION_KEYS else "weekday"
    return row[key]


@dataclasses.dataclass
class SummaryEntry:
    anchor: str | None  # the id of the field (or group) to link to
    label: str
    message: str


def group_anchor(group: str) -> str:
    return f"{group}-group"


def error_summary(form: SubmissionForm) -> list[SummaryEntry]:
    """Every message on the form, in the page's order, each linking to its field or group."""
    entries = [SummaryEntry(None, "", str(m)) for m in form.general_errors]
    starts = {name: group for group, name in GROUP_FIRST_FIELD.items()}
    for field in form:
        if field.name in ("csrf_token", HONEYPOT):
            continue
        group = starts.get(field.name)
        if group:
            entries += [SummaryEntry(group_anchor(group), str(GROUP_LEGENDS[group]), str(m))
                        for m in form.group_errors.get(group, [])]
        if isinstance(field, FieldList):
            for i, row in enumerate(field):
                for sub in row:
                    label = gettext("Day and time %(n)s, %(field)s", n=i + 1, field=str(sub.label.text).lower())
                    entries += [SummaryEntry(sub.id, label, str(m)) for m in sub.errors]
        else:
            entries += [SummaryEntry(field.id, str(field.label.text), str(m)) for m in field.errors]
    for group, texts in form.group_errors.items():
        if GROUP_FIRST_FIELD[group] not in form:  # a group this page has no fieldset for
            entries += [SummaryEntry(None, "", str(m)) for m in texts]
    return entries


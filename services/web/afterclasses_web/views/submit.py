"""Citizens' submissions: a new activity, a new provider, a correction, and the page that follows one.

Every POST runs the same steps (:func:`_send`): the form's own CSRF check (a failure re-renders
what was typed, with a fresh token, and sends nothing), the honeypot (a filled one pretends
success and sends nothing), then ingest, whose 422 messages go back next to their fields. The
rate limit is shared by the three forms, per client address.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext, lazy_gettext
from werkzeug.exceptions import NotFound

from afterclasses_web import forms, web
from afterclasses_web.clients import ServiceDown, is_id
from afterclasses_web.pages import error_page
from afterclasses_web.security import limiter

bp = Blueprint("submit", __name__)

KINDS = {"activity": lazy_gettext("New activity"), "provider": lazy_gettext("New organisation"),
         "edit": lazy_gettext("Correction"), "import": lazy_gettext("Import")}



# one budget for all the forms of this blueprint, so spreading posts over forms gains nothing:
# submissions taken (a 303: accepted, or a bot's honeypot), so a parent's typos cost nothing,
# and, far looser, attempts of any outcome
_accepted = limiter.shared_limit(lambda: web().settings.submit_rate_limit, scope="submissions", methods=["POST"],
                                 deduct_when=lambda resp: resp.status_code == 303)
_attempts = limiter.shared_limit(lambda: web().settings.submit_attempt_rate_limit, scope="submission-attempts",
                                 methods=["POST"])


def _limit(view):
    return _attempts(_accepted(view))


@bp.route("/submit/activity", methods=["GET", "POST"])
@_limit
def new_activity():
    form = forms.NewActivityForm()
    if request.method == "GET":
        form.provider_id.data = request.args.get("provider", "")
        return _page(form, provider=_known_provider(form))
    runner = _provider_or_keep(form)
    if form.general_errors:  # ingest is down: it would not take the submission either
        return _page(form, 503, provider=runner)
    return _send(form, lambda: forms.new_activity_body(form, web().places),
                 lambda status: _page(form, status, provider=runner))


def _known_provider(form: forms.NewActivityForm) -> dict | None:
    """The catalog's organisation the new activity is for (``provider_id``), or None: the form
    then asks for one. An id that names none is dropped.

    :raise ServiceDown: ingest did not answer.
    """
    provider_id = (form.provider_id.data or "").strip()
    if not provider_id:
        return None
    reply = web().ingest.provider(provider_id) if is_id(provider_id) else None
    if reply is None or not reply.ok:
        form.provider_id.data = form.provider_name_shown.data = ""
        return None
    form.provider_name_shown.data = reply.body.get("name") or ""
    return reply.body


def _provider_or_keep(form: forms.NewActivityForm) -> dict | None:
    """The organisation of a posted form; when ingest is down, the one the form showed (by the
    name it showed), the form then saying so above what was typed (which is kept, as on every form)."""
    try:
        return _known_provider(form)
    except ServiceDown:
        form.general_errors.append(forms.DOWN)
        return {"id": form.provider_id.data, "name": form.provider_name_shown.data}


@bp.route("/submit/provider", methods=["GET", "POST"])
@_limit
def new_provider():
    form = forms.ProviderForm()
    if request.method == "POST":
        return _send(form, lambda: forms.provider_body(form), lambda status: _page(form, status))
    return _page(form)


@bp.route("/activities/<activity_id>/correct", methods=["GET", "POST"])
@_limit
def correct_activity(activity_id: str):
    if request.method == "POST":
        form = forms.CorrectionForm()
        live = _live_or_keep(activity_id, form)
        if live is None:
            return _page(form, 503, live={"id": activity_id, "title": form.title.data or ""})
        return _send(form, lambda: forms.correction_body(form, activity_id, live, web().places),
                     lambda status: _page(form, status, live=live))
    live = _live(activity_id)
    return _page(forms.CorrectionForm(data=forms.prefill(live)), live=live)


def _live_or_keep(activity_id: str, form: forms.CorrectionForm) -> dict | None:
    """The live entry a posted correction is compared with; None when ingest is down, the form
    then saying so above what was typed (which is kept, as on every form)."""
    try:
        return _live(activity_id)
    except ServiceDown:
        form.general_errors.append(forms.DOWN)
        return None


@bp.get("/submissions/<submission_id>")
def submitted(submission_id: str):
    """The confirmation page; its address is the link to follow the submission."""
    if not is_id(submission_id):
        abort(404)
    reply = web().ingest.submission(submission_id)
    if not reply.ok:
        abort(404)
    sub, target = reply.body, None
    if sub.get("kind") == "edit" and sub.get("target_id"):  # which activity it corrects
        entry = web().ingest.activity(sub["target_id"])
        target = entry.body if entry.ok and entry.body.get("status") == "published" else None
    return render_template("submit/submitted.html", sub=sub, target=target, kinds=KINDS, when=_when)


def _when(iso: str | None) -> str:
    return format_datetime(dt.datetime.fromisoformat(iso), "medium") if iso else ""


@bp.get("/submit/thanks")
def thanks():
    """Where a filled honeypot lands: it looks like success and nothing was sent."""
    return render_template("submit/thanks.html")


@bp.errorhandler(429)
def _too_many(exc):
    """Over the limit: the same form again with what was typed (the app's 429 page would lose it)."""
    form_class = {"submit.new_activity": forms.NewActivityForm, "submit.new_provider": forms.ProviderForm,
                  "submit.correct_activity": forms.CorrectionForm}.get(request.endpoint)
    if form_class is None or request.method != "POST":
        return error_page(429)
    form = form_class()
    form.general_errors.append(forms.TOO_MANY)
    live = provider = None
    if form_class is forms.NewActivityForm:  # still for the organisation it named, never blank fields
        provider = _provider_or_keep(form)
    if form_class is forms.CorrectionForm:
        activity_id = request.view_args["activity_id"]
        try:
            live = _live_or_keep(activity_id, form) or {"id": activity_id, "title": form.title.data or ""}
        except NotFound:  # no such activity: its page, not a crash inside this handler
            return error_page(404)
    return _page(form, 429, live=live, provider=provider)


def _live(activity_id: str) -> dict:
    """The live activity a correction starts from (ingest's canonical entry)."""
    if not is_id(activity_id):
        abort(404)
    reply = web().ingest.activity(activity_id)
    if not reply.ok or reply.body.get("status") != "published":
        abort(404)
    return reply.body


def _send(form: forms.SubmissionForm, build, again):
    """Validate, filter spam, submit to ingest; on success 303 to the confirmation page.

    :param build: makes the :class:`forms.Built` body once the form is valid.
    :param again: renders the form again with a status code.
    """
    valid = form.validate()
    if form.csrf_failed:  # nothing is sent: the page comes back with a fresh token
        form.general_errors.append(forms.EXPIRED)
        return again(400)
    if form.is_spam:  # before the form's own checks: a bot learns nothing from our messages
        return redirect(url_for(".thanks"), 303)
    if not valid:
        return again(422)
    built = build()
    try:
        reply = web().ingest.submit(built.body, form.idempotency_key(built.body))
    except ServiceDown:
        form.general_errors.append(forms.DOWN)
        return again(503)
    if reply.ok:
        flash(gettext("Thank you! Editors will review it soon."), "success")
        return redirect(url_for(".submitted", submission_id=reply.body["id"]), 303)
    forms.attach_errors(form, reply.field_errors, built.session_rows)
    if not (reply.field_errors or form.general_errors):
        form.general_errors.append(reply.body.get("message") or gettext("The submission was not accepted."))
    return again(422 if reply.status == 422 else 400)


def _page(form: forms.SubmissionForm, status: int = 200, live: dict | None = None, provider: dict | None = None):
    template = {forms.NewActivityForm: "submit/activity.html", forms.ProviderForm: "submit/provider.html",
                forms.CorrectionForm: "submit/correct.html"}[type(form)]
    if isinstance(form, forms.ActivityFieldsForm):
        form.pad_sessions(blank=2 if live is not None else 1)
    return render_template(template, form=form, errors=forms.error_summary(form), live=live, provider=provider,
                           legends=forms.GROUP_LEGENDS, group_anchor=forms.group_anchor), status

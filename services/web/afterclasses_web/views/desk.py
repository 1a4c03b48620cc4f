"""The editors' desk: sign in and out, the review queue, one submission side by side with the live
entry, approve or reject with a note, and an entry's audit history.

The web holds nothing durable: accounts live in ingest, and the editor's ingest session token is
kept only in the signed session cookie (HttpOnly, SameSite=Lax). Ingest decides who may do what;
when it answers 401 (the session expired or was revoked) the cookie's token is dropped and the
editor is sent to sign in again, then back to the page they were on; a decision they were sending
comes back with them (:func:`_keep_draft`). A decision ingest did not answer comes back at once,
to send again.
"""
from __future__ import annotations

import functools
import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from afterclasses_web import desk_display as display
from afterclasses_web import web
from afterclasses_web.clients import ServiceDown, is_id
from afterclasses_web.forms import TextForm
from afterclasses_web.i18n import current_lang
from afterclasses_web.security import limiter, safe_next

log = logging.getLogger(__name__)
bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.after_request
def _private(resp):
    # an editor's pages hold a signed-in session's data: never kept by a browser or proxy cache
    resp.headers["Cache-Control"] = "no-store"
    return resp

SESSION_KEY = "desk"  # {"token", "name", "roles", "expires_at"} of the signed-in editor
QUEUE_KIND_KEY = "desk_kind"  # the queue's filter the editor works through
DRAFT_KEY = "desk_draft"  # a decision sent when the editor's sign-in had lapsed (see _keep_draft)
PER_PAGE = 20

STALE = lazy_gettext("The entry changed after this correction was written. "
                     "Review the differences below; to approve it anyway, tick the box.")
# the queue's filters: one kind of work at a time (e.g. all corrections, then all new entries)
QUEUE_KINDS = {"edit": lazy_gettext("Corrections"), "activity": lazy_gettext("New activities"),
               "provider": lazy_gettext("New providers")}


# --- forms ----------------------------------------------------------------------------------

class SignInForm(TextForm):
    username = StringField(lazy_gettext("Username"), [DataRequired(lazy_gettext("Enter your username.")),
                                                      Length(max=100)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(lazy_gettext("Password"), [DataRequired(lazy_gettext("Enter your password.")),
                                                        Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class SignOutForm(TextForm):
    """Only the CSRF token: signing out is a POST no other site can make."""


class ApproveForm(TextForm):
    note = TextAreaField(lazy_gettext("Note (optional)"), [Optional(), Length(max=5000)], render_kw={"rows": 3})
    force = BooleanField(lazy_gettext("I have reviewed the diff against the live entry: approve anyway"))
    # approving is not checking: only an editor who asked the provider (or another source) says so
    verified = BooleanField(lazy_gettext("I checked this activity with its provider or another source "
                                         "(the page will say “verified today”)"))
    # a correction saying it closed: approving it takes the activity off the site
    withdraw = BooleanField(lazy_gettext("The activity no longer runs: take it off the site"))


class RejectForm(TextForm):
    reject_note = TextAreaField(lazy_gettext("Why it is rejected (required; the submitter sees it)"),
                                [DataRequired(lazy_gettext("Say why, so the submitter knows what to fix.")),
                                 Length(max=5000)], render_kw={"rows": 3})


DECISIONS = {"desk.approve": ApproveForm, "desk.reject": RejectForm}  # endpoint → its form


# --- the signed-in editor ---------------------------------------------------------------------


def current_editor() -> dict | None:
    """The signed-in editor as kept in the session cookie, or None."""
    editor = session.get(SESSION_KEY)
    return editor if isinstance(editor, dict) and editor.get("token") else None


@bp.app_context_processor
def _editor_on_every_page():
    # public pages offer a signed-in editor the entry's history
    return {"signed_in_editor": current_editor}


def _here() -> str:
    """Where to come back to after signing in: this page, or for a decision the submission's page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    if (request.view_args or {}).get("submission_id"):
        return url_for(".review", submission_id=request.view_args["submission_id"])
    return url_for(".queue")


def _to_signin(next_path: str | None = None):
    return redirect(url_for(".signin", next=next_path or _here()))


def editor_required(view):
    """Anonymous visitors go to sign in, and come back here afterwards."""

    @functools.wraps(view)
    def inner(*args, **kwargs):
        if current_editor() is None:
            return _to_signin()
        return view(*args, **kwargs)

    return inner


def _ingest(call: str, *args, back_to: str | None = None, **kwargs):
    """Call ingest as the signed-in editor.

    A 401 (the session expired or was revoked) forgets the token and sends the editor to sign in,
    then back to ``back_to`` (default: this page); a 403 is this page's answer.
    """
    reply = getattr(web().ingest, call)(current_editor()["token"], *args, **kwargs)
    if reply.status == 401:
        _keep_draft()  # before the editor is forgotten: it is theirs
        session.pop(SESSION_KEY, None)
        flash(gettext("Your session has ended. Please sign in again."), "error")
        abort(_to_signin(back_to))
    if reply.status == 403:
        abort(make_response(render_template("error.html", status=403, title=gettext("Not allowed"),
                                            message=gettext("Your account may not review submissions.")), 403))
    return reply


# the session is a cookie, which browsers drop beyond 4 KB (and the editor's session with it): a
# note too long to fit, with room for the flash that follows, is not kept (some 2,500 characters
# of Cyrillic at worst; notes are a few lines)
MAX_COOKIE = 3800


def _keep_draft() -> None:
    """A decision sent when the sign-in had lapsed: its note and boxes wait in the session, for the
    same editor, on that submission's page, once (:func:`_decision_forms`). Only a form of this
    session (its CSRF token) is kept: another site cannot plant a note."""
    form_class = DECISIONS.get(request.endpoint)
    if form_class is None:
        return
    form = form_class()
    form.validate()
    if form.csrf_token.errors:
        return
    draft = {"by": current_editor()["name"], "action": request.endpoint,
             "submission_id": request.view_args["submission_id"],
             # never "approve anyway": the entry may change again before they are back; they tick it
             # again after seeing the diff as it is then
             "data": {name: field.data for name, field in form._fields.items() if name not in ("csrf_token", "force")}}
    cookie = current_app.session_interface.get_signing_serializer(current_app).dumps({**session, DRAFT_KEY: draft})
    if len(cookie) <= MAX_COOKIE:
        session[DRAFT_KEY] = draft


def _check_id(value: str) -> None:
    if not is_id(value):
        abort(404)


@bp.context_processor
def _desk_context():
    return {"desk_editor": current_editor(), "desk_label": display.label}


# --- sign in and out ----------------------------------------------------------------------------

def _signin_limit() -> str:
    return web().settings.signin_rate_limit


@bp.route("/signin", methods=["GET", "POST"])
# per client address, and only the attempts ingest refused count (the view's only 422): an office
# of editors behind one address can sign in all day, and neither an old tab's expired form (400)
# nor an ingest outage (503) locks it out; a password guesser, who needs ingest's answer, is stopped
@limiter.limit(_signin_limit, methods=["POST"], deduct_when=lambda resp: resp.status_code == 422)
def signin():
    # `next` goes through safe_next only: //evil.example, https://…, /\evil.example stay on the site
    wanted = safe_next(request.args.get("next"), "")
    target = wanted or url_for(".queue")
    if request.method == "GET" and current_editor() is not None:
        return redirect(target)
    form = SignInForm()
    error, status = None, 200
    if form.validate_on_submit():
        reply = web().ingest.sign_in(form.username.data.strip(), form.password.data)
        if reply.status == 201:
            previous, lang, draft = current_editor(), session.get("lang"), session.get(DRAFT_KEY)
            session.clear()  # nothing of the anonymous visit carries over into the editor's session
            if previous is not None:  # signing in again (maybe as someone else): the old token goes
                _revoke(previous["token"])
            if lang:
                session["lang"] = lang
            body = reply.body
            if draft and draft["by"] == body["name"]:  # a decision the lapsed sign-in stopped: theirs only
                session[DRAFT_KEY] = draft
            session[SESSION_KEY] = {"token": body["token"], "name": body["name"], "roles": body["roles"],
                                    "expires_at": body["expires_at"]}
            flash(gettext("Signed in as %(name)s.", name=body["name"]))
            return redirect(target)
        # one message whatever was wrong (ingest says no more either); 422, not 401: a form's
        # mistake, and a 401 would need a WWW-Authenticate challenge this page does not make
        error, status = gettext("Wrong username or password."), 422
    elif form.is_submitted():
        status = 400
        if form.csrf_token.errors:
            error = gettext("The form expired. Please sign in again.")
    return render_template("desk/signin.html", form=form, error=error, next=wanted), status


def _revoke(token: str) -> None:
    try:
        web().ingest.sign_out(token)
    except ServiceDown:
        pass  # forgotten by this session anyway; the token expires on its own within hours


@bp.post("/signout")
def signout():
    editor = current_editor()
    if not SignOutForm().validate_on_submit():
        flash(gettext("The form expired. Please try again."), "error")
        return redirect(url_for(".queue") if editor else url_for(".signin"))
    if editor is not None:
        try:  # revoked in ingest, not only forgotten here: a copied cookie must stop working too
            web().ingest.sign_out(editor["token"])
        except ServiceDown:
            flash(gettext("Signing out needs the server, which is not answering right now. "
                          "You are still signed in: please try again in a minute."), "error")
            return redirect(url_for(".queue"))
    session.pop(SESSION_KEY, None)
    flash(gettext("You have signed out."))
    return redirect(url_for(".signin"))


# --- the queue, one submission, the decisions ----------------------------------------------------

@bp.get("")
@editor_required
def queue():
    page = max(1, min(10_000, request.args.get("page", 1, type=int) or 1))
    kind = request.args.get("kind") if request.args.get("kind") in QUEUE_KINDS else None
    session[QUEUE_KIND_KEY] = kind  # the kind of work the editor chose: decisions lead on to the same kind
    body = _ingest("review_queue", page, PER_PAGE, kind).body
    pages = max(1, -(-body["total"] // PER_PAGE))
    if not body["items"] and page > pages:  # decisions emptied this page: the last page with any
        return redirect(url_for(".queue", page=pages, kind=kind))
    items = [{**item, "title": display.submission_title(item)} for item in body["items"]]
    return render_template("desk/queue.html", items=items, total=body["total"], page=page, pages=pages,
                           kind=kind, kinds=QUEUE_KINDS)


@bp.get("/submissions/<submission_id>")
@editor_required
def review(submission_id: str):
    _check_id(submission_id)
    detail = _detail(submission_id)
    return _review_page(detail, *_decision_forms(detail))


def _decision_forms(detail: dict) -> tuple[ApproveForm, RejectForm]:
    """A submission page's two forms: blank, or one as the editor sent it when their sign-in had
    lapsed (kept by :func:`_keep_draft`; shown once)."""
    forms = {endpoint: form_class(formdata=None) for endpoint, form_class in DECISIONS.items()}
    draft = session.get(DRAFT_KEY)
    if draft and draft["submission_id"] == detail["id"]:
        session.pop(DRAFT_KEY)
        if detail["status"] != "pending":  # decided meanwhile: no form to fill
            return forms["desk.approve"], forms["desk.reject"]
        forms[draft["action"]] = DECISIONS[draft["action"]](formdata=None, data=draft["data"])
        flash(gettext("Your sign-in had ended, so your decision was not saved. It is filled in below: "
                      "send it again."), "error")
    return forms["desk.approve"], forms["desk.reject"]


def _kept_when_down(view):
    """A decision ingest did not answer (down, or too slow) comes back as sent, note and boxes, to
    send again; safe even if it went through after all (the second is then the editor's own)."""

    @functools.wraps(view)
    def inner(submission_id: str):
        try:
            return view(submission_id)
        except ServiceDown as exc:
            log.warning("service down: %s", exc)
            form = DECISIONS[request.endpoint]()
            form.validate()
            if form.csrf_token.errors:  # only this session's own form is sent back filled in
                raise
            if "force" in form:  # ticked again once the diff is seen as it is then
                form.force.data = False
            return render_template("desk/unsaved.html", form=form, action=request.endpoint,
                                   submission_id=submission_id), 503

    return inner


@bp.post("/submissions/<submission_id>/approve")
@editor_required
@_kept_when_down
def approve(submission_id: str):
    back, detail = _deciding(submission_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _review_page(detail, form, RejectForm(formdata=None), status=400)
    reply = _ingest("approve", submission_id, form.note.data or None, bool(form.force.data),
                    bool(form.verified.data), bool(form.withdraw.data), back_to=back)
    if reply.ok:
        title = display.submission_title(detail)  # an edit's title as it was before the change
        if form.withdraw.data:
            flash(gettext("“%(title)s” is off the site (within a few seconds); its history keeps it.", title=title))
            return redirect(_next_in_queue())
        message = (gettext("Approved the correction of “%(title)s”.", title=title) if detail["kind"] == "edit"
                   else gettext("Approved “%(title)s”.", title=title))
        link = _live_link(detail["kind"], reply.body.get("result_id"))
        if link:
            message = Markup("{} <a href=\"{}\">{}</a> {}").format(
                message, link, gettext("See the live entry"),
                gettext("(the site shows the change within a few seconds)"))
        flash(message)
        return redirect(_next_in_queue())
    if reply.status == 409 and "live_version" in (reply.body.get("details") or {}):
        # written against an older version of the entry: show the diff against the live entry again,
        # with the box that approves anyway
        form.force.errors = [str(STALE)]
        return _review_page(detail, form, RejectForm(formdata=None), status=409, stale_refused=True)
    return _refused(reply, detail, form, RejectForm(formdata=None))


@bp.post("/submissions/<submission_id>/reject")
@editor_required
@_kept_when_down
def reject(submission_id: str):
    back, detail = _deciding(submission_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _review_page(detail, ApproveForm(formdata=None), form, status=400)
    reply = _ingest("reject", submission_id, form.reject_note.data.strip(), back_to=back)
    if reply.ok:
        flash(gettext("Rejected “%(title)s”. The submitter sees your note.", title=display.submission_title(detail)))
        return redirect(_next_in_queue())
    return _refused(reply, detail, ApproveForm(formdata=None), form)


def _deciding(submission_id: str) -> tuple[str, dict]:
    """A decision's submission page (where a lapsed sign-in comes back to) and its detail."""
    _check_id(submission_id)
    back = url_for(".review", submission_id=submission_id)
    return back, _detail(submission_id, back_to=back)


def _next_in_queue() -> str:
    """After a decision, the next submission waiting (oldest first), so an editor with two hundred
    works through them without going back to the list each time; the queue when none is left."""
    try:  # the decision is saved: ingest's answer here only picks the page (the queue says the rest)
        reply = web().ingest.review_queue(current_editor()["token"], 1, 1, session.get(QUEUE_KIND_KEY))
    except ServiceDown:
        return url_for(".queue")
    items = (reply.body.get("items") or []) if reply.ok else []
    return url_for(".review", submission_id=items[0]["id"]) if items else url_for(".queue")


def _refused(reply, detail: dict, approve_form: ApproveForm, reject_form: RejectForm):
    """ingest said no: already decided (by another editor, most likely), or the edit no longer applies."""
    if reply.status == 404:
        abort(404)
    if reply.status == 409:
        detail = _detail(detail["id"])
        if detail["status"] != "pending" and detail.get("decided_by") == current_editor()["name"]:
            # a double click, or a retry after a timeout: the first one went through
            flash(gettext("You had already decided this submission (%(status)s); nothing else was changed.",
                          status=display.STATUSES.get(detail["status"], detail["status"])))
            return redirect(url_for(".review", submission_id=detail["id"]))
        if detail["status"] != "pending":
            flash(gettext("This submission was already decided by another editor; nothing was changed."), "error")
            return redirect(url_for(".review", submission_id=detail["id"]))
    # still pending: the edit no longer applies (the entry was withdrawn, or the merge breaks a rule)
    problem = reply.body.get("message") or gettext("The decision could not be saved.")
    return _review_page(detail, approve_form, reject_form, status=reply.status, problem=problem)


def _detail(submission_id: str, back_to: str | None = None) -> dict:
    reply = _ingest("review", submission_id, back_to=back_to)
    if not reply.ok:
        abort(404)
    return reply.body


def _review_page(detail: dict, approve_form: ApproveForm, reject_form: RejectForm, status: int = 200,
                 stale_refused: bool = False, problem: str | None = None):
    live = None
    if detail["kind"] == "edit" and detail.get("target_id"):
        reply = web().ingest.activity(detail["target_id"])
        live = reply.body if reply.ok else None
    rows = display.comparison(detail, live)
    return render_template("desk/review.html", s=detail, title=display.submission_title(detail), rows=rows,
                           live=live, approve_form=approve_form, reject_form=reject_form,
                           stale_refused=stale_refused, problem=problem, provider=display.new_provider(detail),
                           lookalikes=_lookalikes(detail)), status


LOOKALIKE_RADIUS_KM = 1


def _lookalikes(detail: dict) -> list[dict]:
    """Live activities a new one may duplicate: its title's words, within a kilometre of its venue
    (anywhere when it has no point). Pending submissions are not searched; a citizen re-sending
    the same club is usually already in the catalog by the time an editor looks."""
    if detail["kind"] != "activity" or detail["status"] != "pending":
        return []
    activity = (detail.get("payload") or {}).get("activity") or {}
    venue = activity.get("venue") or {}
    if not (activity.get("title") or "").strip():
        return []
    params = [("q", activity["title"]), ("per_page", "5"), ("lang", current_lang())]
    if venue.get("lat") is not None and venue.get("lon") is not None:
        params += [("lat", str(venue["lat"])), ("lon", str(venue["lon"])), ("radius_km", str(LOOKALIKE_RADIUS_KM))]
    try:
        reply = web().search.search(params)
    except ServiceDown:  # a help for the editor, not a condition of the review
        return []
    return reply.body.get("results", []) if reply.ok else []


def _live_link(kind: str, result_id: str | None) -> str | None:
    if not result_id:
        return None
    if kind == "provider":
        return url_for("catalog.provider", provider_id=result_id)
    return url_for("catalog.activity", activity_id=result_id)


# --- history -------------------------------------------------------------------------------------

@bp.get("/activities/<activity_id>/history")
@editor_required
def history(activity_id: str):
    _check_id(activity_id)
    reply = _ingest("history", activity_id)
    if not reply.ok:
        abort(404)
    live = web().ingest.activity(activity_id)
    changes = [{**c, "lines_old": display.value_lines(c["field"], c["old"]),
                "lines_new": display.value_lines(c["field"], c["new"])}
               for c in reply.body["changes"]]
    changes.sort(key=lambda c: c["at"], reverse=True)  # newest first; one change's fields keep their order
    return render_template("desk/history.html", activity_id=activity_id, changes=changes,
                           live=live.body if live.ok else None)


# --- template filters ----------------------------------------------------------------------

@bp.app_template_filter("desk_when")
def desk_when(value: str | None) -> str:
    return display.when(value) if value else ""


@bp.app_template_filter("desk_status")
def desk_status(value: str) -> str:
    return str(display.STATUSES.get(value, value))


@bp.app_template_filter("desk_kind")
def desk_kind(value: str) -> str:
    return str(display.KINDS.get(value, value))

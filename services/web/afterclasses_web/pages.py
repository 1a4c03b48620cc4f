"""What every page shares: display filters, the vendored map library, and error pages."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import time
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, abort, g, render_template, request, send_from_directory
from flask_babel import format_currency, format_decimal, gettext, lazy_gettext, ngettext
from werkzeug.exceptions import HTTPException

from afterclasses import taxonomy
from afterclasses.cleaning import clean_text
from afterclasses.web import error_headers, health_blueprint
from afterclasses_web import web
from afterclasses_web.clients import ServiceDown

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": lazy_gettext("Mon"), "tue": lazy_gettext("Tue"), "wed": lazy_gettext("Wed"),
             "thu": lazy_gettext("Thu"), "fri": lazy_gettext("Fri"), "sat": lazy_gettext("Sat"),
             "sun": lazy_gettext("Sun")}
DAY_NAMES_LONG = {"mon": lazy_gettext("Monday"), "tue": lazy_gettext("Tuesday"), "wed": lazy_gettext("Wednesday"),
                  "thu": lazy_gettext("Thursday"), "fri": lazy_gettext("Friday"),
                  "sat": lazy_gettext("Saturday"), "sun": lazy_gettext("Sunday")}
PERIODS = {"once": lazy_gettext("once"), "session": lazy_gettext("per session"), "week": lazy_gettext("per week"),
           "month": lazy_gettext("per month"), "term": lazy_gettext("per term"), "year": lazy_gettext("per year")}

# vendored front-end libraries, served from their PyPI packages (no CDN, no npm)
VENDOR = {"leaflet": "xstatic.pkg.leaflet", "markercluster": "xstatic.pkg.leaflet_markercluster"}


def _vendor_dir(name: str) -> Path:
    import importlib

    return Path(importlib.import_module(VENDOR[name]).BASE_DIR)


def number(value: float) -> str:
    return format_decimal(value, format="#,##0.#")


def distance(km: float | None) -> str:
    if km is None:
        return ""
    if km < 1:
        return gettext("%(n)s m", n=format_decimal(round(km * 1000, -1), format="#,##0"))
    return gettext("%(n)s km", n=format_decimal(km, format="#,##0.0" if km < 10 else "#,##0"))


def ages(doc: dict) -> str:
    lo, hi = doc.get("age_min"), doc.get("age_max")
    if lo is None and hi is None:
        return gettext("all ages")
    if hi is None:
        return gettext("%(lo)s+ years", lo=number(lo))
    if lo is None or lo == 0:
        return gettext("up to %(hi)s years", hi=number(hi))
    return gettext("%(lo)s–%(hi)s years", lo=number(lo), hi=number(hi))


def price(doc: dict) -> str:
    """"free", "$40 per month", or "" when unknown."""
    info = doc.get("price")
    if not info:
        return ""
    if info.get("free"):
        return gettext("free")
    if info.get("amount") is None:
        return gettext("paid")
    try:
        text = format_currency(info["amount"], info.get("currency") or "USD", format="¤#,##0.##",
                               currency_digits=False)
    except (ArithmeticError, ValueError):  # babel's decimal context ends near 1e26: still say the number
        text = f"{info['amount']:g} {info.get('currency') or ''}".strip()
    period = PERIODS.get(info.get("period") or "")
    return f"{text} {period}" if period else text


def schedule(sessions: list[dict] | None) -> str:
    """"Mon, Wed 16:00–17:30 · Sat 10:00–11:00": days sharing a time are listed together."""
    if not sessions:
        return ""
    times: dict[tuple[str, str], list[str]] = {}
    for s in sorted(sessions, key=lambda s: (WEEKDAYS.index(s["weekday"]), s["start"])):
        times.setdefault((s["start"], s["end"]), []).append(s["weekday"])
    return " · ".join(", ".join(str(DAY_NAMES[d]) for d in dict.fromkeys(days)) + f" {start}–{end}"
                      for (start, end), days in times.items())


def weekly(sessions: list[dict] | None) -> list[tuple[str, list[dict]]]:
    """The week as (day name, that day's sessions) for the days that have any."""
    by_day = {d: [] for d in WEEKDAYS}
    for s in sessions or []:
        by_day[s["weekday"]].append(s)
    return [(str(DAY_NAMES_LONG[d]), sorted(v, key=lambda s: s["start"])) for d, v in by_day.items() if v]


def ago(iso: str | None) -> str:
    """"12 days ago" for an ISO timestamp, "" when unknown."""
    if not iso:
        return ""
    when = dt.datetime.fromisoformat(iso)
    days = (dt.datetime.now(dt.UTC) - when).days
    if days < 1:
        return gettext("today")
    return ngettext("%(num)s day ago", "%(num)s days ago", days)


def waited(iso: str | None) -> str:
    """How long a submission has waited, worded to follow "waiting" (the desk's "waiting 3 days",
    its "Waiting" column): Russian puts it in the accusative («ждёт 1 минуту», not «1 минута»)."""
    if not iso:
        return ""
    minutes = max(0, int((dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(iso)).total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(num)s minute", "%(num)s minutes", minutes)
    if minutes < 24 * 60:
        return ngettext("%(num)s hour", "%(num)s hours", minutes // 60)
    return ngettext("%(num)s day", "%(num)s days", minutes // (24 * 60))


def web_link(url: str | None) -> str | None:
    """A website worth linking to: http(s) only (anything else is shown as text, never a link)."""
    return url if url and url.startswith(("http://", "https://")) else None


def phone_links(text: str | None) -> list[tuple[str, str | None]]:
    """Each number of a phone cell ("+7 499 261-07-11, +7 499 261-03-83") with its tel: target;
    None for a piece with no number to dial ("ask at the desk")."""
    links = []
    for piece in (p.strip() for p in re.split(r"[,;]", text or "")):
        if piece:
            dialled = re.sub(r"[^\d+]", "", _EXTENSION.sub("", piece))
            links.append((piece, f"tel:{dialled}" if sum(c.isdigit() for c in dialled) >= 5 else None))
    return links


_EXTENSION = re.compile(r"(?i)\s*(ext\.?|x|доб\.?)\s*\d+\s*$")  # dialled after the call connects


def language_name(code: str) -> str:
    """"en" → "English" / "английский", in the page's language."""
    from flask_babel import get_locale

    locale = get_locale()
    return (locale.languages.get(code) if locale else None) or code


def category_label(slug: str | None, lang: str = "en") -> str:
    category = taxonomy.categories().get(slug or "")
    return category.label(lang) if category else (slug or "")


# the site's own error pages: (title, message) by status
ERROR_PAGES = {
    400: (lazy_gettext("Something is wrong with the request"),
          lazy_gettext("The page could not understand what was sent. Go back and try again.")),
    404: (lazy_gettext("Not found"), lazy_gettext("There is no such page. Try a search instead.")),
    405: (lazy_gettext("Not found"), lazy_gettext("There is no such page. Try a search instead.")),
    413: (lazy_gettext("Too much text"), lazy_gettext("What you sent is too long for us. Please shorten it.")),
    429: (lazy_gettext("Too many requests"),
          lazy_gettext("You have sent a lot in a short time. Please wait a while and try again.")),
    500: (lazy_gettext("Something went wrong"), lazy_gettext("Something went wrong on our side. Please try again.")),
}


def error_page(status: int, exc=None):
    """The site's page for an HTTP error ``status`` (an error handler, or called by one)."""
    title, message = ERROR_PAGES[status]
    headers = error_headers(exc) if isinstance(exc, HTTPException) else {}
    return render_template("error.html", status=status, title=title, message=message), status, headers


def init_pages(app: Flask) -> None:
    """What every page shares, registered on ``app``: timing, template helpers, the vendored map
    library, health checks and error pages."""
    _init_timing(app)
    _init_templates(app)
    _init_health(app)
    _init_errors(app)

    @app.get("/static/vendor/<name>/<path:filename>")
    def vendor(name: str, filename: str):
        if name not in VENDOR:
            abort(404)
        return send_from_directory(_vendor_dir(name), filename, max_age=7 * 86400)


def _init_timing(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.started = time.perf_counter()

    @app.after_request
    def _server_timing(resp):
        # the page's own time, for browsers' dev tools and for bench/web_results.py
        if "started" in g:
            resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.started) * 1000:.1f}"
        return resp


def _init_templates(app: Flask) -> None:
    app.jinja_env.filters.update(distance=distance, ages=ages, price=price, schedule=schedule, weekly=weekly,
                                 ago=ago, waited=waited, number=number, language_name=language_name,
                                 clean=clean_text, phone_links=phone_links, web_link=web_link)
    app.jinja_env.globals.update(category_label=category_label, day_names=DAY_NAMES, weekdays=WEEKDAYS,
                                 taxonomy=taxonomy, url_with=url_with, facet_link=facet_link,
                                 query_suffix=query_suffix)

    @app.context_processor
    def _site():
        s = web().settings
        return {"tile_url": s.tile_url, "tile_attribution": s.tile_attribution}


def _init_health(app: Flask) -> None:
    site = app.extensions["afterclasses_web"]
    # without ingest the site still finds activities (forms and the desk say they are down):
    # only search decides whether this web is ready
    app.register_blueprint(health_blueprint(lambda: {c.name: c.ping for c in (site.search, site.ingest)},
                                            optional=frozenset({site.ingest.name})))


def _init_errors(app: Flask) -> None:
    @app.errorhandler(ServiceDown)
    def _down(exc: ServiceDown):
        log.warning("service down: %s", exc)
        return render_template("error.html", status=503, title=gettext("Temporarily unavailable"),
                               message=gettext("Part of the site is not answering right now (%(service)s). "
                                               "Please try again in a minute.", service=exc.service)), 503

    for status in ERROR_PAGES:
        app.register_error_handler(status, functools.partial(error_page, status))


def query_suffix() -> str:
    """"?<the current query without the page>" for a link to a sibling page keeping the search."""
    query = urlencode([(k, v) for k, values in request.args.lists() if k != "page" for v in values])
    return f"?{query}" if query else ""


def facet_link(name: str, value: str, selected: bool) -> str:
    """The current page with one facet value toggled. A category replaces the ones above and below
    it in the tree, so a subcategory narrows (and its parent widens again)."""
    current = request.args.getlist(name)
    if selected:
        return url_with(**{name: [v for v in current if v != value]})
    if name == "category":
        current = [v for v in current if not (taxonomy.within(v, value) or taxonomy.within(value, v))]
    return url_with(**{name: [*current, value]})


def url_with(**changes) -> str:
    """The current page's URL with some query parameters replaced (None removes one); lists
    become repeated parameters. The page number resets unless it is among the changes."""
    args = request.args.to_dict(flat=False)
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None or value == [] or value == "":
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    # the current path plus a query string: a facet sidebar builds hundreds of these, and
    # url_for's routing costs ~20 µs each
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return f"{request.path}?{query}" if query else request.path

"""English and Russian: the language comes from ``?lang=`` (remembered in the session), else from
Accept-Language. Catalogs live in ``translations/`` (``make translations`` refreshes them)."""
from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGUAGES = {"en": "English", "ru": "Русский"}


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(list(LANGUAGES), default="en")


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def _languages():
        return {"languages": LANGUAGES, "lang": current_lang()}


def current_lang() -> str:
    """The page's language code ("en", "ru"), for templates and the APIs' ``lang``."""
    return str(get_locale() or "en")

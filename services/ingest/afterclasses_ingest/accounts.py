"""Editors' accounts and their sign-in sessions.

An account has a username, a password hash (werkzeug's scrypt; never the password), roles and a
disabled flag. Signing in makes a short-lived bearer token in the same table as the CLI's tokens,
so the review API checks both the same way; disabling an account or changing its password revokes
its sessions.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from afterclasses_ingest.adapters.store import CatalogStore, iso
from afterclasses_ingest.domain.handlers import Clock, utcnow
from afterclasses_ingest.domain.model import DomainError, NotFound

ROLES = ("editor",)
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
PASSWORD_METHOD = "scrypt"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}\Z")
# Checked when the username is unknown or disabled, so a wrong name costs the same time as a
# wrong password and the answer's timing does not tell which names exist. Made with
# generate_password_hash(<random, discarded>, method=PASSWORD_METHOD); no password matches it.
_DUMMY_HASH = ("scrypt:32768:8:1$PO5PrSK5u7NwYZok$cd649d20b443f41b9f819ee14df013f9dadeabad388fd5f5d89b3895f6160e0"
               "7a42e88ba6a7807708cc228d850d5be8d7a30ec2ede827b4f54a4a189aa380d95")


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up in lower case.

    :raise DomainError: not 1–100 of letters, digits, ``. _ @ -`` (starting with a letter or digit).
    """
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise DomainError("Invalid username.", {"username": [
            "Use 1-100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."]})
    return name


def check_password_rules(password: str) -> None:
    """:raise DomainError: shorter than MIN_PASSWORD or longer than MAX_PASSWORD characters."""
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise DomainError("Invalid password.", {"password": [
            f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters."]})


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def add_editor(store: CatalogStore, username: str, password: str, roles: Iterable[str] = ROLES,
               now: Clock = utcnow) -> dict:
    """Create an account.

    :raise DomainError: bad username or password, unknown role, or the username is taken.
    """
    name = normalise_username(username)
    check_password_rules(password)
    roles = set(roles)
    if not roles <= set(ROLES):
        raise DomainError("Unknown role.", {"roles": [f"Known roles: {', '.join(ROLES)}."]})
    hashed = hash_password(password)  # before the transaction: hashing is slow on purpose
    with store.transaction() as tx:
        if tx.get_editor(name) is not None:
            raise DomainError("That username is taken.", {"username": ["Already taken."]})
        tx.add_editor(name, hashed, roles, now())
    return {"username": name, "roles": sorted(roles)}


def set_password(store: CatalogStore, username: str, password: str) -> None:
    """Change an account's password and revoke its sessions.

    :raise NotFound: no such account. :raise DomainError: the password breaks the rules.
    """
    name = normalise_username(username)
    check_password_rules(password)
    hashed = hash_password(password)
    with store.transaction() as tx:
        if not tx.update_editor(name, password_hash=hashed, failed_signins=0, signin_blocked_until=None):
            raise NotFound(f"No editor {name}.")
        tx.delete_tokens_of(name)


def set_disabled(store: CatalogStore, username: str, disabled: bool = True) -> None:
    """Disable (or enable again) an account; disabling revokes its sessions at once.

    :raise NotFound: no such account.
    """
    name = normalise_username(username)
    with store.transaction() as tx:
        if not tx.update_editor(name, disabled=disabled):
            raise NotFound(f"No editor {name}.")
        if disabled:
            tx.delete_tokens_of(name)


def check_password(store: CatalogStore, username: str, password: str) -> dict | None:
    """The enabled account with this username and password, else None — after the same work in
    every case (unknown name, disabled account, wrong password)."""
    name = _name_or_none(username)
    account = None
    if name is not None:
        with store.reading() as tx:
            account = tx.get_editor(name)
    # outside any transaction: the check takes ~0.1 s on purpose and must not hold a write lock
    matches = check_password_hash(account["password_hash"] if account else _DUMMY_HASH, password or "")
    if account is None or account["disabled"] or not matches:
        return None
    return account


def sign_in(store: CatalogStore, username: str, password: str, lifetime: dt.timedelta,
            now: Clock = utcnow) -> dict | None:
    """A new session token (valid for ``lifetime``) for the right username and password; None
    for anything else (see :func:`check_password`), and while the account's sign-in waits.

    After FREE_FAILURES wrong passwords in a row each further one doubles the wait (2 s, 4 s, …
    MAX_WAIT): guessing is slowed to a crawl whoever calls the API, while an editor's typo costs
    nothing. Attempts during a wait are refused whatever the password and do not lengthen it. The answer is
    the same generic None, so the wait tells nobody which names exist.
    """
    at = now()
    account = check_password(store, username, password)
    with store.transaction() as tx:
        current = tx.get_editor(_name_or_none(username) or "")
        if current is None:
            return None
        if current["signin_blocked_until"] is not None and current["signin_blocked_until"] > at:
            return None
        if account is None:
            failures = current["failed_signins"] + 1
            tx.update_editor(current["username"], failed_signins=failures, signin_blocked_until=_wait(failures, at))
            return None
        name = account["username"]
        if current["failed_signins"]:
            tx.update_editor(name, failed_signins=0, signin_blocked_until=None)
        token = secrets.token_urlsafe(32)
        expires_at = at + lifetime
        tx.delete_expired_tokens(at)  # housekeeping: sessions nobody signed out of
        tx.add_token(token, name, account["roles"], at, expires_at=expires_at, editor=name)
    return {"token": token, "expires_at": iso(expires_at), "name": name, "roles": sorted(account["roles"])}


FREE_FAILURES = 5
MAX_WAIT = dt.timedelta(minutes=15)


def _wait(failures: int, at: dt.datetime) -> dt.datetime | None:
    if failures <= FREE_FAILURES:
        return None
    return at + min(MAX_WAIT, dt.timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)))


def _name_or_none(username: str) -> str | None:
    try:
        return normalise_username(username)
    except DomainError:
        return None


def sign_out(store: CatalogStore, token: str) -> bool:
    """Revoke a token; False when it was not (or no longer) known."""
    with store.transaction() as tx:
        return tx.delete_token(token)

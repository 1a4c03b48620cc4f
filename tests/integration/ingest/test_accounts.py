"""Editors' accounts: sign-in sessions, expiry, sign-out, the CLI, the development account."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import insert, select, update

from afterclasses.cli import main as cli
from afterclasses.supervisor import DEV_EDITOR, dev_credentials
from afterclasses_ingest import accounts
from afterclasses_ingest.adapters import migrate
from afterclasses_ingest.adapters.store import CatalogStore, hash_token, make_engine
from afterclasses_ingest.adapters.tables import api_tokens, editors
from afterclasses_ingest.domain.handlers import utcnow
from afterclasses_ingest.domain.model import DomainError, NotFound
from tests.integration.ingest.conftest import as_editor

PASSWORD = "correct horse battery"


def sign_in(client, username="carol", password=PASSWORD):
    return client.post("/v1/auth/sessions", json={"username": username, "password": password})


@pytest.fixture
def carol(store):
    return accounts.add_editor(store, "Carol", PASSWORD)


def test_an_editor_signs_in_and_the_token_opens_the_review_api(client, store, carol):
    resp = sign_in(client, "CAROL")  # usernames are case-insensitive
    assert resp.status_code == 201
    body = resp.json
    assert body["name"] == "carol" and body["roles"] == ["editor"]
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(hours=11.9) < expires - utcnow() <= dt.timedelta(hours=12)
    assert client.get("/v1/review/queue", headers=as_editor(body["token"])).status_code == 200
    with store.reading() as tx:  # stored hashed: neither the password nor the token
        row = tx.get_editor("carol")
        token_row = tx.conn.execute(select(api_tokens).where(api_tokens.c.editor == "carol")).mappings().one()
    assert row["password_hash"].startswith("scrypt:") and PASSWORD not in row["password_hash"]
    assert token_row["token_hash"] == hash_token(body["token"]) and token_row["name"] == "carol"


def test_the_approval_is_audited_under_the_editors_name(client, store, carol):
    token = sign_in(client).json["token"]
    sub = client.post("/v1/submissions", json={"kind": "provider", "provider": {"name": "Chess Club"}}).json
    done = client.post(f"/v1/review/{sub['id']}/approve", json={}, headers=as_editor(token))
    assert done.status_code == 200
    with store.reading() as tx:
        assert [r["actor"] for r in tx.audit_for("provider", done.json["result_id"])] == ["editor:carol"]


@pytest.mark.parametrize("username, password", [
    ("carol", "wrong password!"), ("nobody", PASSWORD), ("", PASSWORD), ("carol", ""),
    ("../etc/passwd", PASSWORD),
])
def test_wrong_name_or_password_get_one_generic_answer(client, carol, username, password):
    resp = sign_in(client, username, password)
    if username and password:
        assert resp.status_code == 401
        assert resp.json == {"error": "unauthorized", "message": "Wrong username or password.", "details": None}
    else:
        assert resp.status_code == 422  # missing fields: says nothing about accounts either


def test_wrong_passwords_in_a_row_make_the_next_sign_in_wait(store, carol):
    """Ingest's own limit, whoever calls its API: typos are free, guessing is slowed to a crawl."""
    clock = [utcnow()]

    def now():
        return clock[0]

    def attempt(password):
        return accounts.sign_in(store, "carol", password, dt.timedelta(hours=1), now=now)

    for _ in range(accounts.FREE_FAILURES):
        assert attempt("wrong password") is None
    assert attempt(PASSWORD) is not None  # five typos, then the right one: no wait, and the count restarts
    for _ in range(accounts.FREE_FAILURES + 3):
        clock[0] += dt.timedelta(minutes=1)  # past each wait so far
        assert attempt("wrong password") is None
    with store.reading() as tx:
        account = tx.get_editor("carol")
    assert account["failed_signins"] == accounts.FREE_FAILURES + 3
    assert account["signin_blocked_until"] == clock[0] + dt.timedelta(seconds=8)
    assert attempt(PASSWORD) is None  # waiting: even the right password is refused, unchecked
    with store.reading() as tx:
        assert tx.get_editor("carol")["failed_signins"] == accounts.FREE_FAILURES + 3  # not lengthened
    clock[0] += dt.timedelta(seconds=9)
    assert attempt(PASSWORD) is not None
    with store.reading() as tx:
        assert tx.get_editor("carol")["failed_signins"] == 0
    for _ in range(40):  # the wait never exceeds MAX_WAIT
        clock[0] += accounts.MAX_WAIT
        attempt("wrong password")
    with store.reading() as tx:
        assert tx.get_editor("carol")["signin_blocked_until"] - clock[0] == accounts.MAX_WAIT
    accounts.set_password(store, "carol", "a brand new password")  # an operator's reset starts afresh
    assert attempt("a brand new password") is not None


def test_an_unknown_name_costs_a_password_check_too(store, carol, monkeypatch):
    checked = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    assert accounts.check_password(store, "nobody", PASSWORD) is None
    assert accounts.check_password(store, "carol", "wrong password!") is None
    assert len(checked) == 2 and checked[0].startswith("scrypt:")


def test_an_expired_session_is_refused(client, store, carol):
    token = sign_in(client).json["token"]
    with store.transaction() as tx:
        tx.conn.execute(update(api_tokens).where(api_tokens.c.editor == "carol")
                        .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    resp = client.get("/v1/review/queue", headers=as_editor(token))
    assert resp.status_code == 401 and "expired" in resp.json["message"]


def test_session_lifetime_comes_from_the_settings(ingest_settings, database_url, carol):
    from afterclasses_ingest import create_app

    app = create_app(dataclasses.replace(ingest_settings, database_url=database_url, editor_session_hours=0.5))
    try:
        body = sign_in(app.test_client()).json
        left = dt.datetime.fromisoformat(body["expires_at"]) - utcnow()
        assert dt.timedelta(minutes=29) < left <= dt.timedelta(minutes=30)
    finally:
        app.extensions["afterclasses"].close()


def test_sign_out_revokes_the_presented_token_only(client, carol):
    first, second = sign_in(client).json["token"], sign_in(client).json["token"]
    assert client.delete("/v1/auth/sessions/current", headers=as_editor(first)).status_code == 204
    assert client.get("/v1/review/queue", headers=as_editor(first)).status_code == 401
    assert client.delete("/v1/auth/sessions/current", headers=as_editor(first)).status_code == 401
    assert client.get("/v1/review/queue", headers=as_editor(second)).status_code == 200
    assert client.delete("/v1/auth/sessions/current").status_code == 401


def test_disabling_or_a_new_password_signs_the_editor_out(client, store, carol):
    token = sign_in(client).json["token"]
    accounts.set_password(store, "carol", "a brand new password")
    assert client.get("/v1/review/queue", headers=as_editor(token)).status_code == 401
    assert sign_in(client).status_code == 401
    token = sign_in(client, password="a brand new password").json["token"]
    accounts.set_disabled(store, "carol")
    assert client.get("/v1/review/queue", headers=as_editor(token)).status_code == 401
    assert sign_in(client, password="a brand new password").status_code == 401
    accounts.set_disabled(store, "carol", False)
    assert sign_in(client, password="a brand new password").status_code == 201


def test_account_rules(store, carol):
    with pytest.raises(DomainError, match="taken"):
        accounts.add_editor(store, "CAROL", PASSWORD)
    with pytest.raises(DomainError, match="password"):
        accounts.add_editor(store, "dave", "short")
    with pytest.raises(DomainError, match="username"):
        accounts.add_editor(store, "dave smith", PASSWORD)
    with pytest.raises(DomainError, match="role"):
        accounts.add_editor(store, "dave", PASSWORD, roles=["admin"])
    with pytest.raises(NotFound):
        accounts.set_password(store, "nobody", PASSWORD)
    with pytest.raises(NotFound):
        accounts.set_disabled(store, "nobody")


def test_expired_sessions_are_cleaned_up_at_the_next_sign_in(client, store, carol):
    sign_in(client)
    with store.transaction() as tx:
        tx.conn.execute(update(api_tokens).values(expires_at=utcnow() - dt.timedelta(days=1))
                        .where(api_tokens.c.editor == "carol"))
    sign_in(client)
    with store.reading() as tx:
        rows = tx.conn.execute(select(api_tokens).where(api_tokens.c.editor == "carol")).all()
    assert len(rows) == 1


def test_a_store_made_before_accounts_is_migrated_and_keeps_its_tokens(database_url, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(migrate.config(conn), "0001")
        conn.execute(insert(api_tokens), [{"token_hash": hash_token("old-token"), "name": "ops",
                                           "roles": "editor", "created_at": utcnow()}])
    engine.dispose()
    store = CatalogStore(database_url)
    store.create_schema()
    try:
        with store.reading() as tx:
            assert tx.token_roles("old-token", utcnow()) == ("ops", {"editor"})  # CLI tokens never expire
            assert tx.conn.execute(select(editors)).all() == []
        accounts.add_editor(store, "carol", PASSWORD)
        assert accounts.check_password(store, "carol", PASSWORD)["disabled"] is False
    finally:
        store.dispose()


# --- the command line -----------------------------------------------------------------------

@pytest.fixture
def cli_env(data_dir, database_url):
    return {"AFTERCLASSES_DATA_DIR": str(data_dir), "AFTERCLASSES_DATABASE_URL": database_url}


def test_cli_adds_an_editor_with_a_prompted_password(client, cli_env):
    runner = CliRunner()
    done = runner.invoke(cli, ["editor", "add", "Erin"], input=f"{PASSWORD}\n{PASSWORD}\n", env=cli_env)
    assert done.exit_code == 0, done.output
    assert "editor erin added" in done.output and PASSWORD not in done.output
    assert sign_in(client, "erin").status_code == 201
    again = runner.invoke(cli, ["editor", "add", "erin", "--password-stdin"], input=f"{PASSWORD}\n", env=cli_env)
    assert again.exit_code == 1 and "taken" in again.output


def test_cli_refuses_mismatched_or_short_passwords(client, cli_env):
    runner = CliRunner()
    typo = runner.invoke(cli, ["editor", "add", "erin"], input=f"{PASSWORD}\nsomething else\n", env=cli_env)
    assert typo.exit_code != 0 and sign_in(client, "erin").status_code == 401
    short = runner.invoke(cli, ["editor", "add", "erin", "--password-stdin"], input="short\n", env=cli_env)
    assert short.exit_code == 1 and "10 to 1024 characters" in short.output


def test_cli_changes_a_password_and_disables_an_editor(client, cli_env):
    runner = CliRunner()
    assert runner.invoke(cli, ["editor", "add", "erin", "--password-stdin"], input=f"{PASSWORD}\n",
                         env=cli_env).exit_code == 0
    token = sign_in(client, "erin").json["token"]
    done = runner.invoke(cli, ["editor", "passwd", "erin", "--password-stdin"], input="another long one\n",
                         env=cli_env)
    assert done.exit_code == 0, done.output
    assert client.get("/v1/review/queue", headers=as_editor(token)).status_code == 401
    assert sign_in(client, "erin", "another long one").status_code == 201
    assert runner.invoke(cli, ["editor", "disable", "erin"], env=cli_env).exit_code == 0
    assert sign_in(client, "erin", "another long one").status_code == 401
    missing = runner.invoke(cli, ["editor", "disable", "nobody"], env=cli_env)
    assert missing.exit_code == 1 and "No editor nobody" in missing.output


# --- `afterclasses run`'s development account -------------------------------------------------

def test_development_makes_a_dev_editor_with_a_random_password_kept_private(
        client, ingest_settings, database_url, data_dir):
    settings = dataclasses.replace(ingest_settings, database_url=database_url)
    token, password = dev_credentials(settings)
    kept = data_dir / "editor-password"
    assert kept.read_text().strip() == password and len(password) >= 16
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data_dir / "editor-token").st_mode) == 0o600
    assert sign_in(client, DEV_EDITOR, password).status_code == 201
    assert client.get("/v1/review/queue", headers=as_editor(token)).status_code == 200
    assert dev_credentials(settings) == (token, password)  # the next run reuses them


def test_outside_development_there_is_no_default_account(client, ingest_settings, database_url, data_dir):
    settings = dataclasses.replace(ingest_settings, database_url=database_url, env="production")
    assert dev_credentials(settings) is None
    assert not (data_dir / "editor-password").exists() and not (data_dir / "editor-token").exists()
    with client.application.extensions["afterclasses"].store.reading() as tx:
        assert tx.get_editor(DEV_EDITOR) is None

"""The ``afterclasses`` command: run, import, relay, consume, reindex, tokens, editors, lag.

Every command reads its settings from the environment (see README); service packages are
imported inside the commands so ``afterclasses --help`` stays fast.
"""
from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path

import click


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.group()
def main() -> None:
    """Afterclasses: a city's after-school activities, found."""


@main.command("import")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Import every shipped mapping.")
@click.option("--mapping", "mapping_paths", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A mapping file (TOML) of your own.")
@click.option("--datasets", type=click.Path(file_okay=False), help="Root the mappings' files are relative to.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_(names, all_, mapping_paths, datasets, quiet):
    """Import department files through their mappings (auto-approved, re-import safe).

    NAMES are shipped mappings: nyc-dycd, moscow-sports, moscow-music-schools,
    moscow-art-schools, moscow-arts-schools.
    """
    from afterclasses_ingest.bootstrap import bootstrap
    from afterclasses_ingest.bulk import import_mappings, shipped

    ingest = bootstrap()
    shipped = shipped()
    paths = [Path(p) for p in mapping_paths]
    if all_:
        paths += list(shipped.values())
    for name in names:
        if name not in shipped:
            raise click.BadParameter(f"unknown mapping {name!r}; shipped: {', '.join(sorted(shipped))}")
        paths.append(shipped[name])
    if not paths:
        raise click.UsageError("name a mapping, give --mapping FILE, or use --all")
    reports = import_mappings(ingest.store, paths, Path(datasets or ingest.settings.datasets_dir),
                              progress=not quiet, gazetteer_root=Path(ingest.settings.datasets_dir))
    failed = any(r.get("fatal") for r in reports)
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--once", is_flag=True, help="Publish what is pending, then exit.")
def relay(once):
    """Publish the outbox to the event log (run exactly one)."""
    from afterclasses_ingest.bootstrap import bootstrap
    from afterclasses_ingest.relay import run_relay

    ingest = bootstrap(with_eventlog=True)
    _logging(ingest.settings.log_level)
    n = run_relay(ingest.store, ingest.eventlog, batch=ingest.settings.relay_batch,
                  interval=ingest.settings.relay_interval, until_empty=once, stop=_stop_on_signals())
    click.echo(f"relayed {n} events")


@main.command()
@click.argument("service", type=click.Choice(["search"]))
@click.option("--until-idle", is_flag=True, help="Exit once the log is consumed.")
def consume(service, until_idle):
    """Run a service's consumer of the event log."""
    from afterclasses.eventlog import make_eventlog
    from afterclasses_search.bootstrap import bootstrap
    from afterclasses_search.consumers import Indexer

    search = bootstrap()
    _logging(search.settings.log_level)
    indexer = Indexer(make_eventlog(search.settings), search.index, search.settings.consumer_group,
                      search.settings.consumer_batch)
    try:
        n = indexer.run(stop=_stop_on_signals(), until_idle=until_idle)
    finally:
        indexer.close()  # leave the group now, not when the session times out
    click.echo(f"consumed {n} messages; index holds {search.index.count()} activities")


@main.command()
def reindex():
    """Rebuild the search index from the log (offset 0) into a fresh index, then swap it in."""
    from tqdm import tqdm

    from afterclasses.contracts import CATALOG_ENTRIES
    from afterclasses.eventlog import make_eventlog
    from afterclasses.ports.search import SearchError
    from afterclasses_search.bootstrap import make_index
    from afterclasses_search.consumers import reindex as rebuild
    from afterclasses_search.settings import SearchSettings

    settings = SearchSettings.from_env()
    log = make_eventlog(settings)
    total = sum(log.end_offsets(CATALOG_ENTRIES).values())
    index = make_index(settings)
    try:
        with tqdm(total=total, unit="event", desc="reindex", disable=None) as bar:
            count, name = rebuild(log, index, progress=bar.update)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        index.close()
    click.echo(f"reindexed {count} activities into {name}; it is live now")


main.add_command(reindex, name="replay")  # the operators' word for it with a Kafka log


@main.command()
def lag():
    """How far each consumer group is behind the log."""
    from afterclasses.contracts import CATALOG_ENTRIES
    from afterclasses.eventlog import make_eventlog
    from afterclasses_search.settings import SearchSettings

    settings = SearchSettings.from_env()
    log = make_eventlog(settings)
    end = sum(log.end_offsets(CATALOG_ENTRIES).values())
    click.echo(f"{CATALOG_ENTRIES}: {end} events")
    click.echo(f"  {settings.consumer_group}: lag {log.lag(settings.consumer_group, CATALOG_ENTRIES)}")


@main.group()
def token():
    """API tokens for editors."""


@token.command("create")
@click.option("--name", required=True, help="Who the token is for (shown in the audit trail).")
@click.option("--role", "roles", multiple=True, default=("editor",), show_default=True,
              type=click.Choice(["editor"]))
def token_create(name, roles):
    """Create a token; it is printed once and stored only hashed."""
    if not name.strip():
        raise click.BadParameter("give a name", param_hint="--name")
    from afterclasses_ingest.bootstrap import bootstrap
    from afterclasses_ingest.domain.handlers import utcnow

    value = secrets.token_urlsafe(32)
    with bootstrap().store.transaction() as tx:
        tx.add_token(value, name, roles, utcnow())
    click.echo(value)


@main.group()
def editor():
    """Editors' accounts (they sign in to the desk at /desk)."""


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _accounts(action, *args):
    """Run an accounts use case against the configured store; its errors become CLI errors."""
    from afterclasses_ingest import accounts
    from afterclasses_ingest.bootstrap import bootstrap
    from afterclasses_ingest.domain.model import DomainError

    ingest = bootstrap()
    try:
        return getattr(accounts, action)(ingest.store, *args)
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.details or {}).items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
    finally:
        ingest.close()


@editor.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, default=("editor",), show_default=True,
              type=click.Choice(["editor"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def editor_add(name, roles, password_stdin):
    """Create an editor account; asks for the password twice (stored only hashed)."""
    account = _accounts("add_editor", name, _read_password(password_stdin), roles)
    click.echo(f"editor {account['username']} added ({', '.join(account['roles'])})")


@editor.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def editor_passwd(name, password_stdin):
    """Set an editor's password; signs the editor out everywhere."""
    _accounts("set_password", name, _read_password(password_stdin))
    click.echo(f"password of {name.strip().lower()} changed; their sessions are signed out")


@editor.command("disable")
@click.argument("name")
def editor_disable(name):
    """Disable an editor's account; signs the editor out everywhere."""
    _accounts("set_disabled", name, True)
    click.echo(f"editor {name.strip().lower()} disabled")


@main.command()
@click.option("--no-import", is_flag=True, help="Do not import the real datasets into an empty catalog.")
def run(no_import):
    """Run every service on this machine (embedded mode) and print their URLs."""
    from afterclasses.supervisor import run_embedded

    sys.exit(run_embedded(import_data=not no_import))


def _stop_on_signals():
    import signal
    import threading

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


if __name__ == "__main__":
    main()

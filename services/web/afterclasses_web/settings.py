"""Settings of the web front (``AFTERCLASSES_*`` environment variables)."""
from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from afterclasses.settings import Settings


@dataclasses.dataclass(frozen=True)
class WebSettings(Settings):
    search_url: str = "http://127.0.0.1:8002"  # the search service's API
    ingest_url: str = "http://127.0.0.1:8001"  # the ingest service's API
    service_timeout: float = 5.0  # seconds to wait for either API before answering 503
    # Signs sessions and CSRF tokens. Required outside development; in development one is made
    # once and kept in <data_dir>/web-secret so sessions survive restarts.
    web_secret_key: str = ""
    # The site's host names, comma-separated (".example.org" takes its subdomains too): a request
    # naming another Host is refused (400), since absolute links (the address to keep, JSON-LD) are
    # built from it. Required outside development; unset in development: any host.
    web_trusted_hosts: str = ""
    # Map tiles; the page still works (list, markers on a blank map) when they cannot load.
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "© OpenStreetMap contributors"
    # per client address, for citizens' forms: submissions accepted, and attempts of any outcome
    # (a form sent back with mistakes costs only an attempt)
    submit_rate_limit: str = "10 per hour;30 per day"
    submit_attempt_rate_limit: str = "100 per hour"
    signin_rate_limit: str = "10 per 5 minutes"
    rate_limit_storage: str = "memory://"  # e.g. redis://host:6379 when several web workers share limits
    # reverse proxies in front of the web that set X-Forwarded-For/-Proto: rate limits count per
    # client address, so behind a proxy they must read the forwarded one (0: no proxy)
    proxy_hops: int = 0

    def trusted_hosts(self) -> list[str] | None:
        """Flask's TRUSTED_HOSTS: the configured names, or None (any host) in development."""
        names = [name.strip() for name in self.web_trusted_hosts.split(",") if name.strip()]
        if names:
            return names
        if self.env != "development":
            raise RuntimeError("AFTERCLASSES_WEB_TRUSTED_HOSTS is required outside development: "
                               "the site's host names, comma-separated")
        return None

    def secret_key(self) -> str:
        if self.web_secret_key:
            return self.web_secret_key
        if self.env != "development":
            raise RuntimeError("AFTERCLASSES_WEB_SECRET_KEY is required outside development")
        path = Path(self.data_dir) / "web-secret"
        if not path.exists():
            # several gunicorn workers start at once: each writes a whole file aside and links it
            # in; the first link wins and every worker reads that one (never a half-written file)
            path.parent.mkdir(parents=True, exist_ok=True)
            aside = path.with_name(f".web-secret.{os.getpid()}")
            aside.write_text(secrets.token_urlsafe(32))
            aside.chmod(0o600)
            try:
                os.link(aside, path)
            except FileExistsError:
                pass
            finally:
                aside.unlink()
        value = path.read_text().strip()
        if not value:
            raise RuntimeError(f"{path} is empty: delete it to make a new development secret")
        return value

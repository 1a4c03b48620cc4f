"""docker-compose.yml and deploy/: valid, healthy-ordered, and configured only by real settings."""
import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from afterclasses_ingest.settings import IngestSettings
from afterclasses_search.settings import SearchSettings
from afterclasses_web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]


def compose_config() -> dict:
    """`docker-compose config`: the file validated against the Compose schema, then resolved."""
    import yaml

    tool = shutil.which("docker-compose")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose is missing under CI=true (bin/test installs it)")
        pytest.skip("docker-compose is not installed (bin/test installs it)")
    env = {**os.environ, "AFTERCLASSES_WEB_SECRET_KEY": "compose-config-check",
           "AFTERCLASSES_WEB_TRUSTED_HOSTS": "afterclasses.example.org"}
    out = subprocess.run([tool, "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True,
                         cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_compose_file_is_valid_and_waits_for_healthy_dependencies():
    config = compose_config()
    services = config["services"]
    roles = {"web", "ingest", "relay", "search", "search-indexer"}
    assert {"kafka", "opensearch", "postgres", "mail"} | roles <= set(services)
    for name, service in services.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert spec["condition"] == "service_healthy", (name, dep)
            assert "healthcheck" in services[dep], f"{name} waits for {dep}, which has no healthcheck"
    for api in ("ingest", "search"):
        assert "-" in str(services[api]["ports"][0]), "an API publishes a port range so it can --scale"
    assert _host_ports(services["web"]) == {8000}, "the site's one public address"
    taken: dict[int, str] = {}
    for name, service in services.items():
        for port in _host_ports(service):
            assert port not in taken, f"{name} and {taken[port]} both publish host port {port}"
            taken[port] = name


def _host_ports(service: dict) -> set[int]:
    """The host ports a service publishes (docker-compose config's long or short syntax)."""
    ports = set()
    for spec in service.get("ports") or []:
        published = str(spec["published"] if isinstance(spec, dict) else spec.split(":")[0])
        lo, _, hi = published.partition("-")
        ports.update(range(int(lo), int(hi or lo) + 1))
    return ports


def test_the_scaled_environment_names_only_real_settings():
    known = {f"AFTERCLASSES_{f.name.upper()}" for cls in (IngestSettings, SearchSettings, WebSettings)
             for f in dataclasses.fields(cls)}
    readme = (ROOT / "README.md").read_text()
    for line in (ROOT / "deploy/env/scaled.env").read_text().splitlines():
        if line.startswith("AFTERCLASSES_"):
            name = line.split("=", 1)[0]
            assert name in known, f"{name} is no setting"
            assert f"`{name}`" in readme, f"{name} is not documented in README"


def test_the_web_is_told_where_the_apis_are_and_needs_a_secret_outside_development():
    web = compose_config()["services"]["web"]
    env = web["environment"]
    assert env["AFTERCLASSES_SEARCH_URL"] == "http://search:8000"
    assert env["AFTERCLASSES_INGEST_URL"] == "http://ingest:8000"
    assert env["AFTERCLASSES_WEB_SECRET_KEY"] == "compose-config-check"  # from the operator's environment
    assert env["AFTERCLASSES_WEB_TRUSTED_HOSTS"] == "afterclasses.example.org"
    with pytest.raises(RuntimeError, match="AFTERCLASSES_WEB_SECRET_KEY"):
        WebSettings(env="production").secret_key()

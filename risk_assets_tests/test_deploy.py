"""Deployment files: the production dagster.yaml on a real PostgreSQL, and the compose file's references."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from dagster import DagsterInstance

from risk_assets.settings import PROJECT_DIR

DEPLOY = PROJECT_DIR / "deploy"
BIN = Path(sys.executable).parent


def sqlalchemy_url(libpq_url: str) -> str:
    return libpq_url.replace("postgresql://", "postgresql+psycopg2://", 1)


def test_production_instance_runs_on_postgres(risk_url, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.prod.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", sqlalchemy_url(risk_url))
    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "TaggingRunCoordinator"  # a QueuedRunCoordinator
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        assert instance.run_monitoring_enabled
        limits = instance.get_concurrency_config()
        assert limits.run_queue_config.max_concurrent_runs == 4
        assert limits.run_queue_config.tag_concurrency_limits == [
            {"key": "risk/tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
        assert limits.pool_config.default_pool_limit == 2
        assert instance.get_runs() == []


def test_compose_names_only_things_that_exist():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"dagster-postgres", "user-code", "dagster-webserver", "dagster-daemon"} <= set(services)
    for name, service in services.items():
        command = service.get("command")
        if not command:
            continue
        assert (BIN / command[0]).exists(), f"{name}: no executable {command[0]}"
        if "-m" in command:
            importlib.import_module(command[command.index("-m") + 1])
        if "-w" in command:
            assert command[command.index("-w") + 1] == "/opt/dagster/home/workspace.yaml"
        help_text = subprocess.run([str(BIN / command[0]), *command[1:3], "--help"] if command[0] == "dagster"
                                   else [str(BIN / command[0]), "--help"], capture_output=True, text=True, timeout=120)
        assert help_text.returncode == 0, f"{name}: {command} --help failed"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE):
        assert (PROJECT_DIR / source).exists(), f"Dockerfile copies missing {source}"
    assert "deploy/workspace.grpc.yaml $DAGSTER_HOME/workspace.yaml" in dockerfile
    grpc = yaml.safe_load((DEPLOY / "workspace.grpc.yaml").read_text(encoding="utf-8"))["load_from"][0]["grpc_server"]
    assert grpc["host"] in services and str(grpc["port"]) in services[grpc["host"]]["command"]

    code = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_DIR / "risk_assets").rglob("*.py"))
    code += (DEPLOY / "dagster.prod.yaml").read_text(encoding="utf-8")
    code += (PROJECT_DIR / "config" / "tenants.yaml.example").read_text(encoding="utf-8")
    environment = compose["x-common-env"]
    for variable in environment:
        assert variable in code, f"compose sets {variable}, which nothing in the project reads"
    dagster_url = urlsplit(environment["DAGSTER_PG_URL"])
    assert dagster_url.scheme == "postgresql+psycopg2" and dagster_url.hostname == "dagster-postgres"

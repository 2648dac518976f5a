"""Deployment files: the production dagster.yaml on a real PostgreSQL, and the compose file's references."""

from __future__ import annotations

import importlib
import itertools
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from dagster import AssetKey, AssetMaterialization, DagsterInstance

from risk_assets.database.connection import connection
from risk_assets.settings import PROJECT_DIR
from risk_assets_tests.processes import sqlalchemy_url

DEPLOY = PROJECT_DIR / "deploy"
BIN = Path(sys.executable).parent


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


def _sessions(url: str) -> int:
    """Sessions PostgreSQL has established to the database so far (each ended one is counted when it ends)."""
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cur.fetchone()[0]


def test_production_instance_keeps_its_connections_open(risk_url, tmp_path, monkeypatch):
    """dagster-postgres alone opens a connection for each storage call (the server forks a backend and checks a
    password each time); the production instance's storage holds them open (docs/deploy.md: Instance storage)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.prod.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", sqlalchemy_url(risk_url))
    with DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs()  # opening the instance and its first calls connect
        time.sleep(0.5)  # sessions count once their backends have exited
        before = _sessions(risk_url)
        for i in range(20):
            instance.report_runless_asset_event(AssetMaterialization("pooled", metadata={"i": i}))
            assert len(instance.get_runs()) == 0
        assert instance.get_latest_materialization_event(AssetKey("pooled")).asset_materialization.metadata[
            "i"].value == 19
        time.sleep(0.5)
        after = _sessions(risk_url)
    assert after - before <= 5  # this test's own and a few overlapping calls; 66 without the pool


def test_compose_names_only_things_that_exist():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"dagster-postgres", "user-code", "dagster-webserver", "dagster-daemon"} <= set(services)
    assert {name for name, service in services.items() if "celery" in service.get("profiles", [])} == {
        "redis", "celery-worker"}
    opening_the_instance = {name for name, service in services.items()
                            if service.get("image") == "risk-assets:latest"} - {"dagster-migrate"}
    assert opening_the_instance == {"user-code", "dagster-webserver", "dagster-daemon", "celery-worker"}
    for name in opening_the_instance:  # after the one migration, never racing to create the tables
        assert services[name]["depends_on"]["dagster-migrate"] == {"condition": "service_completed_successfully"}
    for name, service in services.items():
        command = service.get("command")
        if not command or service.get("image") != "risk-assets:latest":
            continue  # a service of another image (PostgreSQL, Redis)
        for argument in command:
            if argument.startswith("/opt/risk_assets/"):
                assert (PROJECT_DIR / argument.removeprefix("/opt/risk_assets/")).exists(), f"{name}: no {argument}"
        assert (BIN / command[0]).exists(), f"{name}: no executable {command[0]}"
        if "-m" in command:
            importlib.import_module(command[command.index("-m") + 1])
        if "-w" in command:
            assert command[command.index("-w") + 1] == "/opt/dagster/home/workspace.yaml"
        subcommand = list(itertools.takewhile(lambda word: not word.startswith("-"), command[1:]))
        help_text = subprocess.run([str(BIN / command[0]), *subcommand, "--help"], capture_output=True, text=True,
                                   timeout=120)
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


def _without_comments(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_docker_launcher_instance_is_the_production_instance_with_a_run_container_each(risk_url, tmp_path, monkeypatch):
    from dagster_docker import DockerRunLauncher

    docker_instance, prod = _without_comments(DEPLOY / "docker" / "dagster.yaml"), _without_comments(
        DEPLOY / "dagster.prod.yaml")
    launcher = docker_instance.pop("run_launcher")
    assert docker_instance == prod
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "docker" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", sqlalchemy_url(risk_url))
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_launcher, DockerRunLauncher)
        assert instance.run_launcher.networks == ["risk-assets_default"]
        assert type(instance.run_coordinator).__name__ == "TaggingRunCoordinator"

    compose = _without_comments(DEPLOY / "docker-compose.yml")
    assert set(launcher["config"]["env_vars"]) == set(compose["x-common-env"]) - {"DAGSTER_PG_URL"} | {"DAGSTER_PG_URL"}
    volumes = {f"{compose['name']}_{volume}" for volume in compose["volumes"]} - {f"{compose['name']}_dagster-postgres"}
    assert {mount.split(":")[0] for mount in launcher["config"]["container_kwargs"]["volumes"]} == volumes
    assert launcher["config"]["network"] == f"{compose['name']}_default"
    override = _without_comments(DEPLOY / "docker" / "compose.yml")["services"]
    assert set(override) <= set(compose["services"])
    assert override["user-code"]["environment"]["DAGSTER_CURRENT_IMAGE"] == compose["services"]["user-code"]["image"]


KUBECONFIG = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
              "clusters": [{"name": "test", "cluster": {"server": "https://127.0.0.1:6443"}}],
              "users": [{"name": "test", "user": {"token": "not-a-token"}}],
              "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}]}
RUN_K8S_CONFIG_KEYS = {"containerConfig": "container_config", "podSpecConfig": "pod_spec_config",
                       "podTemplateSpecMetadata": "pod_template_spec_metadata", "jobSpecConfig": "job_spec_config",
                       "jobMetadata": "job_metadata"}


def _k8s_launcher_config(values: dict, kubeconfig: Path) -> dict:
    """What the chart's dagsterYaml.runLauncher.k8s template writes for these values (release `risk-assets`), with
    a kubeconfig file in place of the in-cluster configuration."""
    given = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert set(given) <= {"imagePullPolicy", "loadInclusterConfig", "envSecrets", "runK8sConfig"}, set(given)
    return {"load_incluster_config": False, "kubeconfig_file": str(kubeconfig), "job_namespace": "risk-assets",
            "image_pull_policy": given["imagePullPolicy"], "service_account_name": "risk-assets-dagster",
            "dagster_home": "/opt/dagster/dagster_home", "instance_config_map": "risk-assets-dagster-instance",
            "postgres_password_secret": values["global"]["postgresqlSecretName"],
            "env_secrets": [secret["name"] for secret in given["envSecrets"]],
            "run_k8s_config": {RUN_K8S_CONFIG_KEYS[key]: value for key, value in given["runK8sConfig"].items()}}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_helm_values_configure_the_production_instance_for_kubernetes(tmp_path):
    """The chart cannot be installed here (no cluster): its values are checked against what they stand for — the
    K8sRunLauncher built from them, and deploy/dagster.prod.yaml's run queue, retries and monitoring."""
    from dagster_k8s import K8sRunLauncher

    values = _without_comments(DEPLOY / "kubernetes" / "values.yaml")
    prod = _without_comments(DEPLOY / "dagster.prod.yaml")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump({"run_launcher": {
        "module": "dagster_k8s", "class": "K8sRunLauncher", "config": _k8s_launcher_config(values, kubeconfig)}}))
    with DagsterInstance.from_config(str(home)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, K8sRunLauncher)
        assert launcher.env_secrets == ["risk-assets-env"]
        assert launcher.run_k8s_config["container_config"]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}

    daemon = values["dagsterDaemon"]
    coordinator = daemon["runCoordinator"]["config"]["customRunCoordinator"]
    assert (coordinator["module"], coordinator["class"], coordinator["config"]) == (
        prod["run_coordinator"]["module"], prod["run_coordinator"]["class"], prod["run_coordinator"]["config"])
    assert daemon["runRetries"] == {_camel(k): v for k, v in prod["run_retries"].items()}
    assert daemon["runMonitoring"] == {_camel(k): v for k, v in prod["run_monitoring"].items()}
    assert values["concurrency"]["pools"]["defaultLimit"] == prod["concurrency"]["pools"]["default_limit"]

    (deployment,) = values["dagster-user-deployments"]["deployments"]
    pyproject = (PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8")
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "risk_assets.definitions"]
    assert 'module_name = "risk_assets.definitions"' in pyproject
    images = {values[part]["image"]["repository"] for part in ("dagsterWebserver", "dagsterDaemon")}
    assert images == {deployment["image"]["repository"]}  # the run coordinator is ours: every part imports it
    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert env["RISK_DEPLOYMENT"] == "production" and env["RISK_EXECUTOR"] in ("in_process", "celery")
    mounts = {mount["mountPath"] for mount in deployment["volumeMounts"]}
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "/data" in mounts and "RISK_REPORTS_DIR=/data/reports" in dockerfile
    assert env["RISK_CONFIG_DIR"] in mounts

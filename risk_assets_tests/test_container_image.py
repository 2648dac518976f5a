"""deploy/Dockerfile, built for real with podman (Debian's engine; Docker has none here) and checked from inside:
`dagster definitions validate` and `dg check defs` on the production settings with the Celery executor.

A build takes minutes and downloads the project's dependencies, so it runs when asked (RISK_TEST_IMAGE=1) on a
machine where podman can build and the base image is available (RISK_IMAGE_BASE, default debian:bookworm-slim:
pulled, or already in podman's store); it is skipped, with the reason, otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from risk_assets.settings import PROJECT_DIR

BASE = os.environ.get("RISK_IMAGE_BASE", "debian:bookworm-slim")
TAG = "localhost/risk-assets:test"
HOST_CERTS = Path("/etc/ssl/certs")


def _run(*command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout)


def _why_not_buildable() -> str | None:
    if os.environ.get("RISK_TEST_IMAGE") != "1":
        return "set RISK_TEST_IMAGE=1 to build deploy/Dockerfile (minutes, downloads from PyPI)"
    if not (shutil.which("podman") and shutil.which("buildah")):
        return "podman and buildah are not installed (apt-get install podman buildah)"
    if _run("podman", "info").returncode != 0:
        return "podman is installed but cannot run here (podman info fails)"
    if _run("podman", "image", "exists", BASE).returncode != 0 and _run("podman", "pull", BASE,
                                                                         timeout=600).returncode != 0:
        return f"the base image {BASE} cannot be pulled; set RISK_IMAGE_BASE to one in podman's store"
    return None


@pytest.mark.timeout(1800)
def test_the_image_builds_and_loads_the_definitions_inside(tmp_path):
    reason = _why_not_buildable()
    if reason:
        pytest.skip(reason)
    # chroot isolation: RUN steps need no OCI runtime or cgroups (neither works in every container host).
    build = ["podman", "build", "--isolation=chroot", "--build-arg", f"BASE_IMAGE={BASE}", "-f", "deploy/Dockerfile",
             "-t", TAG]
    if (HOST_CERTS / "ca-certificates.crt").exists():  # a TLS-intercepting proxy's CA reaches pip this way
        build += ["--volume", f"{HOST_CERTS}:/host-certs:ro", "--build-arg", "PIP_CERT=/host-certs/ca-certificates.crt"]
    built = subprocess.run([*build, "."], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=1700)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    config = tmp_path / "config"
    config.mkdir()
    shutil.copyfile(PROJECT_DIR / "config" / "tenants.yaml.example", config / "tenants.yaml")
    shutil.copyfile(PROJECT_DIR / "config" / "thresholds.yaml.example", config / "thresholds.yaml")
    environment = {"RISK_DEPLOYMENT": "production", "SOURCE_DATABASE_URL": "postgresql+psycopg2://risk@source:5432/p",
                   "RISK_DATABASE_URL": "postgresql+psycopg2://risk@results:5432/risk", "RISK_EXECUTOR": "celery",
                   "RISK_CELERY_BROKER": "redis://redis:6379/0", "RISK_CELERY_BACKEND": "redis://redis:6379/1",
                   "DAGSTER_HOME": "/tmp/home"}
    container = _run("buildah", "from", TAG).stdout.strip()
    try:
        inside = subprocess.run(
            ["buildah", "run", "--isolation", "chroot", "-v", f"{config}:/opt/risk_assets/config:ro",
             *[arg for name, value in environment.items() for arg in ("-e", f"{name}={value}")], container, "--",
             "sh", "-c", "mkdir -p /tmp/home && cd /opt/risk_assets && dagster definitions validate -m "
             "risk_assets.definitions && dg check defs"], capture_output=True, text=True, timeout=300)
    finally:
        _run("buildah", "rm", container)
    assert inside.returncode == 0, inside.stdout[-3000:] + inside.stderr[-3000:]
    assert "All definitions loaded successfully" in inside.stdout + inside.stderr

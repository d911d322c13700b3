"""The deployment files, checked where they cannot be built (no registry of base images here):
the Dockerfile's base, user, packages, command and health check; docker-compose.yml's services,
their commands (parsed by kpibot's own CLI) and health checks on /healthz; and the scheduler's
/healthz and /metrics, which its health check calls."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click
import httpx
import yaml

from bot import build_deps, cli, features
from handlers.http.app import create_api
from settings import Settings
from tests.harness import TOKEN
from tests.server import serve_app

ROOT = Path(__file__).parents[1]


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile instruction, continuations joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def _parses(argv: list[str]) -> None:
    """The command line is one kpibot accepts (options included), without running it."""
    assert argv[0] == "kpibot"
    command: click.Command = cli
    words = argv[1:]
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        command = command.commands[words[0]]
        words = words[1:]
    assert not isinstance(command, click.Group), f"{argv} names no command"
    command.make_context(argv[1], words)


def test_the_image_is_slim_runs_as_a_user_and_serves_kpibot() -> None:
    steps = _dockerfile()
    [base] = [args for word, args in steps if word == "FROM"]
    assert base.startswith("python:3.")
    assert base.endswith("-slim")
    [user] = [args for word, args in steps if word == "USER"]
    assert user not in ("root", "0")
    assert any("useradd" in args and user in args for word, args in steps if word == "RUN")
    copied = " ".join(args for word, args in steps if word == "COPY")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for name in [*packages, *(f"{m}.py" for m in project["tool"]["setuptools"]["py-modules"])]:
        assert name in copied, f"the image leaves out {name}"
    [cmd] = [args for word, args in steps if word == "CMD"]
    argv = yaml.safe_load(cmd)
    assert argv[:2] == ["kpibot", "serve"]
    _parses(argv)
    [check] = [args for word, args in steps if word == "HEALTHCHECK"]
    assert "/healthz" in check
    assert "8000" in check
    assert "8000" in cmd


def test_compose_runs_postgresql_two_web_replicas_one_scheduler_and_the_migrations() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "web", "scheduler"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["migrate"]["command"] == ["kpibot", "db", "upgrade"]
    web, scheduler = services["web"], services["scheduler"]
    assert web["deploy"]["replicas"] == 2
    assert web["command"][:2] == ["kpibot", "serve"]
    assert "--no-scheduler" in web["command"]  # the jobs run in the scheduler
    assert scheduler["command"][:2] == ["kpibot", "scheduler"]
    assert "replicas" not in scheduler.get("deploy", {})
    for name in ("migrate", "web", "scheduler"):
        _parses(services[name]["command"])
    for service in (web, scheduler):
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        test = " ".join(service["healthcheck"]["test"])
        assert "/healthz" in test
        port = service["command"][service["command"].index("--port") + 1]
        assert f":{port}/healthz" in test
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in service["environment"]["DATABASE_URL"]


def test_the_health_check_command_is_python_the_image_has() -> None:
    for service in ("web", "scheduler"):
        argv = _compose()["services"][service]["healthcheck"]["test"]
        assert argv[:3] == ["CMD", "python", "-c"]
        compile(argv[3], "<healthcheck>", "exec")
    [check] = [args for word, args in _dockerfile() if word == "HEALTHCHECK"]
    argv = json.loads(check.split("CMD", 1)[1])
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")


def test_the_scheduler_serves_healthz_and_metrics(tmp_path: Path) -> None:
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'kpibot.db'}"
    upgrade(url)
    deps = build_deps(Settings(database_url=url, ingest_token=TOKEN))
    try:
        app = create_api(deps, [f for f in features() if f.name == "ops"])
        with serve_app(app) as base:
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
            metrics = httpx.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            )
            assert metrics.status_code == 200
            assert "kpibot_database_up 1.0" in metrics.text
            assert httpx.post(f"{base}/api/v1/responses", json=[], timeout=10).status_code == 404
    finally:
        deps.engine.dispose()

"""The KPI API through a real server on loopback, and `kpibot kpi` on the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner

from bot import build_deps, cli, create_app
from settings import Settings
from tests.server import serve_app

TOKEN = "kpi-token"


def seed(client: httpx.Client) -> None:
    now = datetime.now(UTC)
    rows = []
    for i, (score, plan, channel) in enumerate(
        [(10, "enterprise", "chat")] * 6
        + [(3, "enterprise", "email")] * 2
        + [(8, "free", "email")] * 4
        + [(9, "free", "chat")] * 2
    ):
        rows.append(
            {
                "external_id": f"r{i}",
                "survey": "nps",
                "score": score,
                "submitted_at": (now - timedelta(days=2, minutes=i)).isoformat(),
                "attributes": {"plan": plan, "channel": channel},
            }
        )
    assert client.post("/api/v1/responses", json=rows).status_code == 200


@pytest.fixture
def client(db_url: str) -> Iterator[httpx.Client]:
    settings = Settings(database_url=db_url, ingest_token=TOKEN)
    deps = build_deps(settings)
    with (
        serve_app(create_app(settings, deps)) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as c,
    ):
        seed(c)
        yield c
    deps.engine.dispose()


def test_kpi_answer_as_json(client: httpx.Client) -> None:
    body = client.get(
        "/api/v1/kpis/nps",
        params=[
            ("period", "last-30d"),
            ("filter", "plan:enterprise"),
            ("filter", "channel!:email"),
            ("by", "channel"),
        ],
    ).json()
    assert body["key"] == "nps"
    assert (body["value"], body["n"]) == (100.0, 6)
    assert body["unit"] == "nps"
    assert body["direction"] == "up"
    assert set(body["period"]) >= {"start", "end"}
    start = datetime.fromisoformat(body["period"]["start"])
    end = datetime.fromisoformat(body["period"]["end"])
    assert end - start == timedelta(days=30)
    assert body["previous"]["value"] is None
    assert body["previous"]["n"] == 0
    assert body["delta"] is None
    assert body["significant"] is None
    assert body["ci"]["low"] < body["ci"]["high"] <= 100
    assert body["groups"] == [
        {
            "key": "chat",
            "value": 100.0,
            "n": 6,
            "parts": body["groups"][0]["parts"],
            "ci": body["groups"][0]["ci"],
            "previous": {"value": None, "n": 0, "reason": "no data in this period"},
            "delta": None,
        }
    ]


def test_alias_grouping_and_catalogue(client: httpx.Client) -> None:
    body = client.get("/api/v1/kpis/recommandation", params={"by": "plan", "top": 1}).json()
    assert body["key"] == "nps"
    assert [(g["key"], g["n"]) for g in body["groups"]] == [("enterprise", 8), ("other", 6)]
    assert body["value"] == pytest.approx(100 * (8 - 2) / 14)
    catalogue = client.get("/api/v1/kpis").json()
    assert {"nps", "csat", "frt", "aht", "fcr", "bounce-rate", "aov"} <= {
        k["key"] for k in catalogue
    }


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/api/v1/kpis/npss", {}, ["unknown KPI 'npss'", "nps"]),
        ("/api/v1/kpis/nps", {"period": "last-fortnight"}, ["unknown period", "last-30d"]),
        ("/api/v1/kpis/nps", {"filter": "plna:pro"}, ["unknown attribute 'plna'", "plan"]),
        ("/api/v1/kpis/nps", {"filter": "plan"}, ["name:value"]),
        ("/api/v1/kpis/nps", {"tz": "Mars/Olympus"}, ["unknown timezone"]),
    ],
)
def test_bad_questions_are_400_with_what_is_accepted(
    client: httpx.Client, path: str, params: dict[str, str], words: list[str]
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 400
    text = json.dumps(answer.json())
    for word in words:
        assert word in text


def test_kpi_api_needs_the_token(client: httpx.Client) -> None:
    url = str(client.base_url).rstrip("/") + "/api/v1/kpis/nps"
    assert httpx.get(url).status_code == 401


def test_cli_kpi(client: httpx.Client, db_url: str) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "KPIBOT_TIMEZONE": "Europe/Paris"}
    text = runner.invoke(cli, ["kpi", "nps", "last-30d", "by", "plan"], env=env)
    assert text.exit_code == 0, text.output
    assert "NPS — last-30d" in text.output
    assert "+43" in text.output  # 100 × (8 − 2) / 14 = 42.86
    assert "enterprise" in text.output
    as_json = runner.invoke(cli, ["kpi", "fcr", "mtd", "--json"], env=env)
    assert json.loads(as_json.output)["value"] is None
    bad = runner.invoke(cli, ["kpi", "npx"], env=env)
    assert bad.exit_code == 2
    assert "unknown KPI 'npx' (did you mean nps?)" in bad.output

"""Settings from the environment and `.env`: parsing, defaults and clear refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from bot import cli
from settings import DEFAULT_DATABASE_URL, Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "KPIBOT_INGEST_TOKEN", "KPIBOT_TIMEZONE", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.ingest_token is None
    assert settings.timezone == "UTC"
    assert settings.slack_enabled is False
    assert settings.alert_max_age == timedelta(hours=24)


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "KPIBOT_TIMEZONE=Europe/Paris\nKPIBOT_VIEWERS=U1, U2 S3\nKPIBOT_ALERT_REMIND_AFTER=90m\n"
        "SLACK_API_URL=http://127.0.0.1:9/api\nKPIBOT_INGEST_TOKEN=\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KPIBOT_DIGEST_GRACE", "2d")
    settings = Settings()
    assert settings.timezone == "Europe/Paris"
    assert settings.viewers == ["U1", "U2", "S3"]
    assert settings.alert_remind_after == timedelta(minutes=90)
    assert settings.digest_grace == timedelta(days=2)
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.ingest_token is None  # blank means unset


def test_bad_values_are_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KPIBOT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="unknown IANA timezone"):
        Settings()
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "KPIBOT_TIMEZONE" in result.output


def test_a_team_names_its_attributes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KPIBOT_ATTRIBUTE_NAMES", "formule=plan, marque=brand,canal=canal")
    assert Settings().attribute_names == {"formule": "plan", "marque": "brand", "canal": "canal"}
    for bad in ("formule", "formule=", "=plan", "two words=plan"):
        monkeypatch.setenv("KPIBOT_ATTRIBUTE_NAMES", bad)
        with pytest.raises(ValidationError, match="is not name=attribute"):
            Settings()

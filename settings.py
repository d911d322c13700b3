"""kpibot's settings, read from the environment and an optional `.env` file.

Built once by the composition root (`bot.py`) and passed down; nothing reads the environment at
import time. Every setting is documented in the README's configuration table.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./kpibot.db"
SLACK_DEFAULT_API_URL = "https://slack.com/api/"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _short_duration(value: object) -> object:
    """Accept `90s`, `30m`, `4h`, `2d`, `1w` besides pydantic's seconds and ISO 8601 forms."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2].lower()])
    return value


def _split_list(value: object) -> object:
    """Accept comma- or space-separated lists from the environment."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


class Settings(BaseSettings):
    """Every knob kpibot has, with its environment variable name as alias."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    ingest_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("KPIBOT_INGEST_TOKEN", "ingest_token")
    )
    timezone: str = Field("UTC", validation_alias=AliasChoices("KPIBOT_TIMEZONE", "timezone"))
    language: Literal["en", "fr"] = Field(
        "en", validation_alias=AliasChoices("KPIBOT_LANGUAGE", "language")
    )
    currency: str = Field("EUR", validation_alias=AliasChoices("KPIBOT_CURRENCY", "currency"))

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_api_url: str = Field(
        SLACK_DEFAULT_API_URL, validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url")
    )
    slack_timeout: int = Field(
        30, ge=1, validation_alias=AliasChoices("KPIBOT_SLACK_TIMEOUT", "slack_timeout")
    )
    slack_mode: Literal["http", "socket"] = Field(
        "http", validation_alias=AliasChoices("KPIBOT_SLACK_MODE", "slack_mode")
    )
    viewers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("KPIBOT_VIEWERS", "viewers")
    )
    sharers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("KPIBOT_SHARERS", "sharers")
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("KPIBOT_ADMINS", "admins")
    )

    alert_max_age: timedelta = Field(
        timedelta(hours=24), validation_alias=AliasChoices("KPIBOT_ALERT_MAX_AGE", "alert_max_age")
    )
    alert_burst: int = Field(
        5, ge=1, validation_alias=AliasChoices("KPIBOT_ALERT_BURST", "alert_burst")
    )
    alert_remind_after: timedelta = Field(
        timedelta(hours=4),
        validation_alias=AliasChoices("KPIBOT_ALERT_REMIND_AFTER", "alert_remind_after"),
    )
    digest_grace: timedelta = Field(
        timedelta(hours=12), validation_alias=AliasChoices("KPIBOT_DIGEST_GRACE", "digest_grace")
    )

    #: The connectors' secrets (`POST /webhooks/<vendor>`): unset, the vendor's webhook answers
    #: 503 naming its setting.
    typeform_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("KPIBOT_TYPEFORM_SECRET", "typeform_secret")
    )
    delighted_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("KPIBOT_DELIGHTED_API_KEY", "delighted_api_key")
    )
    intercom_client_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("KPIBOT_INTERCOM_CLIENT_SECRET", "intercom_client_secret"),
    )
    zendesk_webhook_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("KPIBOT_ZENDESK_WEBHOOK_SECRET", "zendesk_webhook_secret"),
    )
    helpscout_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("KPIBOT_HELPSCOUT_SECRET", "helpscout_secret")
    )
    freshdesk_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("KPIBOT_FRESHDESK_TOKEN", "freshdesk_token")
    )

    @field_validator("viewers", "sharers", "admins", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("alert_max_age", "alert_remind_after", "digest_grace", mode="before")
    @classmethod
    def _durations(cls, value: object) -> object:
        return _short_duration(value)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. UTC, Europe/Paris)") from exc
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator(
        "ingest_token",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "typeform_secret",
        "delighted_api_key",
        "intercom_client_secret",
        "zendesk_webhook_secret",
        "helpscout_secret",
        "freshdesk_token",
    )
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The reporting timezone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    @property
    def slack_enabled(self) -> bool:
        """Whether the Slack app can run (HTTP mode needs both the token and the signing secret)."""
        if self.slack_bot_token is None:
            return False
        if self.slack_mode == "socket":
            return self.slack_app_token is not None
        return self.slack_signing_secret is not None

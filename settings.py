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
#: Attributes that name a segment (a plan, a region), not a person: erasure and retention keep
#: them, so segmented KPIs keep their figures. Every other attribute value counts as free text.
DEFAULT_SEGMENT_ATTRIBUTES = (
    "plan",
    "channel",
    "region",
    "country",
    "language",
    "product",
    "segment",
    "tier",
    "team",
)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


def _short_duration(value: object) -> object:
    """Accept `90s`, `30m`, `4h`, `2d`, `1w` besides pydantic's seconds and ISO 8601 forms."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2].lower()])
    return value


_ATTRIBUTE = re.compile(r"^[^\W\d][\w.\-]*$")


def _name_pairs(value: object) -> object:
    """`canal=channel, offre=plan` (or a mapping) as {typed name: stored name}."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for part in value.replace(";", ",").split(","):
        if not part.strip():
            continue
        typed, sep, stored = (p.strip() for p in part.partition("="))
        if not sep or not _ATTRIBUTE.match(typed) or not _ATTRIBUTE.match(stored):
            raise ValueError(f"'{part.strip()}' is not name=attribute (e.g. canal=channel)")
        pairs[typed] = stored
    return pairs


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
    #: The attribute names people type (French words, a team's own) → the stored names.
    attribute_names: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("KPIBOT_ATTRIBUTE_NAMES", "attribute_names"),
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
    #: Survey DMs a second once the first burst is out (Slack's pace for chat.postMessage).
    survey_dm_rate: float = Field(
        1.0, gt=0, le=20, validation_alias=AliasChoices("KPIBOT_SURVEY_DM_RATE", "survey_dm_rate")
    )
    survey_dm_burst: int = Field(
        5, ge=1, le=100, validation_alias=AliasChoices("KPIBOT_SURVEY_DM_BURST", "survey_dm_burst")
    )
    digest_grace: timedelta = Field(
        timedelta(hours=12), validation_alias=AliasChoices("KPIBOT_DIGEST_GRACE", "digest_grace")
    )
    #: The KPIs the Home tab dashboard shows (last 7 and 30 days), in order.
    home_kpis: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["nps", "csat", "frt", "fcr"],
        validation_alias=AliasChoices("KPIBOT_HOME_KPIS", "home_kpis"),
    )
    #: `auto` (discover them), `none`, or the attribute names that get segment rollups.
    dimensions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["auto"],
        validation_alias=AliasChoices("KPIBOT_DIMENSIONS", "dimensions"),
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

    comment_retention: timedelta | None = Field(
        None,
        validation_alias=AliasChoices("KPIBOT_COMMENT_RETENTION", "comment_retention"),
    )
    segment_attributes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SEGMENT_ATTRIBUTES),
        validation_alias=AliasChoices("KPIBOT_SEGMENT_ATTRIBUTES", "segment_attributes"),
    )
    ops_channel: str | None = Field(
        None, validation_alias=AliasChoices("KPIBOT_OPS_CHANNEL", "ops_channel")
    )
    log_format: Literal["text", "json"] = Field(
        "text", validation_alias=AliasChoices("KPIBOT_LOG_FORMAT", "log_format")
    )

    @field_validator(
        "viewers",
        "sharers",
        "admins",
        "dimensions",
        "segment_attributes",
        "home_kpis",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("home_kpis")
    @classmethod
    def _home_kpis(cls, value: list[str]) -> list[str]:
        keys = [v.strip().lower() for v in value if v.strip()]
        if len(keys) > 8:
            raise ValueError("the Home tab shows at most 8 KPIs")
        return keys

    @field_validator("dimensions")
    @classmethod
    def _dimension_names(cls, value: list[str]) -> list[str]:
        words = [v.strip() for v in value if v.strip()]
        if len(words) == 1 and words[0].lower() in ("auto", "none"):
            return [words[0].lower()]
        for word in words:
            if not _ATTRIBUTE.match(word):
                raise ValueError(
                    f"{word!r} is not an attribute name (letters, digits, _ . -; at most 64), "
                    "nor auto or none"
                )
        return words

    @field_validator("attribute_names", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        return _name_pairs(value)

    @field_validator(
        "alert_max_age", "alert_remind_after", "digest_grace", "comment_retention", mode="before"
    )
    @classmethod
    def _durations(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return _short_duration(value)

    @field_validator("comment_retention")
    @classmethod
    def _positive_retention(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(days=1):
            raise ValueError("keep comments at least a day (e.g. 400d), or leave it unset")
        return value

    @field_validator("ops_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().lstrip("#")
        if not re.fullmatch(r"[CGD][A-Z0-9]{2,}", value):
            raise ValueError(
                f"{value!r} is not a channel id: use the id Slack shows in the channel's "
                "details (C…), not its name"
            )
        return value

    @field_validator("segment_attributes")
    @classmethod
    def _attribute_names(cls, value: list[str]) -> list[str]:
        names = [name.strip().lower() for name in value if name.strip()]
        for name in names:
            if not re.fullmatch(r"[a-z0-9_.-]{1,64}", name):
                raise ValueError(f"{name!r} is not an attribute name (letters, digits, _ . -)")
        return names

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
    def segment_dimensions(self) -> list[str] | None:
        """The attribute names that get segment rollups; None: discover them from the data."""
        if self.dimensions == ["auto"]:
            return None
        return [] if self.dimensions == ["none"] else list(self.dimensions)

    @property
    def kept_attributes(self) -> list[str]:
        """The attributes that name a segment: KPIBOT_SEGMENT_ATTRIBUTES and the dimensions
        KPIBOT_DIMENSIONS declares. Erasure and retention keep them; `auto` discovers segment
        dimensions among them only, so a rollup cell never holds what erasure removes."""
        declared = self.segment_dimensions or []
        return list(dict.fromkeys([*self.segment_attributes, *declared]))

    @property
    def slack_enabled(self) -> bool:
        """Whether the Slack app can run (HTTP mode needs both the token and the signing secret)."""
        if self.slack_bot_token is None:
            return False
        if self.slack_mode == "socket":
            return self.slack_app_token is not None
        return self.slack_signing_secret is not None

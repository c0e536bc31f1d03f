"""Settings from the environment, validated once at start and passed in (never read at import)."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

NOTIFY_CHANNELS = ("zns", "sms", "log")


class Settings(BaseSettings):
    """Every knob of the service; environment names are ``POSTAL_*`` except ``DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="POSTAL_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".postal-data")
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8080"
    s10_prefix: str = "RA"
    timezone: str = "Asia/Ho_Chi_Minh"
    max_attempts: int = Field(default=3, ge=1, le=10)
    webhook_allow_loopback: bool = False
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=20, ge=1)
    trusted_proxies: list[str] = Field(default_factory=list)
    track_rate_limit: int = Field(default=30, ge=1)
    track_rate_window_seconds: int = Field(default=60, ge=1)
    token_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    log_level: str = "INFO"
    # Citizen notifications (SPEC §7): channels tried in order, each provider's settings.
    notify_channels: str = "log"
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    zns_api_url: str = "https://business.openapi.zalo.me"
    zns_access_token: str = ""
    zns_refresh_token: str = ""
    zns_app_id: str = ""
    zns_app_secret: str = ""
    zns_oauth_url: str = "https://oauth.zaloapp.com/v4/oa/access_token"
    zns_templates: dict[str, str] = Field(default_factory=dict)
    sms_api_url: str | None = None
    sms_token: str = ""

    @field_validator("s10_prefix")
    @classmethod
    def _two_letters(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise ValueError("POSTAL_S10_PREFIX must be two letters A-Z")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("POSTAL_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ipaddress.ip_network(net, strict=False)
        return value

    @field_validator("notify_channels")
    @classmethod
    def _channels(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in NOTIFY_CHANNELS]
        if unknown or not names or len(set(names)) != len(names):
            raise ValueError("POSTAL_NOTIFY_CHANNELS is a comma list of distinct names among zns, sms, log")
        return ",".join(names)

    @property
    def channel_names(self) -> list[str]:
        """``POSTAL_NOTIFY_CHANNELS`` as a list, in the order they are tried."""
        return self.notify_channels.split(",")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def key(self) -> bytes:
        """The secret key as bytes for HMACs."""
        return self.secret_key.encode()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a missing secret key is generated once and kept in the data dir."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if not settings.secret_key:
        settings = settings.model_copy(update={"secret_key": _stored_secret(settings.data_dir)})
    return settings


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: two processes starting together agree on one key
        with path.open("x") as out:
            path.chmod(0o600)
            out.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return path.read_text().strip()

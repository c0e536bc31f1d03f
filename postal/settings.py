"""Settings from the environment, validated once at start and passed in (never read at import)."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

NOTIFY_CHANNELS = ("zns", "sms", "log")


class Settings(BaseSettings):
    """Every knob of the service; environment names are ``POSTAL_*`` except ``DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="POSTAL_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".postal-data")
    secret_key: str = ""
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
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
    # Access log (issue 16): 2xx lines sampled at this rate (everything else always logged), lines
    # written by a thread so the event loop never waits on stderr.
    access_log_sample: float = Field(default=0.1, ge=0, le=1)
    log_buffered: bool = True
    # Sign-in (SPEC §11): argon2 off the event loop, failures counted per user and per address.
    login_user_limit: int = Field(default=10, ge=1)
    login_address_limit: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    password_workers: int = Field(default=2, ge=1, le=64)
    password_queue: int = Field(default=32, ge=1)
    # Slow clients: the request head must arrive within this (also the idle keep-alive limit), the body too.
    header_timeout_seconds: float = Field(default=15.0, gt=0, le=3600)
    body_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    # /metrics: these networks, or a bearer token of an admin (or POSTAL_METRICS_TOKEN).
    metrics_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    metrics_token: str = ""
    # Personal data (SPEC §13): days a finished shipment keeps its personal fields, days an access record
    # is kept, and how often the purge worker looks.
    retention_days: int = Field(default=365, ge=0, le=36500)
    audit_retention_days: int = Field(default=730, ge=1, le=36500)
    retention_interval_seconds: float = Field(default=3600.0, ge=1, le=86400)
    _public_url_derived: bool = PrivateAttr(default=False)
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
    # Carrier adapters (SPEC §9): VNPost customer-partner API; empty URL = no pushing or polling.
    vnpost_api_url: str = ""
    vnpost_username: str = ""
    vnpost_password: str = ""
    vnpost_customer_code: str = ""
    vnpost_callback_secret: str = ""  # empty: every callback is refused (401)
    vnpost_poll_seconds: float = Field(default=10.0, ge=0.05, le=86400)
    vnpost_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Zalo OA chatbot (SPEC §12): webhook signature, reply API, per-user limit, accepted clock skew.
    zalo_app_id: str = ""
    zalo_oa_secret: str = ""
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oa_access_token: str = ""
    zalo_rate_limit: int = Field(default=10, ge=1)
    zalo_rate_window_seconds: int = Field(default=60, ge=1)
    zalo_max_skew_seconds: int = Field(default=300, ge=1, le=86400)

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
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("POSTAL_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies", "metrics_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ipaddress.ip_network(net, strict=False)
        return value

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        """Unset ``POSTAL_PUBLIC_URL`` → the listen address (``POSTAL_HOST``/``POSTAL_PORT``, or ``serve``'s flags)."""
        if not self.public_url:
            self.__dict__["public_url"] = listen_url(self.host, self.port)
            self._public_url_derived = True
        return self

    def listening_on(self, host: str, port: int) -> Settings:
        """These settings for a server on ``host:port``: a derived public URL follows the listen address."""
        updated = self.model_copy(update={"host": host, "port": port})
        if self._public_url_derived:
            updated.__dict__["public_url"] = listen_url(host, port)
        return updated
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


def listen_url(host: str, port: int) -> str:
    """The URL a browser on this machine opens for a server listening on ``host:port``.

    A wildcard address (all interfaces) is reached through loopback; set ``POSTAL_PUBLIC_URL``
    when phones elsewhere must open the QR codes.
    """
    host = host.strip() or "0.0.0.0"  # noqa: S104 - a comparison, not a bind
    if host in ("0.0.0.0", "*"):  # noqa: S104
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


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

"""Settings from the environment and an optional ``.env`` file (names are the public interface)."""

from __future__ import annotations

import re

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///gutback.db"
DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_WEBHOOK_PATH = "/telegram"
#: Telegram's rule for ``secret_token`` in setWebhook: 1-256 of these characters.
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: A plain URL path (no query, no braces a router would read as a parameter).
WEBHOOK_PATH_RE = re.compile(r"/[A-Za-z0-9._~/-]*")
#: Paths the webhook server answers itself (probes), so the update path may not be one of them.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


class MissingSetting(RuntimeError):
    """A setting the chosen command cannot run without; the message names the variable."""


class InvalidSetting(MissingSetting):
    """A setting that is present but unusable; the message names it and says what it must be."""


class Settings(BaseSettings):
    """Everything an operator can set. Defaults make ``gutback chat`` work with no configuration."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    telegram_api_url: str = Field(
        default=DEFAULT_API_URL, validation_alias=AliasChoices("TELEGRAM_API_URL")
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL")
    )
    sweep_seconds: float = Field(
        default=30.0, gt=0, validation_alias=AliasChoices("GUTBACK_SWEEP_SECONDS")
    )
    grace_hours: float = Field(
        default=3.0, ge=0, validation_alias=AliasChoices("GUTBACK_GRACE_HOURS")
    )
    auto_migrate: bool = Field(default=True, validation_alias=AliasChoices("GUTBACK_AUTO_MIGRATE"))
    sweep_batch: int = Field(
        default=200, gt=0, validation_alias=AliasChoices("GUTBACK_SWEEP_BATCH")
    )
    global_rate_per_second: float = Field(
        default=28.0, gt=0, validation_alias=AliasChoices("GUTBACK_GLOBAL_RATE")
    )
    chat_rate_per_second: float = Field(
        default=1.0, gt=0, validation_alias=AliasChoices("GUTBACK_CHAT_RATE")
    )
    #: How many bot processes share one token: each sends at ``GUTBACK_GLOBAL_RATE / N``.
    workers: int = Field(default=1, ge=1, validation_alias=AliasChoices("GUTBACK_WORKERS"))
    #: Seconds to wait for PostgreSQL (to connect, and for any one statement) before a person is
    #: asked to try again; bounds the wait when the database stops answering altogether. A press
    #: can take two of these (the pool's check of an old connection, then a new one), and
    #: Telegram drops a button's answer after about 15 s.
    db_timeout_seconds: float = Field(
        default=5.0, gt=0, validation_alias=AliasChoices("GUTBACK_DB_TIMEOUT")
    )
    #: Seconds after which work claimed by a worker that stopped saying it is alive is taken over:
    #: a due prompt whose send never began is offered again, a webhook update it accepted but
    #: never handled is handled by another worker. Long enough for a live worker's batch.
    takeover_seconds: float = Field(
        default=120.0, gt=0, validation_alias=AliasChoices("GUTBACK_TAKEOVER_SECONDS")
    )
    #: Diary entries older than this many days are removed; ``None`` keeps everything.
    retention_days: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("GUTBACK_RETENTION_DAYS")
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("GUTBACK_LOG_LEVEL"))
    # --- webhook mode (`gutback run --webhook`, `gutback set-webhook`) ---
    #: The public HTTPS base URL Telegram calls (usually a TLS proxy in front of the workers).
    webhook_url: str | None = Field(
        default=None, validation_alias=AliasChoices("GUTBACK_WEBHOOK_URL")
    )
    webhook_path: str = Field(
        default=DEFAULT_WEBHOOK_PATH, validation_alias=AliasChoices("GUTBACK_WEBHOOK_PATH")
    )
    #: Sent back by Telegram in X-Telegram-Bot-Api-Secret-Token; a SecretStr so that no repr or
    #: log line ever shows it.
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GUTBACK_WEBHOOK_SECRET")
    )
    #: Loopback by default: the worker is meant to sit behind a TLS proxy on the same host.
    webhook_listen: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("GUTBACK_WEBHOOK_LISTEN")
    )
    webhook_port: int = Field(
        default=8080, ge=0, le=65535, validation_alias=AliasChoices("GUTBACK_WEBHOOK_PORT")
    )
    #: Whether `gutback run --webhook` calls setWebhook at start. With several workers turn it
    #: off and run `gutback set-webhook` once per release instead.
    webhook_register: bool = Field(
        default=True, validation_alias=AliasChoices("GUTBACK_WEBHOOK_REGISTER")
    )

    @field_validator("webhook_path")
    @classmethod
    def _leading_slash(cls, path: str) -> str:
        path = path.strip()
        return path if path.startswith("/") else "/" + path

    def require_token(self) -> str:
        if not self.telegram_bot_token:
            raise MissingSetting(
                "TELEGRAM_BOT_TOKEN is not set: put your bot token from @BotFather in the "
                "environment or in .env (see .env.example)"
            )
        return self.telegram_bot_token

    def require_webhook(self, *, register: bool) -> str:
        """The secret, after checking everything webhook mode needs (one clear line if not).

        The URL is needed only where setWebhook is called (``register``): workers behind a
        release step that registered it can run without knowing their public address.
        """
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret:
            raise MissingSetting(
                "GUTBACK_WEBHOOK_SECRET is not set: webhook mode needs a secret of 1-256 letters, "
                "digits, _ or - (.env.example shows how to make one)"
            )
        if not WEBHOOK_SECRET_RE.fullmatch(secret):
            raise InvalidSetting(
                "GUTBACK_WEBHOOK_SECRET may hold only 1-256 letters, digits, _ and - "
                "(Telegram's rule for secret_token)"
            )
        if not WEBHOOK_PATH_RE.fullmatch(self.webhook_path):
            raise InvalidSetting(
                "GUTBACK_WEBHOOK_PATH may hold only letters, digits and . _ ~ / - "
                f"(e.g. {DEFAULT_WEBHOOK_PATH})"
            )
        if self.webhook_path in PROBE_PATHS or self.webhook_path == "/":
            raise InvalidSetting(
                f"GUTBACK_WEBHOOK_PATH cannot be {self.webhook_path}: choose a path of its own, "
                f"e.g. {DEFAULT_WEBHOOK_PATH}"
            )
        if register:
            url = (self.webhook_url or "").strip()
            if not url:
                raise MissingSetting(
                    "GUTBACK_WEBHOOK_URL is not set: give the public https:// address Telegram "
                    "calls, or set GUTBACK_WEBHOOK_REGISTER=false if a release step registered it"
                )
            if not url.startswith("https://"):
                raise InvalidSetting(
                    "GUTBACK_WEBHOOK_URL must start with https:// (Telegram calls webhooks only "
                    "over HTTPS; put a TLS proxy in front of the worker)"
                )
        return secret

    @property
    def webhook_endpoint(self) -> str:
        """The full URL given to setWebhook: the public base URL plus the update path."""
        return (self.webhook_url or "").strip().rstrip("/") + self.webhook_path

    @property
    def global_rate_per_worker(self) -> float:
        """This process's share of the bot's overall send rate.

        Telegram's ~30 messages/s is per bot, not per process, so N processes on one token split
        it evenly. A fixed share needs no coordination and keeps working while the database is
        away (when the "try again" replies still have to go out); the cost is that a worker
        cannot borrow an idle worker's share, which the sweep makes up for by splitting due
        prompts among workers (``FOR UPDATE SKIP LOCKED``).
        """
        return self.global_rate_per_second / self.workers

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

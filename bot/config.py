"""Settings from the environment and an optional ``.env`` file (names are the public interface)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///gutback.db"
DEFAULT_API_URL = "https://api.telegram.org/bot"


class MissingSetting(RuntimeError):
    """A setting the chosen command cannot run without; the message names the variable."""


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
        default=500, gt=0, validation_alias=AliasChoices("GUTBACK_SWEEP_BATCH")
    )
    global_rate_per_second: float = Field(
        default=28.0, gt=0, validation_alias=AliasChoices("GUTBACK_GLOBAL_RATE")
    )
    chat_rate_per_second: float = Field(
        default=1.0, gt=0, validation_alias=AliasChoices("GUTBACK_CHAT_RATE")
    )
    #: Diary entries older than this many days are removed; ``None`` keeps everything.
    retention_days: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("GUTBACK_RETENTION_DAYS")
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("GUTBACK_LOG_LEVEL"))

    def require_token(self) -> str:
        if not self.telegram_bot_token:
            raise MissingSetting(
                "TELEGRAM_BOT_TOKEN is not set: put your bot token from @BotFather in the "
                "environment or in .env (see .env.example)"
            )
        return self.telegram_bot_token

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

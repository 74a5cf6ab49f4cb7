"""Settings, read once from the environment (prefix ``FENGHUO_``) and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FENGHUO_", extra="ignore")

    data_dir: Path = Field(
        default=Path("fenghuo-data"),
        description="Where the embedded SQLite database lives when no database URL is given.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Default: SQLite.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    admin_username: str = "admin"
    admin_password: str | None = Field(
        default=None, description="Password for the first administrator; random when unset."
    )
    timezone: str = "Asia/Shanghai"
    log_json: bool = False

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fenghuo.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")

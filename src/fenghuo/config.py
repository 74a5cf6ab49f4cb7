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
    access_log: bool = Field(
        default=False, description="Log every HTTP request (changes are in the audit trail "
        "either way); costs a few per cent of intake throughput")
    grading_profile: str = Field(
        default="cac2025", description="Grading profile for new incidents: cac2025 or plan2017")
    # outbox delivery
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "fenghuo@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    webhook_timeout: float = 5.0
    worker: bool | None = Field(
        default=None, description="Run a delivery worker inside `fenghuo serve`; default: yes "
        "on the embedded database, no on PostgreSQL (run `fenghuo worker` there)")
    worker_threads: int = Field(default=8, ge=1, le=64)
    worker_poll_seconds: float = Field(default=0.1, gt=0, le=10)
    watchdog_seconds: float = Field(default=30, gt=0)
    worker_lease_seconds: float = Field(
        default=60, gt=0, description="How long a claimed delivery stays with its worker before "
        "another may take it over (a worker that died mid-delivery)")
    bulletin_issuer: str = Field(
        default="cn.cncert", description="The body whose weekly and monthly bulletins the "
        "worker generates and sends (Monday, the 1st; China Standard Time)")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fenghuo.db').resolve()}"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")

"""One settings object, read from ``HUIKUAN_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUIKUAN_", env_file=".env", extra="ignore")

    # sqlite:///var/huikuan.db (embedded default) or postgresql+psycopg://user@host:port/db
    database_url: str = "sqlite:///var/huikuan.db"
    log_level: str = "INFO"
    log_json: bool = False
    # Field encryption: "k2:<key>,k1:<key>" (first is current; older ones still decrypt) and
    # the separate key of the searchable hashes. Without them a development key file is made
    # under var/ (never use that in production).
    data_keys: str | None = None
    search_key: str | None = None
    dev_key_file: Path = Path("var/dev-keys.json")
    # Outgoing email (the worker's SMTP channel).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "collections@example.com"
    smtp_timeout: float = 30.0

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix(prefix))
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

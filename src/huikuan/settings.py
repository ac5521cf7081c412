"""One settings object, read from ``HUIKUAN_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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
    # Outgoing SMS (huikuan.dispatch.sms.sms_channel_from_settings). Provider: aliyun, tencent,
    # twilio or kannel; unset means no SMS channel. The key id / secret pair is the provider's
    # AccessKeyId + AccessKeySecret (Aliyun), SecretId + SecretKey (Tencent), Account SID +
    # auth token (Twilio), or the sendsms username + password (Kannel).
    sms_provider: str | None = None
    sms_base_url: str | None = None  # the provider's public endpoint when unset
    sms_access_key_id: str | None = None
    sms_access_key_secret: str | None = None
    sms_sign_name: str | None = None  # approved SMS signature (Aliyun, Tencent)
    sms_app_id: str | None = None  # Tencent SmsSdkAppId
    sms_region: str | None = None  # Aliyun RegionId / Tencent X-TC-Region
    sms_sender: str | None = None  # Twilio From number / Kannel from
    sms_messaging_service_sid: str | None = None  # Twilio, instead of a From number
    sms_status_callback_url: str | None = None  # Twilio StatusCallback / Kannel dlr-url base
    sms_default_country: str = "86"  # country code of numbers stored without "+"
    # Our template code → the provider's, as JSON. Aliyun: {"SMS-M1-D1": "SMS_123456789"};
    # Tencent: {"SMS-M1-D1": ["1110", "name", "amount"]} (TemplateId, then our parameter names
    # in the template's order).
    sms_templates: dict[str, str | list[str]] = Field(default_factory=dict)
    sms_timeout: float = 10.0
    # Provider pushes (huikuan.web.areas.hooks): the shared secret every non-Twilio push must
    # carry as ``?token=`` (Twilio's are signed with the auth token instead), and the public
    # base URL the provider calls (``https://collect.example.com``) when a proxy sits in front,
    # since Twilio signs the URL it called.
    sms_webhook_token: str | None = None
    sms_webhook_base_url: str | None = None

    # Letters: the worker writes each letter's PDF here for the print-and-mail house.
    letter_spool_dir: Path = Path("var/letters")

    # The debtor's own page: the address debtors reach the app at (links in reminders and
    # letters), and, for the demo only, a folder standing in for the debtors' phones and
    # mailboxes (one-time codes are written there instead of sent; never set in production).
    public_base_url: str = "http://127.0.0.1:8000"
    demo_inbox_dir: Path | None = None

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix(prefix))
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

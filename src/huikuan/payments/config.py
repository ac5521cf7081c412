"""Payment-provider settings (``HUIKUAN_PAY_*``) and the key material they resolve to.

Data flow: :class:`PayConfig` is read from the environment (or built by a test / the demo's
bootstrap) → :func:`load_keys` turns its PEM texts into key objects, once per config. Keys that
are not configured are development keys kept under ``dev_key_dir`` (``var/pay-dev``, made on
first use, like the web app's development secret): our merchant keys, and — so that the local
provider fakes (:mod:`huikuan.payments.provider_fakes`) can be trusted without configuration —
the fakes' own provider keys. Production sets every key; nothing here reads the clock.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from huikuan.logs import get_logger
from huikuan.payments.keys import generate_private_pem, load_private_key, load_public_key

log = get_logger("huikuan.payments")

ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"
WECHAT_API_BASE = "https://api.mch.weixin.qq.com"
API_V3_KEY_LENGTH = 32  # AEAD_AES_256_GCM: the APIv3 key is 32 ASCII characters


class PayConfig(BaseSettings):
    """Merchant ids, keys and endpoints of the payment providers (env prefix ``HUIKUAN_PAY_``)."""

    model_config = SettingsConfigDict(env_prefix="HUIKUAN_PAY_", env_file=".env", extra="ignore")

    # Our public base URL, which the providers' servers call back (notify_url).
    notify_base_url: str = "http://127.0.0.1:8000"
    # Where the debtor's browser returns after paying (the self-service page); None: none given.
    return_url: str | None = None
    # The order title shown on the provider's cashier page (no personal data).
    subject: str = "回款 还款"
    # An unpaid order closes at the provider after this long (timeout_express / time_expire).
    order_ttl_minutes: int = Field(default=30, ge=1, le=1440)
    http_timeout: float = 10.0
    dev_key_dir: Path = Path("var/pay-dev")

    # Alipay OpenAPI: the app id, the gateway, our app private key (RSA2) and Alipay's public key.
    alipay_app_id: str = "2021000000000001"
    alipay_gateway: str = ALIPAY_GATEWAY
    alipay_app_private_key: SecretStr | None = None
    alipay_public_key: str | None = None

    # WeChat Pay API v3: merchant id, the app id the H5 payment runs under, our merchant API key
    # (apiclient_key.pem) and its certificate serial, the APIv3 key, the platform public key.
    wechat_api_base: str = WECHAT_API_BASE
    wechat_mchid: str = "1900000001"
    wechat_appid: str = "wx0000000000000001"
    wechat_merchant_private_key: SecretStr | None = None
    wechat_merchant_serial: str = "DEVMERCHANTSERIAL0001"
    wechat_api_v3_key: SecretStr | None = None
    wechat_platform_public_key: str | None = None
    wechat_platform_serial: str = "DEVPLATFORMSERIAL0001"

    # Bank transfer: the creditor's receiving account as lines of text, by creditor code (JSON);
    # creditors not listed show ``bank_payee_default``.
    bank_payees: dict[str, list[str]] = Field(default_factory=dict)
    bank_payee_default: list[str] = Field(
        default_factory=lambda: ["请向委托方的收款账户转账，并在附言中填写还款参考号。"]
    )

    def notify_url(self, provider: str) -> str:
        return f"{self.notify_base_url.rstrip('/')}/hooks/pay/{provider}/notify"


@dataclass(frozen=True, slots=True)
class PayKeys:
    """Key objects of one :class:`PayConfig`."""

    alipay_app_private: RSAPrivateKey
    alipay_public: RSAPublicKey
    wechat_merchant_private: RSAPrivateKey
    wechat_platform_public: RSAPublicKey
    wechat_api_v3_key: bytes


# File names under ``dev_key_dir``; the ``fake-*`` ones belong to the local provider fakes.
DEV_ALIPAY_APP = "alipay-app.pem"
DEV_WECHAT_MERCHANT = "wechat-merchant.pem"
DEV_WECHAT_API_V3 = "wechat-apiv3.key"
DEV_FAKE_ALIPAY = "fake-alipay.pem"
DEV_FAKE_WECHAT = "fake-wechat-platform.pem"


def dev_secret(directory: Path, name: str) -> str:
    """The development secret ``name`` under ``directory``, made on first use (mode 0600)."""
    path = directory / name
    if path.exists():
        return path.read_text(encoding="ascii")
    directory.mkdir(parents=True, exist_ok=True)
    value = (
        secrets.token_urlsafe(API_V3_KEY_LENGTH)[:API_V3_KEY_LENGTH]
        if name.endswith(".key")
        else generate_private_pem()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii")
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(value)
    log.warning("development_payment_key_created", file=name)
    return value


def _secret(value: SecretStr | None, directory: Path, name: str) -> str:
    return value.get_secret_value() if value is not None else dev_secret(directory, name)


def _public(value: str | None, directory: Path, fake_name: str) -> RSAPublicKey:
    if value is not None:
        return load_public_key(value)
    return load_private_key(dev_secret(directory, fake_name)).public_key()


def _keys(config: PayConfig) -> PayKeys:
    folder = config.dev_key_dir
    api_v3 = _secret(config.wechat_api_v3_key, folder, DEV_WECHAT_API_V3).encode("ascii")
    if len(api_v3) != API_V3_KEY_LENGTH:
        raise ValueError(f"HUIKUAN_PAY_WECHAT_API_V3_KEY must be {API_V3_KEY_LENGTH} characters")
    return PayKeys(
        alipay_app_private=load_private_key(
            _secret(config.alipay_app_private_key, folder, DEV_ALIPAY_APP)
        ),
        alipay_public=_public(config.alipay_public_key, folder, DEV_FAKE_ALIPAY),
        wechat_merchant_private=load_private_key(
            _secret(config.wechat_merchant_private_key, folder, DEV_WECHAT_MERCHANT)
        ),
        wechat_platform_public=_public(config.wechat_platform_public_key, folder, DEV_FAKE_WECHAT),
        wechat_api_v3_key=api_v3,
    )


_LOADED: dict[int, tuple[PayConfig, PayKeys]] = {}


def load_keys(config: PayConfig) -> PayKeys:
    """The keys of ``config`` (parsed once per config object)."""
    hit = _LOADED.get(id(config))
    if hit is not None and hit[0] is config:
        return hit[1]
    keys = _keys(config)
    _LOADED[id(config)] = (config, keys)
    return keys


_CURRENT: list[PayConfig] = []


@cache
def _from_environment() -> PayConfig:
    return PayConfig()


def get_pay_config() -> PayConfig:
    """The process's payment config: the one :func:`configure` installed, else the env's."""
    return _CURRENT[-1] if _CURRENT else _from_environment()


def configure(config: PayConfig | None) -> None:
    """Install ``config`` for this process (the demo's bootstrap, tests); None: back to env."""
    _CURRENT.clear()
    if config is not None:
        _CURRENT.append(config)

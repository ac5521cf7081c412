"""RSA key material and SHA256withRSA signatures, as both providers use them.

Alipay's RSA2 and WeChat Pay API v3 both sign with RSASSA-PKCS1-v1_5 over SHA-256 and carry
the signature in standard base64; this module is that one definition, used by our adapters and
by the local provider fakes alike.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

KEY_BITS = 2048  # what both providers issue and expect (WECHATPAY2-SHA256-RSA2048)


def generate_private_pem() -> str:
    """A new RSA-2048 private key as unencrypted PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _pem(text: str, kind: str) -> bytes:
    """Accept a PEM, or the bare base64 body Alipay's key tool prints (wrapped here)."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        return stripped.encode("ascii")
    body = "".join(stripped.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"])).encode()


def load_private_key(text: str) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(_pem(text, "PRIVATE KEY"), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the payment signing key must be an RSA private key")
    return key


def load_public_key(text: str) -> RSAPublicKey:
    key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the provider's key must be an RSA public key")
    return key


def public_pem(key: RSAPrivateKey | RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def sign_sha256_rsa(key: RSAPrivateKey, message: str) -> str:
    """Base64 of SHA256withRSA (PKCS#1 v1.5) over the UTF-8 bytes of ``message``."""
    signature = key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify_sha256_rsa(key: RSAPublicKey, message: str, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``key``'s SHA256withRSA over ``message``."""
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
        key.verify(raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return True

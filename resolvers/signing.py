"""Signed tokens: a payload and its HMAC-SHA256 under the secret key, in URL-safe base64.

Pagination cursors and preview links are such tokens. Nothing about them is stored, so whoever
holds the key can mint them: it must stay secret, and be the same on every worker. Payloads
name what they are for, so a token of one kind is never mistaken for another.
"""

import base64
import binascii
import hashlib
import hmac

SIGNATURE_BYTES = 16  # 128 bits of the SHA-256 MAC: unforgeable, and keeps tokens short


def sign(secret_key: str, payload: bytes) -> str:
    return f"{_b64(payload)}.{_b64(_signature(secret_key, payload))}"


def verify(secret_key: str, token: str) -> bytes | None:
    """The payload of a token signed with `secret_key`; None when it is malformed or altered."""
    try:
        encoded_payload, encoded_signature = token.split(".")
        payload = _unb64(encoded_payload)
        signature = _unb64(encoded_signature)
    except (ValueError, binascii.Error):
        return None
    if not hmac.compare_digest(signature, _signature(secret_key, payload)):
        return None
    return payload


def _signature(secret_key: str, payload: bytes) -> bytes:
    return hmac.new(secret_key.encode(), payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

"""Secrets kept at rest but shown back on request (a SIM's PUK): AES-256-GCM from ``cryptography``.

The key is derived (HKDF-SHA256) from the installation secret (``Settings.secret_key``) and a
purpose, so each kind of secret has a key of its own; ``bound_to`` (e.g. the ICCID) is
authenticated with the text, so a sealed value copied onto another row does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12


class SealError(ValueError):
    """The sealed value does not open with this installation's key (or was tampered with)."""


def _key(secret_key: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"clausier-sealed",
                info=purpose.encode()).derive(secret_key.encode())


def seal(secret_key: str, purpose: str, text: str, bound_to: str) -> str:
    """``v1:<base64(nonce + ciphertext + tag)>``; a fresh nonce each time."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(secret_key, purpose)).encrypt(nonce, text.encode(), bound_to.encode())
    return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(secret_key: str, purpose: str, value: str, bound_to: str) -> str:
    version, _sep, payload = value.partition(":")
    if version != _VERSION:
        raise SealError(f"unknown sealed format {version!r}")
    raw = base64.urlsafe_b64decode(payload.encode())
    try:
        text = AESGCM(_key(secret_key, purpose)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                                          bound_to.encode())
    except InvalidTag:
        raise SealError("the sealed value does not open with this installation's secret key") from None
    return text.decode()

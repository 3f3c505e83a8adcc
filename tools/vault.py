"""Secrets at rest: OAuth tokens are sealed with the keys from settings before they reach the
database, and sign-in links carry a state signed with a key derived from them. The keys are
comma separated, newest first: the first seals and signs, any of them opens, so a key is
rotated by putting a new one in front and dropping the old one once nothing uses it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class BadState(Exception):
    """A sign-in callback whose state is forged, expired or malformed."""


@dataclass(frozen=True, slots=True)
class SignInState:
    rep_id: UUID
    nonce: str
    """Once a callback has used it, the state is spent."""


@dataclass(frozen=True)
class Vault:
    key: str

    @property
    def _keys(self) -> list[str]:
        return [k.strip() for k in self.key.split(",") if k.strip()]

    def seal(self, value: dict[str, Any]) -> bytes:
        return self._fernet().encrypt(json.dumps(value).encode())

    def open(self, sealed: bytes) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(self._fernet().decrypt(sealed))
        except InvalidToken:
            raise ValueError("the stored token was sealed with a key no longer set") from None
        return opened

    def _fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(k) for k in self._keys])

    def sign_state(self, rep_id: UUID, expires_at: datetime) -> str:
        claims = {"rep": str(rep_id), "exp": int(expires_at.timestamp()), "n": secrets.token_hex(8)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body, self._keys[0])}"

    def verify_state(self, state: str, now: datetime) -> SignInState:
        """Whom the state was made for; `BadState` if it is not ours or too old."""
        body, _, mac = state.partition(".")
        if not body or not any(hmac.compare_digest(mac, self._mac(body, k)) for k in self._keys):
            raise BadState("the sign-in link was not made by this bot")
        try:
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            rep_id, expires, nonce = UUID(claims["rep"]), int(claims["exp"]), str(claims["n"])
        except (ValueError, KeyError, TypeError):
            raise BadState("the sign-in link is malformed") from None
        if now.timestamp() >= expires:
            raise BadState("the sign-in link has expired")
        return SignInState(rep_id, nonce)

    def code_verifier(self, state: str) -> str:
        """The PKCE secret of a sign-in: derived from its state, so it is kept nowhere."""
        key = hashlib.sha256(b"salesbot-pkce:" + self._keys[0].encode()).digest()
        return _b64(hmac.new(key, state.encode(), hashlib.sha256).digest())

    @staticmethod
    def _mac(body: str, secret: str) -> str:
        key = hashlib.sha256(b"salesbot-oauth-state:" + secret.encode()).digest()
        return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def code_challenge(verifier: str) -> str:
    """PKCE's S256 challenge of a verifier."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")

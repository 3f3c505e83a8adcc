"""The record of every outside call (Google, Zoom, HubSpot; real or sandboxed), keyed by the
step it performs, and the encrypted OAuth tokens that let us act for a rep."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from db.models import IntegrationRecord, StoredToken
from db.queries import Executor, Queries

_q = Queries("integrations")


async def record(
    db: Executor,
    *,
    service: str,
    operation: str,
    sandbox: bool,
    now: datetime,
    rep_id: UUID | None = None,
    prospect_id: str | None = None,
    external_id: str | None = None,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> IntegrationRecord | None:
    """The new record, or None when a live record of the same key already exists."""
    row = await _q.fetchrow(
        db,
        "record",
        service=service,
        operation=operation,
        sandbox=sandbox,
        rep_id=rep_id,
        prospect_id=prospect_id,
        external_id=external_id,
        request=request or {},
        response=response or {},
        idempotency_key=idempotency_key,
        now=now,
    )
    return IntegrationRecord.from_row(row) if row else None


async def recorded(db: Executor, *, idempotency_key: str) -> IntegrationRecord | None:
    row = await _q.fetchrow(db, "by_key", idempotency_key=idempotency_key)
    return IntegrationRecord.from_row(row) if row else None


async def mark_undone(db: Executor, *, idempotency_key: str, now: datetime) -> bool:
    return await _q.fetchrow(db, "undo", idempotency_key=idempotency_key, now=now) is not None


async def list_records(db: Executor, *, service: str | None = None) -> list[IntegrationRecord]:
    return [IntegrationRecord.from_row(r) for r in await _q.fetch(db, "list", service=service)]


async def save_token(
    db: Executor,
    *,
    rep_id: UUID,
    provider: str,
    ciphertext: bytes,
    scopes: list[str],
    expires_at: datetime | None,
    now: datetime,
) -> None:
    await _q.execute(
        db,
        "save_token",
        rep_id=rep_id,
        provider=provider,
        ciphertext=ciphertext,
        scopes=scopes,
        expires_at=expires_at,
        now=now,
    )


async def get_token(db: Executor, *, rep_id: UUID, provider: str) -> StoredToken | None:
    row = await _q.fetchrow(db, "get_token", rep_id=rep_id, provider=provider)
    return StoredToken.from_row(row) if row else None


async def revoke_token(db: Executor, *, rep_id: UUID, provider: str, now: datetime) -> None:
    await _q.execute(db, "revoke_token", rep_id=rep_id, provider=provider, now=now)


async def spend_sign_in_state(db: Executor, *, nonce: str, rep_id: UUID, now: datetime) -> bool:
    """True the first time a sign-in state is used, False ever after."""
    return await _q.fetchval(db, "spend_state", nonce=nonce, rep_id=rep_id, now=now) is not None


async def delete_tokens(db: Executor, *, rep_id: UUID) -> list[StoredToken]:
    """Every token kept for the rep, deleted; returned so the caller can revoke them."""
    return [StoredToken.from_row(r) for r in await _q.fetch(db, "delete_tokens", rep_id=rep_id)]

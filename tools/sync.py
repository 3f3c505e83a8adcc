"""HubSpot synced on an admin's word, answering with what changed, and by the scheduler."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel, Field
from pydantic_ai import FunctionToolset, RunContext

from db.queries import Connection
from tools import crm_sync, texts
from tools.access import NotDone, tool_for
from tools.actor import Role
from tools.clients.errors import IntegrationError
from tools.clients.hubspot_models import CrmSource
from tools.deps import Deps, Rules

sync_tools = FunctionToolset[Deps]()


class OwnerRow(BaseModel):
    name: str
    email: str


class SyncSummary(BaseModel):
    prospects_new: int
    prospects_updated: int
    prospects_unlinked: int = Field(description="their contact was archived or merged away")
    deals_new: int
    deals_updated: int
    deals_closed: int = Field(description="won, lost or archived in HubSpot")
    deals_skipped: int = Field(description="none of their contacts is a prospect here")
    owners_matched: int = Field(description="owners newly matched to reps by email")
    unmatched_owners: list[OwnerRow] = Field(
        description="owners no rep has the email of: list them all; they are not guessed"
    )


@tool_for(sync_tools, Role.ADMIN)
async def sync_crm(ctx: RunContext[Deps]) -> SyncSummary | str:
    """Sync prospects and deals from HubSpot now; answers with what changed."""
    deps, language = ctx.deps, ctx.deps.actor.language
    if deps.services.crm is None:
        return texts.text("crm_sync.sandbox", language)
    try:
        done = await run(deps, deps.services.crm)
    except IntegrationError as e:
        raise NotDone(texts.text("crm_sync.failed", language, reason=e.message)) from None
    return summary(done)


async def run(deps: Deps, crm: CrmSource) -> crm_sync.SyncResult:
    """One sync, on a connection of its own when there is a pool: each page then commits as it
    is read, and a sync cut off resumes from its watermark instead of being rolled back."""
    pool = deps.services.journal
    if not isinstance(pool, asyncpg.Pool):
        return await _sync(deps.db, crm, deps.now(), deps.rules)
    async with pool.acquire() as conn:
        return await _sync(conn, crm, deps.now(), deps.rules)


async def _sync(db: Connection, crm: CrmSource, now: datetime, rules: Rules) -> crm_sync.SyncResult:
    sync = rules.crm_sync
    return await crm_sync.sync_crm(
        db, crm, now=now, stages=sync.stages, telegram_property=sync.telegram_property, alerts=rules
    )


def summary(done: crm_sync.SyncResult) -> SyncSummary:
    return SyncSummary(
        prospects_new=done.created,
        prospects_updated=done.updated,
        prospects_unlinked=done.archived,
        deals_new=done.deals_created,
        deals_updated=done.deals_updated,
        deals_closed=done.deals_closed + done.deals_archived,
        deals_skipped=done.deals_without_prospect,
        owners_matched=done.owners_matched,
        unmatched_owners=[OwnerRow(name=o.name, email=o.email) for o in done.unmatched_owners],
    )

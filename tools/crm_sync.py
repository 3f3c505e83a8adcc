"""The team's CRM as the source of prospects and deals: owners matched to reps by email, the
contacts in the chosen lifecycle stages written into prospects and their deals into deals, a
page at a time, each page in one transaction with the watermark, so that a sync cut off half
way resumes where it stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from db import crm_sync
from db.queries import Connection
from tools import hot_leads
from tools.clients.hubspot_models import CrmContact, CrmDeal, CrmSource, Owner
from tools.deps import DEFAULT_STAGES, Rules

_Page = TypeVar("_Page")


@dataclass(slots=True)
class SyncResult:
    """What a sync changed: prospects new, updated and unlinked from contacts archived or
    merged away; deals new, updated, closed in HubSpot, closed because archived there, and
    those none of whose contacts is a prospect of ours (skipped); owners newly matched to reps,
    and the owners no rep has the email of (listed, never guessed)."""

    created: int = 0
    updated: int = 0
    archived: int = 0
    owners_matched: int = 0
    deals_created: int = 0
    deals_updated: int = 0
    deals_closed: int = 0
    deals_archived: int = 0
    deals_without_prospect: int = 0
    moved: list[tuple[UUID, str]] = field(default_factory=list)
    """Deals that came to a new stage in this sync, with the stage."""
    unmatched_owners: list[Owner] = field(default_factory=list)


async def sync_owners(db: Connection, crm: CrmSource, *, now: datetime, into: SyncResult) -> None:
    for owner in await crm.owners():
        match = await crm_sync.match_owner(db, owner_id=owner.id, email=owner.email, now=now)
        if match is None:
            into.unmatched_owners.append(owner)
        elif match[1]:
            into.owners_matched += 1


async def sync_contacts(
    db: Connection,
    crm: CrmSource,
    *,
    stages: Sequence[str],
    telegram_property: str | None,
    now: datetime,
    into: SyncResult,
) -> None:
    since = await crm_sync.mark(db, object_type="contacts")
    pages = crm.changed_contacts(
        since=since, until=now, stages=stages, telegram_property=telegram_property
    )
    async with contextlib.aclosing(ahead(pages)) as paged:
        async for page in paged:
            async with db.transaction():
                await crm_sync.hold(db)
                for contact in page:
                    await _write(db, contact, now, into)
                through = max(c.updated_at for c in page)
                await crm_sync.advance_mark(db, object_type="contacts", through=through, now=now)


async def sync_deals(
    db: Connection, crm: CrmSource, *, now: datetime, into: SyncResult, alerts: Rules | None = None
) -> None:
    """With `alerts`, a deal moving into a hot stage tells the admins, in the page's
    transaction; a deal new since the last sync counts as a move, one on the first sync not."""
    since = await crm_sync.mark(db, object_type="deals")
    async with contextlib.aclosing(ahead(crm.changed_deals(since=since, until=now))) as paged:
        async for page in paged:
            async with db.transaction():
                await crm_sync.hold(db)
                for deal in page:
                    await _sync_deal(db, deal, now, into, alerts=alerts, first=since is None)
                through = max(d.updated_at for d in page)
                await crm_sync.advance_mark(db, object_type="deals", through=through, now=now)


async def _sync_deal(
    db: Connection,
    deal: CrmDeal,
    now: datetime,
    into: SyncResult,
    *,
    alerts: Rules | None,
    first: bool,
) -> None:
    done = await _write_deal(db, deal, now)
    _count(done, deal.stage, into)
    if deal.merged_ids:
        # Another deal of ours of one merged into this one would be a duplicate.
        into.deals_archived += await crm_sync.close_archived_deals(
            db, deal_ids=deal.merged_ids, now=now
        )
    if alerts is not None and done.id is not None and done.moved:
        previous = "" if done.created and not first else done.previous
        await hot_leads.deal_stage_changed(
            db, alerts, deal_id=deal.id, stage=deal.stage, previous=previous, now=now
        )


async def ahead(pages: AsyncIterator[_Page]) -> AsyncGenerator[_Page]:
    """Each page, the next one already on its way while this one is written: the sync waits on
    HubSpot's limits and on the database at once, not one after the other. A page not written
    yet is not in the watermark, so a sync cut off still resumes from the last one written."""
    coming: asyncio.Future[_Page | None] = asyncio.ensure_future(anext(pages, None))
    try:
        while (page := await coming) is not None:
            coming = asyncio.ensure_future(anext(pages, None))
            yield page
    finally:
        coming.cancel()
        await asyncio.wait([coming])
        if not coming.cancelled():
            coming.exception()  # a page fetched in vain: its error is the consumer's no more


def _count(done: crm_sync.DealWrite, stage: str, into: SyncResult) -> None:
    into.deals_without_prospect += not done.known
    if done.id is None:
        return
    into.deals_created += done.created
    into.deals_updated += not done.created
    into.deals_closed += done.closed
    if done.moved:
        into.moved.append((done.id, stage))


async def _write_deal(db: Connection, deal: CrmDeal, now: datetime) -> crm_sync.DealWrite:
    """A deal others were merged into takes over our deal of one of them, as a contact does."""
    if deal.merged_ids:
        await crm_sync.relink_merged_deal(db, deal_id=deal.id, merged_ids=deal.merged_ids, now=now)
    return await crm_sync.upsert_deal(
        db,
        deal_id=deal.id,
        name=deal.name,
        pipeline=deal.pipeline,
        stage=deal.stage,
        amount=deal.amount,
        close_date=deal.close_date,
        owner_id=deal.owner_id,
        won=deal.won,
        entered_stage=deal.entered_stage_at,
        modified=deal.updated_at,
        contact_ids=deal.contact_ids,
        now=now,
    )


async def sync_crm(
    db: Connection,
    crm: CrmSource,
    *,
    now: datetime,
    stages: Sequence[str] = DEFAULT_STAGES,
    telegram_property: str | None = None,
    alerts: Rules | None = None,
) -> SyncResult:
    """Owners first, so that contacts changed since the last sync land with their reps, and
    contacts before deals, so that deals find their prospects."""
    result = SyncResult()
    await sync_owners(db, crm, now=now, into=result)
    await sync_contacts(
        db, crm, stages=stages, telegram_property=telegram_property, now=now, into=result
    )
    if gone := await crm.archived_contacts():
        result.archived += await crm_sync.unlink_archived(db, contact_ids=gone, now=now)
    await sync_deals(db, crm, now=now, into=result, alerts=alerts)
    if gone := await crm.archived_deals():
        result.deals_archived += await crm_sync.close_archived_deals(db, deal_ids=gone, now=now)
    return result


async def _write(db: Connection, contact: CrmContact, now: datetime, into: SyncResult) -> None:
    outcome = await crm_sync.upsert_contact(
        db,
        contact_id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        telegram=contact.telegram,
        owner_id=contact.owner_id,
        merged_ids=contact.merged_ids,
        now=now,
    )
    into.created += outcome == "created"
    into.updated += outcome == "updated"
    if contact.merged_ids:
        # Another prospect of a contact merged into this one would be a duplicate.
        into.archived += await crm_sync.unlink_archived(db, contact_ids=contact.merged_ids, now=now)

"""A case's HubSpot world: the owners, contacts and deals the account holds, and the changes
made in it before given turns. The case then runs against a local fake HubSpot over HTTP, read
and written by the real client, which is the case's CRM source; without a world, the sandbox."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tests.fakes import hubspot_shapes as shapes
from tests.fakes.hubspot import FakeHubSpot
from tools.clients.hubspot import HubSpotClient

TOKEN = "pat-eval-token"
BEFORE = timedelta(days=1)
"""When a record without `updated` was last changed in HubSpot: a day before the case's clock."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Strict):
    email: str
    first: str = ""
    last: str = ""


class Contact(_Strict):
    email: str
    first: str = ""
    last: str = ""
    stage: str = "lead"
    """Its lifecycle stage."""
    owner: str | None = None
    """The email of its owner."""
    updated: datetime | None = None


class Deal(_Strict):
    name: str
    contact: str
    """The email of its contact."""
    stage: str = "appointmentscheduled"
    amount: Decimal | None = None
    owner: str | None = None
    updated: datetime | None = None
    entered_stage: datetime | None = None
    """When it came to its stage (HubSpot's `hs_v2_date_entered_current_stage`)."""


class Change(_Strict):
    """Someone edits a deal in HubSpot just before turn `before_turn` (counted from 1)."""

    before_turn: int = Field(ge=1)
    deal: str
    stage: str | None = None
    amount: Decimal | None = None


class World(_Strict):
    owners: list[Owner] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    deals: list[Deal] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> World:
        owners = {o.email for o in self.owners}
        contacts = {c.email for c in self.contacts}
        deals = {d.name for d in self.deals}
        for owner in [c.owner for c in self.contacts] + [d.owner for d in self.deals]:
            if owner is not None and owner not in owners:
                raise ValueError(f"no owner {owner!r} in hubspot.owners")
        for deal in self.deals:
            if deal.contact not in contacts:
                raise ValueError(f"deal {deal.name!r}: no contact {deal.contact!r}")
        for change in self.changes:
            if change.deal not in deals:
                raise ValueError(f"change: no deal {change.deal!r}")
        return self


@dataclass
class HubSpot:
    """The world being served, and the real client that reads it."""

    fake: FakeHubSpot
    client: HubSpotClient
    world: World
    deals: dict[str, str]
    clock: Callable[[], datetime]

    def before(self, turn: int) -> None:
        """Makes the changes due before turn `turn`, a minute before the clock says."""
        at = self.clock() - timedelta(minutes=1)
        for change in (c for c in self.world.changes if c.before_turn == turn):
            props = {"dealstage": change.stage, "amount": change.amount}
            shown = {k: str(v) for k, v in props.items() if v is not None}
            self.fake.change("deals", self.deals[change.deal], at, **shown)


@contextlib.asynccontextmanager
async def hubspot(
    world: World | None, clock: Callable[[], datetime]
) -> AsyncIterator[HubSpot | None]:
    if world is None:
        yield None
        return
    async with FakeHubSpot(token=TOKEN) as fake, httpx.AsyncClient(timeout=30.0) as http:
        deals = _seed(fake, world, clock() - BEFORE)
        client = HubSpotClient(token=TOKEN, api_url=fake.url, http=http, clock=clock)
        yield HubSpot(fake, client, world, deals, clock)


def _seed(fake: FakeHubSpot, world: World, before: datetime) -> dict[str, str]:
    """The deals' HubSpot ids by name."""
    owners = {o.email: fake.add_owner(o.email, o.first, o.last) for o in world.owners}
    contacts: dict[str, str] = {}
    for c in world.contacts:
        updated = c.updated or before
        found = fake.add_contact(c.email, c.first, c.last, updated=updated, lifecyclestage=c.stage)
        if c.owner:
            fake.change("contacts", found, updated, hubspot_owner_id=owners[c.owner])
        contacts[c.email] = found
    deals: dict[str, str] = {}
    for d in world.deals:
        updated = d.updated or before
        deal_id = fake.add_deal(contacts[d.contact], d.name, d.stage, d.amount, updated=updated)
        props = {"hubspot_owner_id": owners[d.owner]} if d.owner else {}
        if d.entered_stage is not None:
            props["hs_v2_date_entered_current_stage"] = shapes.stamp(d.entered_stage)
        if props:
            fake.change("deals", deal_id, updated, **props)
        deals[d.name] = deal_id
    return deals

"""A prospect's rep written back to HubSpot as its contact's owner (when an admin turned it
on): a keyed outside step, so that a retried task finds it done; a failure is tried again by
the scheduler's next task."""

from __future__ import annotations

from db import contact_owners
from tools.access import NotDone
from tools.clients.errors import IntegrationError
from tools.deps import Deps
from tools.services import Step, perform


async def write(deps: Deps, prospect_id: str) -> None:
    crm = deps.services.crm
    owed = await contact_owners.owed(deps.db, prospect_id=prospect_id)
    if crm is None or owed is None:
        return
    at = owed.assigned_at.timestamp() if owed.assigned_at else 0
    request = {"contact_id": owed.contact_id, "hubspot_owner_id": owed.owner_id}
    key = f"hubspot_owner:{prospect_id}:{owed.owner_id}:{at:.0f}"
    step = Step("hubspot", "contacts.update_owner", False, request, key, owed.rep_id, prospect_id)
    try:
        await perform(
            deps.journal,
            step,
            lambda: crm.set_contact_owner(owed.contact_id, owed.owner_id),
            type(None),
            deps.now(),
        )
    except IntegrationError as e:
        raise NotDone(f"the contact's owner in HubSpot ({e.message}); tried again later") from None
    await contact_owners.written(
        deps.db,
        prospect_id=prospect_id,
        contact_id=owed.contact_id,
        owner_id=owed.owner_id,
        now=deps.now(),
    )

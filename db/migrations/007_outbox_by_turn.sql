-- A turn reads back the messages it queued: without this, each read scanned the whole outbox.
CREATE INDEX outbox_turn ON outbox (turn_id) WHERE turn_id IS NOT NULL;

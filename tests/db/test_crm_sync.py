"""The sync's page transaction: held against a second sync, and planned by index."""

from db import crm_sync
from db.pool import connect


async def test_a_held_page_looks_rows_up_by_index_until_its_transaction_ends(db_dsn):
    conn = await connect(db_dsn)
    try:
        async with conn.transaction():
            await crm_sync.hold(conn)
            inside = await conn.fetchval("SHOW enable_seqscan")
        after = await conn.fetchval("SHOW enable_seqscan")
    finally:
        await conn.close()
    assert (inside, after) == ("off", "on")

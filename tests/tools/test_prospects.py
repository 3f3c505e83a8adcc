from inline_snapshot import snapshot

from db.prospects import assign_prospect_to_rep, create_prospect, get_prospect
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN, sent
from tests.conftest import NOW

IVAN, OLGA = 501, 502


async def team(talk):
    async with talk.runtime.pool.acquire() as conn:
        ivan = await create_rep(
            conn,
            telegram_id=IVAN,
            name="Иван Иванов",
            email="ivan@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
        olga = await create_rep(
            conn,
            telegram_id=OLGA,
            name="Olga Smirnova",
            email="olga@truerealestate.bali",
            language="en",
            now=NOW,
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=ivan.id, now=NOW)
        await approve_rep(conn, rep_id=olga.id, now=NOW.replace(minute=5))
    return ivan, olga


async def test_an_admin_adds_a_prospect_and_it_goes_to_the_least_loaded_rep(talk):
    await team(talk)
    talk.script.call("assign_prospect", prospect="Алексей Петров", rep="Иван")
    talk.script.call(
        "add_prospect",
        name="Anna Berg",
        telegram="anna_b",
        email="Anna@Example.com",
        context="Villa in Canggu, $400k",
    )
    talk.script.call("assign_prospect", prospect="Anna Berg").say("Done.")
    result = await talk.say(
        ADMIN,
        "give Alexey to Ivan; add Anna Berg @anna_b anna@example.com, villa in Canggu $400k, and assign her",
    )

    added = talk.script.returned(1)
    assert (added["telegram"], added["email"], added["status"]) == (
        "@anna_b",
        "anna@example.com",
        "unreached",
    )
    assert sent(result, ANNA=added["id"]) == snapshot(
        [
            (
                501,
                """\
Вам назначен новый клиент: Алексей Петров.
Интересуется виллой в Чангу, бюджет $300-500k\
""",
                None,
            ),
            (
                502,
                """\
A new prospect is assigned to you: Anna Berg.
Villa in Canggu, $400k\
""",
                None,
            ),
            (1000, "Done.", None),
        ]
    )
    async with talk.runtime.pool.acquire() as conn:
        anna = await get_prospect(conn, prospect_id=added["id"])
        about = await conn.fetch("SELECT chat_id, about FROM outbox ORDER BY id")
    assert anna is not None and anna.assigned_rep_id is not None
    assert [tuple(r) for r in about] == [  # a reply to a notice is about its prospect
        (501, {"prospect_id": "test_prospect_001"}),
        (502, {"prospect_id": added["id"]}),
        (1000, None),
    ]


async def test_a_rep_sees_and_updates_only_their_own_prospects(talk):
    ivan, olga = await team(talk)
    talk.script.call("assign_prospect", prospect="test_prospect_001", rep=str(ivan.id))
    talk.script.call("assign_prospect", prospect="test_prospect_002", rep=str(olga.id)).say("ok")
    await talk.say(ADMIN, "assign")

    talk.script.call("list_my_prospects").say("У вас один клиент: Алексей Петров.")
    await talk.say(IVAN, "мои клиенты?")
    assert [p["name"] for p in talk.script.last_return()["prospects"]] == ["Алексей Петров"]

    talk.script.call(
        "update_prospect_status", prospect="Алексей", status="contacted", note="написал в Telegram"
    )
    talk.script.call("update_prospect_status", prospect="Мария Козлова", status="contacted").say(
        "Записал."
    )
    await talk.say(IVAN, "написал Алексею и Марии")
    mine, theirs = talk.script.returned(-2), talk.script.returned(-1)
    assert mine["status"] == "contacted"
    assert "No prospect matches 'Мария Козлова' among this rep's prospects" in theirs
    async with talk.runtime.pool.acquire() as conn:
        alexey = await get_prospect(conn, prospect_id="test_prospect_001")
        maria = await get_prospect(conn, prospect_id="test_prospect_002")
        note = await conn.fetchval("SELECT body FROM activities WHERE kind = 'contact'")
    assert alexey is not None and alexey.status == "contacted" and alexey.last_contact_at == NOW
    assert maria is not None and maria.status == "unreached"
    assert note == "написал в Telegram"


async def test_an_impossible_status_change_is_reported_not_done(talk):
    ivan, _ = await team(talk)
    talk.script.call("assign_prospect", prospect="test_prospect_001", rep=str(ivan.id))
    talk.script.call("update_prospect_status", prospect="test_prospect_001", status="converted")
    talk.script.call(
        "update_prospect_status", prospect="test_prospect_001", status="unreached"
    ).say("ok")
    await talk.say(ADMIN, "Alexey bought, then mark him unreached")
    assert (
        talk.script.last_return()
        == "Not done: Алексей Петров is converted and cannot become unreached"
    )


async def test_an_assignment_without_a_rep_leaves_a_prospect_that_has_one_where_it_is(talk):
    """A model that repeats "assign to the least loaded" must not move the prospect on."""
    ivan, olga = await team(talk)
    talk.script.call("assign_prospect", prospect="test_prospect_001")
    talk.script.call("assign_prospect", prospect="test_prospect_001").say("ok")
    await talk.say(ADMIN, "assign Alexey to someone")
    assert talk.script.last_return() == snapshot(
        "Not done: Алексей Петров already has a rep; name the rep to give them to instead"
    )
    async with talk.runtime.pool.acquire() as conn:
        alexey = await get_prospect(conn, prospect_id="test_prospect_001")
    assert alexey is not None and alexey.assigned_rep_id == ivan.id

    talk.script.call("assign_prospect", prospect="test_prospect_001", rep="Olga")
    await talk.say(ADMIN, "give Alexey to Olga")
    talk.script.say("ok")
    await talk.press(ADMIN, "confirm")
    async with talk.runtime.pool.acquire() as conn:
        alexey = await get_prospect(conn, prospect_id="test_prospect_001")
    assert alexey is not None and alexey.assigned_rep_id == olga.id


async def test_a_prospect_added_twice_is_added_once(talk):
    """A model that repeats the call (or sends it twice at once) must not make a twin."""
    card = {"name": "Anna Berg", "telegram": "anna_b", "email": "anna@example.com"}
    talk.script.call("add_prospect", **card)
    talk.script.steps.append([("add_prospect", card), ("add_prospect", card | {"telegram": None})])
    talk.script.say("Added.")
    await talk.say(ADMIN, "add Anna Berg @anna_b anna@example.com")
    told = f"Not done: Anna Berg is already a prospect (id {talk.script.returned(0)['id']}); "
    assert talk.script.returned(1) == talk.script.returned(2) == told + "nothing was added"
    async with talk.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM prospects WHERE name = 'Anna Berg'") == 1


async def test_a_rep_with_many_prospects_sees_them_a_page_at_a_time(talk):
    ivan, _ = await team(talk)
    async with talk.runtime.pool.acquire() as conn:
        for n in range(20):
            made = await create_prospect(conn, name=f"Client {n:02}", now=NOW)
            await assign_prospect_to_rep(conn, prospect_id=made.id, rep_id=ivan.id, now=NOW)
    talk.script.call("list_my_prospects", status="unreached").say("15 of 20.")
    await talk.say(IVAN, "мои клиенты?")
    first = talk.script.last_return()
    talk.script.call("list_my_prospects", status="unreached", page=2).say("The other 5.")
    await talk.say(IVAN, "ещё")
    second = talk.script.last_return()
    assert (len(first["prospects"]), first["total"], first["more"]) == (15, 20, 5)
    assert (len(second["prospects"]), second["total"], second["more"]) == (5, 20, 0)
    names = {p["name"] for p in first["prospects"] + second["prospects"]}
    assert names == {f"Client {n:02}" for n in range(20)}


async def test_a_rep_converting_a_client_alerts_the_admin_once(talk):
    ivan, _ = await team(talk)
    async with talk.runtime.pool.acquire() as conn:
        await assign_prospect_to_rep(conn, prospect_id="test_prospect_001", rep_id=ivan.id, now=NOW)
    talk.script.call("update_prospect_status", prospect="Алексей", status="converted")
    talk.script.say("Поздравляю!")
    done = await talk.say(IVAN, "Алексей купил виллу!")
    assert sent(done) == snapshot(
        [
            (
                1000,
                """\
🔥 Горячий клиент: Алексей Петров (@test_buyer_alex) — сделка, отметил(а) Иван Иванов.
Ищет: Интересуется виллой в Чангу, бюджет $300-500k\
""",
                None,
            ),
            (501, "Поздравляю!", None),
        ]
    )
    talk.script.call("update_prospect_status", prospect="Алексей", status="converted").say("…")
    again = await talk.say(IVAN, "Алексей точно купил")
    assert [chat for chat, _, _ in sent(again)] == [IVAN]

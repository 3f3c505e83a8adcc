"""A rep's own settings: checked in code (an IANA zone, quiet hours, a catalogue language, a
digest hour outside the quiet hours), shown in `my_status`, and followed by the times shown and
by the scheduler."""

from datetime import UTC, datetime, timedelta

from inline_snapshot import snapshot

from agent.runtime import plan_from
from agent.scheduler import tick
from agent.settings import default_settings
from db.prospects import record_contact
from db.reps import approve_rep, create_rep
from tests.conftest import NOW

IVAN = 501


async def ivan(talk):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=IVAN,
            name="Иван Иванов",
            email="ivan@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
        return await approve_rep(conn, rep_id=rep.id, now=NOW)


async def test_a_rep_sets_zone_quiet_hours_and_digest_and_sees_them(talk):
    await ivan(talk)
    talk.script.call(
        "update_my_settings", timezone="Europe/Moscow", quiet_hours="20:00-09:00"
    ).call("snooze_reminders", until="2026-11-21T10:00:00").say("Готово.")
    await talk.say(IVAN, "я в Москве, не беспокой после 20:00")
    assert talk.script.returned(0) == snapshot(
        {
            "timezone": "Europe/Moscow",
            "zone_shown_as": "московское время",
            "quiet_hours": "20:00-09:00",
            "language": "ru",
            "digest_time": "09:30",
        }
    )
    assert talk.script.returned(1) == {
        "reminders_held_until": "Saturday 2026-11-21 10:00 (Europe/Moscow)"
    }

    talk.script.call("update_my_settings", digest_time="11:00", language="en")
    talk.script.call("my_status").say("Done.")
    await talk.say(IVAN, "digest at 11, in English please")
    assert talk.script.last_return()["settings"] == snapshot(
        {
            "timezone": "Europe/Moscow",
            "zone_shown_as": "Moscow time",
            "quiet_hours": "20:00-09:00",
            "language": "en",
            "digest_time": "11:00",
        }
    )


async def test_a_city_a_bad_range_an_unknown_language_and_a_quiet_digest_are_questioned(talk):
    await ivan(talk)
    for first, second in (
        ({"timezone": "Moscow"}, {"quiet_hours": "after eight"}),
        ({"language": "de"}, {"digest_time": "22:00"}),
    ):
        talk.script.call("update_my_settings", **first).call("update_my_settings", **second)
        talk.script.say("Уточните, пожалуйста.")
        await talk.say(IVAN, "настройки")
    assert [str(r.content) for r in talk.script.returns] == snapshot(
        [
            "'Moscow' is not an IANA time zone; give one like Europe/Moscow or Asia/Makassar (for a city, its zone), or ask the user which city they are in",
            "quiet_hours 'after eight': write it as start-end, e.g. 20:00-09:00",
            "language 'de': one of ru, en",
            "the digest at 22:00 would fall in the quiet hours 21:00-09:00; ask the user for a digest time outside them",
        ]
    )
    async with talk.runtime.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT timezone, language, quiet_hours_start FROM reps")
    assert tuple(row) == ("Asia/Makassar", "ru", None)


async def test_the_daily_digest_comes_at_the_reps_own_hour(talk):
    rep = await ivan(talk)
    plan = plan_from(default_settings(admin_telegram_ids=(1000,)))
    morning = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Bali
    await tick(talk.runtime.pool, plan, morning - timedelta(days=10))  # assigns the seeded three
    async with talk.runtime.pool.acquire() as conn:
        await record_contact(
            conn, prospect_id="test_prospect_001", rep_id=rep.id, now=morning - timedelta(days=9)
        )
    talk.script.call("update_my_settings", digest_time="14:00").say("Ок.")
    await talk.say(IVAN, "дайджест в 14:00")
    seen = []
    for hours in (0, 3, 4):
        await tick(talk.runtime.pool, plan, morning + timedelta(hours=hours))
        seen.append(
            await talk.runtime.pool.fetchval(
                "SELECT count(*) FROM inbox WHERE payload->>'event' = 'stale_digest'"
            )
        )
    assert seen == [0, 0, 1]

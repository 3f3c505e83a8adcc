"""The team report's chart: its data from the report's rows (in the admin's language, only
where there are reps to compare), a real PNG, and the photo queued in the admin's turn before
the text, with its caption."""

from datetime import timedelta
from typing import Any

from inline_snapshot import snapshot

from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN, sent
from tests.conftest import NOW
from tests.tools.test_overview import team
from tools import charts

PNG = b"\x89PNG\r\n\x1a\n"


def row(name: str, **numbers: int) -> dict[str, Any]:
    counts: dict[str, Any] = dict.fromkeys(charts.SERIES, 0) | numbers
    return {"name": name, "last_activity": None, **counts}


def test_two_reps_make_a_chart_of_every_number_in_the_admins_language():
    rows = [row("Анна", open=2, stale=1, contacts=1), row("Boris", open=1, unreached=1)]
    chart = charts.team_chart(rows, "week", "ru")
    assert chart == snapshot(
        charts.Chart(
            caption="Команда за последние 7 дней: по менеджерам",
            reps=["Анна", "Boris"],
            series=[
                ("открытые", [2, 1]),
                ("застряли", [1, 0]),
                ("без контакта", [0, 1]),
                ("контакты", [1, 0]),
                ("встреч назначено", [0, 0]),
                ("встреч проведено", [0, 0]),
                ("сделки", [0, 0]),
            ],
        )
    )
    assert charts.team_chart(rows, "day", "en").caption == "The team, last 24 hours: by rep"


def test_one_rep_or_nothing_to_show_is_left_to_the_text():
    assert charts.team_chart([row("Анна", open=3)], "week", "ru") is None
    assert charts.team_chart([row("Анна"), row("Boris")], "week", "ru") is None


def test_a_large_team_is_drawn_in_part_and_the_caption_says_so():
    rows = [row(f"Rep {i:02}", open=i) for i in range(25)]
    chart = charts.team_chart(rows, "month", "en")
    assert chart is not None
    assert (len(chart.reps), chart.caption) == snapshot(
        (20, "The team, last 30 days: by rep (the chart shows the first 20 of 25)")
    )


def test_the_chart_is_a_png():
    chart = charts.team_chart([row("Анна Смирнова", open=2), row("Борис Ли", open=1)], "week", "ru")
    assert chart is not None
    picture = charts.png(chart)
    assert picture.startswith(PNG)
    assert len(picture) > 5_000


async def test_the_admin_gets_the_chart_then_the_text(talk):
    await team(talk)
    talk.script.call("team_report").say("Отчёт выше.")
    result = await talk.say(ADMIN, "отчёт по команде")
    photo, reply = result.messages
    assert (photo.chat_id, photo.text, reply.text) == snapshot(
        (ADMIN, "Команда за последние 7 дней: по менеджерам", "Отчёт выше.")
    )
    assert photo.photo is not None and photo.photo.startswith(PNG)
    assert reply.photo is None
    assert talk.script.last_return().startswith("Команда, за последние 7 дней:")


async def test_a_team_of_one_gets_the_text_only(talk):
    async with talk.runtime.pool.acquire() as conn:
        rep = await create_rep(
            conn,
            telegram_id=501,
            name="Анна",
            email="anna@truerealestate.bali",
            now=NOW - timedelta(days=2),
            timezone="Asia/Makassar",
        )
        await approve_rep(conn, rep_id=rep.id, now=NOW - timedelta(days=2))
    talk.script.call("team_report").say("…")
    result = await talk.say(ADMIN, "отчёт по команде")
    assert sent(result) == [(ADMIN, "…", None)]

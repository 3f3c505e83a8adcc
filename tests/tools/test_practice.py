"""Practice calls over a real database: the persona comes from the rep's own prospect (its
context, the deal's signals, the likely objections) or is a typical client; finishing is offered
only while a practice is open, its scores are checked and recorded; a pending rep or a stranger
is refused, audited."""

from datetime import timedelta

from inline_snapshot import snapshot

from db.prospects import assign_prospect_to_rep
from db.reps import approve_rep, create_rep
from tests.agent.scripted import ADMIN
from tests.conftest import NOW

IVAN, OLGA, STRANGER = 501, 502, 777
ALEX, DMITRY = "test_prospect_001", "test_prospect_003"
SCORES = {"opening": 4, "discovery": 3, "objections": 2, "next_step": 4}


async def reps(talk):
    """Ivan (active) has Alex; Olga applied and waits; Dmitry is nobody's."""
    async with talk.runtime.pool.acquire() as conn:
        ivan = await create_rep(
            conn,
            telegram_id=IVAN,
            name="Иван Иванов",
            email="ivan@truerealestate.bali",
            now=NOW - timedelta(days=5),
            timezone="Asia/Makassar",
        )
        ivan = await approve_rep(conn, rep_id=ivan.id, now=NOW - timedelta(days=5))
        await assign_prospect_to_rep(
            conn, prospect_id=ALEX, rep_id=ivan.id, now=NOW - timedelta(days=4)
        )
        await create_rep(
            conn,
            telegram_id=OLGA,
            name="Ольга Соколова",
            email="olga@truerealestate.bali",
            now=NOW,
            timezone="Asia/Makassar",
        )
    return ivan


async def practices(talk):
    async with talk.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT prospect_id, focus, status, finished_at - started_at AS took, score_opening,"
            " score_discovery, score_objections, score_next_step, feedback"
            " FROM practices ORDER BY id"
        )
    return [tuple(r) for r in rows]


async def test_a_rep_practises_with_their_prospect_and_gets_scored_feedback(talk):
    await reps(talk)
    talk.script.call("start_practice", prospect="Алексей", focus="возражения").say("Алло?")
    await talk.say(IVAN, "давай потренируемся перед звонком с Алексеем, на возражениях")
    assert "start_practice" in talk.script.offered[0]
    assert "finish_practice" not in talk.script.offered[0]
    started = talk.script.last_return()
    assert started == snapshot(
        {
            "practice": 1,
            "you_play": {
                "name": "Алексей Петров",
                "language": "ru",
                "situation": "Интересуется виллой в Чангу, бюджет $300-500k",
                "notes": "Видел рекламу в Instagram",
                "deal": {
                    "stage": "unreached",
                    "days_in_pipeline": 0,
                    "days_since_last_activity": None,
                    "touches": 0,
                    "meetings_held": 0,
                    "meetings_upcoming": 0,
                    "next_step": None,
                    "next_step_overdue": False,
                },
            },
            "likely_objections": [
                "Who are you, and where did you get my contact?",
                "It is more than I wanted to spend.",
                "Foreigners cannot own land in Indonesia: is a leasehold safe?",
            ],
            "focus": "возражения",
            "rules": "Play this client in the user's language: in character, realistic, a little sceptical, short replies. Raise the likely objections one at a time, more on the focus if any. Do not coach or step out of the role until the user says stop; then call finish_practice with honest 1-5 scores and your feedback.",
        }
    )

    talk.clock.advance(minutes=12)
    talk.script.call("finish_practice", **SCORES, feedback="Хорошее начало…").say("Итог: 13/20")
    await talk.say(IVAN, "стоп, как я?")
    assert "finish_practice" in talk.script.offered[-2]
    assert "start_practice" not in talk.script.offered[-2]
    assert talk.script.last_return() == snapshot(
        {
            "recorded": True,
            "minutes": 12,
            "scores": {
                "opening": 4,
                "discovery": 3,
                "objections": 2,
                "next_step": 4,
                "total": "13/20",
            },
            "earlier_average": None,
            "practices_done": 1,
            "say": "Send the user the scores and your feedback; compare with earlier if given.",
        }
    )
    assert "finish_practice" not in talk.script.offered[-1]
    assert await practices(talk) == [
        (ALEX, "возражения", "finished", timedelta(minutes=12), 4, 3, 2, 4, "Хорошее начало…")
    ]


async def test_without_a_prospect_a_typical_client_and_the_next_practice_compares(talk):
    await reps(talk)
    for objections in (2, 4):
        talk.script.call("start_practice", focus="objections").say("Hello?")
        await talk.say(IVAN, "let's practice objections")
        talk.clock.advance(minutes=5)
        talk.script.call("finish_practice", **SCORES | {"objections": objections}, feedback="ok")
        talk.script.say("Scores…")
        await talk.say(IVAN, "stop")
    first_start, first_end, _, second_end = (talk.script.returned(i) for i in range(4))
    assert first_start["you_play"] == snapshot(
        {
            "name": "Mark",
            "language": "en",
            "situation": "A typical client, made up: an investor from abroad who saw an ad, never been to Bali, looking at a villa for rental income, budget about $300k, comparing agencies.",
        }
    )
    assert first_start["likely_objections"] == snapshot(
        [
            "It is more than I wanted to spend.",
            "Foreigners cannot own land in Indonesia: is a leasehold safe?",
            "I cannot fly over to see it; why should I trust photos?",
        ]
    )
    assert first_end["earlier_average"] is None
    assert second_end["earlier_average"] == {
        "opening": 4.0,
        "discovery": 3.0,
        "objections": 2.0,
        "next_step": 4.0,
    }
    assert second_end["practices_done"] == 2


async def test_scores_out_of_range_or_empty_feedback_are_sent_back_and_nothing_is_recorded(talk):
    await reps(talk)
    talk.script.call("start_practice").say("…")
    await talk.say(IVAN, "давай отрепетируем звонок")
    talk.script.call("finish_practice", **SCORES | {"opening": 6}, feedback="ok")
    talk.script.call("finish_practice", **SCORES, feedback="   ")
    talk.script.say("Попробую ещё раз.")
    await talk.say(IVAN, "стоп")
    assert (await practices(talk))[0][2] == "open"
    async with talk.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT tool, outcome FROM audit_log WHERE tool = 'finish_practice' ORDER BY id"
        )
    assert sorted(tuple(r) for r in rows) == [
        ("finish_practice", "invalid"),
        ("finish_practice", "retry"),
    ]


async def test_another_reps_prospect_is_not_found_and_an_old_practice_is_over(talk):
    await reps(talk)
    talk.script.call("start_practice", prospect="Дмитрий").say("Не нашёл.")
    await talk.say(IVAN, "потренируемся с Дмитрием")
    assert await practices(talk) == []
    talk.script.call("start_practice").say("…")
    await talk.say(IVAN, "давай потренируемся")
    talk.clock.advance(hours=4)
    talk.script.call("start_practice").say("…")
    await talk.say(IVAN, "давай ещё раз")
    assert "finish_practice" not in talk.script.offered[-2]
    assert "start_practice" in talk.script.offered[-2]
    assert [(p[2], p[3]) for p in await practices(talk)] == [
        ("abandoned", timedelta(hours=4)),
        ("open", None),
    ]


async def test_a_pending_rep_and_a_stranger_are_refused_and_audited(talk):
    await reps(talk)
    for who in (OLGA, STRANGER):
        talk.script.call("start_practice").say("Пока нельзя.")
        await talk.say(who, "давай потренируемся")
        assert not talk.script.offered[-2] & {"start_practice", "finish_practice"}
    async with talk.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT tool, actor_role, allowed FROM audit_log WHERE tool = 'start_practice'"
            " ORDER BY id"
        )
    assert [tuple(r) for r in rows] == [
        ("start_practice", "pending", False),
        ("start_practice", "unknown", False),
    ]
    assert await practices(talk) == []


async def test_practices_count_in_my_status_the_reps_report_and_the_team_report(talk):
    await reps(talk)
    talk.script.call("start_practice").say("…")
    await talk.say(IVAN, "давай потренируемся")
    talk.script.call("finish_practice", **SCORES, feedback="ok").say("…")
    await talk.say(IVAN, "стоп")
    talk.script.call("my_status").say("…")
    await talk.say(IVAN, "как мои дела?")
    assert talk.script.last_return()["practice_calls"] == {"done": 1, "this_week": 1}

    talk.script.call("rep_report", rep="Иван").say("…")
    await talk.say(ADMIN, "как дела у Ивана?")
    assert talk.script.last_return()["numbers_this_week"]["practice_calls"] == 1
    talk.script.call("team_report").say("…")
    await talk.say(ADMIN, "отчёт по команде")
    report = talk.script.last_return().splitlines()
    assert report[1].startswith("• Иван Иванов:") and report[1].endswith("; тренировок 1")
    assert report[2].endswith("; тренировок 1")
    talk.clock.advance(days=8)
    talk.script.call("team_report", period="week").say("…")
    await talk.say(ADMIN, "team report for the week")
    assert talk.script.last_return().splitlines()[1].endswith("; 0 practice calls")


async def test_the_same_practice_asked_twice_at_once_is_one_practice(talk):
    await reps(talk)
    talk.script.steps.append([("start_practice", {}), ("start_practice", {})])
    talk.script.say("…")
    await talk.say(IVAN, "давай потренируемся")
    assert talk.script.returned(0) == talk.script.returned(1)
    assert [p[2] for p in await practices(talk)] == ["open"]

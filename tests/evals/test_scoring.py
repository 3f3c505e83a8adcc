"""The scoring finds what is wrong: a case broken on purpose names its first difference."""

from __future__ import annotations

import dataclasses
from typing import Any

from inline_snapshot import snapshot

from evals.cases import Expect
from evals.replay import Run
from evals.scoring import judge
from evals.world import State

CASE = "registration-happy-ru"


def broken(run: Run, **expect: Any) -> Run:
    wanted = Expect.model_validate({**run.case.expect.model_dump(), **expect})
    case = run.case.model_copy(update={"expect": wanted})
    return dataclasses.replace(run, case=case)


def test_the_untouched_case_passes(gold):
    run = gold[CASE].trials[0].run
    assert judge(run) is None
    assert judge(run, run.state) is None


def test_a_wrong_state_is_found(gold):
    run = broken(gold[CASE].trials[0].run, reps=[{"telegram_id": 501, "status": "pending"}])
    assert judge(run) == snapshot(
        "reps: no row with telegram_id=501, status='pending'; closest: telegram_id=501, status='active'"
    )


def test_a_missing_row_is_found(gold):
    run = broken(gold[CASE].trials[0].run, prospects=[{"name": "Нет такого", "rep": 501}])
    assert judge(run) == snapshot(
        "prospects: no row with name='Нет такого', rep=501; closest: name='Алексей Петров', rep=None"
    )


def test_a_missing_event_is_found(gold):
    run = broken(gold[CASE].trials[0].run, events=[{"to": 501, "event": "follow_up"}])
    assert judge(run) == snapshot("events: no row with to=501, event='follow_up'; none at all")


def test_an_events_data_is_matched_in_part(gold):
    run = gold["crm-world-stale-deal-en"].trials[0].run
    part = {"stale_deals": [{"deal": "Canggu villa", "days_in_stage": 9}]}
    assert judge(broken(run, events=[{"to": 711, "data": part}])) is None
    wrong = {"stale_deals": [{"deal": "Canggu villa", "days_in_stage": 3}]}
    found = judge(broken(run, events=[{"to": 711, "data": wrong}]))
    assert found is not None
    assert found.startswith(
        "events: no row with to=711, data={'stale_deals': [{'deal': 'Canggu villa', "
        "'days_in_stage': 3}]}; closest: to=711, data={'stale': 0, 'stale_deals': [{'deal'"
    )
    more = {"stale_deals": [{"deal": "Canggu villa"}, {"deal": "Canggu villa"}]}
    assert judge(broken(run, events=[{"to": 711, "data": more}])) is not None


def test_a_wrong_number_of_rows_is_found(gold):
    run = broken(gold[CASE].trials[0].run, reps=[{"status": "active", "count": 2}])
    assert judge(run) == snapshot("reps: 1 rows with status='active', not 2")
    assert judge(broken(run, reps=[{"status": "active", "count": 1}])) is None


def test_a_row_that_must_not_exist_is_found(gold):
    run = broken(gold[CASE].trials[0].run, reps=[{"telegram_id": 501, "absent": True}])
    assert judge(run) == snapshot("reps: a row with telegram_id=501 must not exist, and does")
    assert judge(broken(run, reps=[{"telegram_id": 777, "absent": True}])) is None


def test_a_missing_message_is_found(gold):
    run = broken(
        gold[CASE].trials[0].run,
        sent=[{"to": 501, "contains": ["одобрена", "Zoom"], "buttons": []}],
    )
    assert judge(run) == snapshot(
        "no message to 501 has «одобрена» and «Zoom»; it got «Спасибо, Иван! Какой у вас корпоративный email?»; «Заявка отправлена администратору. Я напишу, как только её рассмотрят.»; «Отличные новости! Ваша заявка одобрена, вы в команде. Следующий шаг — подключит…»"
    )


def test_a_missing_button_is_found(gold):
    run = broken(
        gold[CASE].trials[0].run,
        sent=[{"to": 1000, "contains": ["Новая заявка"], "buttons": ["confirm"]}],
    )
    assert judge(run) == snapshot(
        "no message to 1000 has «Новая заявка» and [confirm]; it got «Новая заявка на регистрацию! Имя: Иван Иванов Email: ivan@truerealestate.bali П…»; «Иван Иванов одобрен, я ему сообщил.»"
    )


def test_a_message_that_must_not_go_out_is_found(gold):
    run = broken(
        gold[CASE].trials[0].run, sent=[{"to": 1000, "contains": ["Иван"], "absent": True}]
    )
    assert judge(run) == snapshot(
        "1000 got a message it must not get («Иван»): «Новая заявка на регистрацию! Имя: Иван Иванов Email: ivan@truerealestate.bali П…»"
    )


def test_a_wrong_language_is_found(gold):
    run = broken(gold[CASE].trials[0].run, language="en")
    assert judge(run) == snapshot(
        "a reply to 501 is in ru, not en: «Привет! Я помогаю менеджерам True Real Estate. Хотите зарегистрироваться? Как в…»"
    )


def test_an_unexpected_refusal_is_found(gold):
    run = gold[CASE].trials[0].run
    refused = dataclasses.replace(
        run, state=dataclasses.replace(run.state, refused=["approve_rep"])
    )
    assert judge(refused) == snapshot("approve_rep was refused, and the case does not expect it")
    expected = broken(run, refused=["list_reps"])
    assert judge(expected) == snapshot("list_reps should have been refused, and was not")


def test_a_state_unlike_the_gold_state_is_found(gold):
    run = gold[CASE].trials[0].run
    tables = {**run.state.tables}
    tables["reps"] = [{**r, "status": "pending"} for r in tables["reps"]]
    assert judge(run, State(tables)) == snapshot(
        "reps 501: status is 'active', the gold state has 'pending'"
    )
    tables["reps"] = []
    assert judge(run, State(tables)) == snapshot(
        "reps: an extra row telegram_id=501, name='Иван Иванов', email='ivan@truerealestate.bali', status='active', calendar=False, snoozed_until=None, not in the gold state"
    )
    tables["meetings"] = [
        {
            "rep": 501,
            "prospect_name": "Алексей Петров",
            "starts_at": "2026-11-21T03:00:00+00:00",
            "duration_minutes": 30,
            "status": "scheduled",
            "zoom": True,
        }
    ]
    tables["reps"] = run.state.tables["reps"]
    assert judge(run, State(tables)) == snapshot(
        "meetings: the gold state has rep=501, prospect_name='Алексей Петров', starts_at='2026-11-21T03:00:00+00:00', duration_minutes=30, status='scheduled', zoom=True, this run has not"
    )


def test_a_broken_run_says_why(gold):
    run = dataclasses.replace(
        gold[CASE].trials[0].run, error="RuntimeError: the database went away"
    )
    assert judge(run) == snapshot("the run broke: RuntimeError: the database went away")


def test_a_row_the_gold_state_has_once_and_this_run_twice_is_found(gold):
    """Prospects are compared by name (their ids are random): a twin must not hide behind it."""
    run = gold["prospects-add-assign-en"].trials[0].run
    tables = {**run.state.tables}
    added = next(p for p in tables["prospects"] if p["name"] == "Emily Clark")
    twin = dataclasses.replace(
        run.state, tables={**tables, "prospects": [*tables["prospects"], added]}
    )
    assert judge(dataclasses.replace(run, state=twin), run.state) == snapshot(
        "prospects: 2 rows with name 'Emily Clark', the gold state has 1"
    )

from dataclasses import asdict
from datetime import time, timedelta
from pathlib import Path

from agent.runtime import plan_from, rules_from
from agent.scheduler import Plan
from agent.settings import default_settings
from tools.deps import CalendarSyncRules, CrmSyncRules, Rules
from tools.prospect_files import Limits

CHANGED = default_settings(
    corporate_email_domain="example.com",
    confirmation_minutes=5,
    default_timezone="Europe/Moscow",
    admin_telegram_ids=(7, 8),
    work_hours_start=time(8),
    work_hours_end=time(20),
    quiet_hours_start=time(22),
    quiet_hours_end=time(7),
    outreach_enabled=False,
    unreached_reminder_hours=12,
    follow_up_hours=3,
    meeting_prep_minutes=45,
    pending_alert_hours=6,
    calendar_reminder_hours=48,
    digest_time=time(8, 15),
    stale_deal_days=3,
    owed_retry_minutes=10,
    registrations_per_day=5,
    email_code_minutes=30,
    email_code_attempts=3,
    email_codes_per_day=4,
    calendar_sync_days=7,
    calendar_sync_minutes=5,
    calendar_sync_failures=3,
    calendar_watched_sync_minutes=30,
    public_url="https://bot.example.test",
    google_service_account_file=Path("service-account.json"),
    import_max_kb=64,
    import_max_rows=50,
    hubspot_access_token="pat-test",
    hubspot_sync_minutes=30,
    hubspot_write_owners=True,
    hubspot_lifecycle_stages="lead; Opportunity",
    hubspot_telegram_property="telegram_handle",
    hubspot_hot_stages="closedwon, decisionmakerboughtin",
)


def test_the_rules_carry_the_settings():
    assert rules_from(CHANGED) == Rules(
        corporate_email_domain="example.com",
        default_timezone="Europe/Moscow",
        admin_ids=(7, 8),
        confirmation_ttl=timedelta(minutes=5),
        work_start=time(8),
        work_end=time(20),
        quiet_start=time(22),
        quiet_end=time(7),
        registrations_per_day=5,
        code_ttl=timedelta(minutes=30),
        code_attempts=3,
        codes_per_day=4,
        digest_time=time(8, 15),
        stale_after=timedelta(days=3),
        calendar_sync=CalendarSyncRules(
            days=7,
            every=timedelta(minutes=5),
            failures=3,
            push_address="https://bot.example.test/google/calendar/notifications",
            watched_every=timedelta(minutes=30),
        ),
        import_limits=Limits(max_bytes=64 * 1024, max_rows=50),
        crm_sync=CrmSyncRules(stages=("lead", "opportunity"), telegram_property="telegram_handle"),
        hot_stages=("closedwon", "decisionmakerboughtin"),
    )


def test_the_plan_carries_the_settings():
    assert plan_from(CHANGED) == Plan(
        admin_ids=(7, 8),
        timezone="Europe/Moscow",
        quiet_start=time(22),
        quiet_end=time(7),
        outreach=False,
        unreached_every=timedelta(hours=12),
        follow_up_after=timedelta(hours=3),
        prep_before=timedelta(minutes=45),
        pending_after=timedelta(hours=6),
        calendar_after=timedelta(hours=48),
        digest_at=time(8, 15),
        stale_after=timedelta(days=3),
        owed_every=timedelta(minutes=10),
        calendar_sync_every=timedelta(minutes=5),
        calendar_watch_renew=timedelta(days=1),
        crm_sync_every=timedelta(minutes=30),
        owner_write_every=timedelta(minutes=10),
    )


def test_no_rule_and_no_part_of_the_plan_has_a_value_of_its_own():
    """Each field changes with the settings: none is written down anywhere but in them."""
    for build in (rules_from, plan_from):
        fresh, changed = asdict(build(default_settings())), asdict(build(CHANGED))
        assert [name for name in fresh if fresh[name] == changed[name]] == []

from datetime import time

import pytest
from inline_snapshot import snapshot

from agent.settings import Settings, SettingsError, default_settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_on_a_fresh_machine():
    settings = load_settings()
    assert settings.corporate_email_domain == "truerealestate.bali"
    assert settings.default_timezone == "Asia/Makassar"
    assert (settings.quiet_hours_start, settings.quiet_hours_end) == (time(21), time(9))
    assert settings.admin_telegram_ids == ()
    assert settings.outreach_enabled is True
    assert settings.database_url is None
    assert settings.telegram_bot_token is None


def test_values_come_from_the_environment_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("CORPORATE_EMAIL_DOMAIN=@Example.COM\nOUTREACH_ENABLED=false\n")
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "111, 222,333")
    monkeypatch.setenv("QUIET_HOURS_START", "22:30")
    settings = load_settings()
    assert settings.admin_telegram_ids == (111, 222, 333)
    assert settings.corporate_email_domain == "example.com"
    assert settings.outreach_enabled is False
    assert settings.quiet_hours_start == time(22, 30)


def test_who_is_limited_is_a_list_of_roles_or_none(monkeypatch):
    monkeypatch.setenv("LIMITED_ROLES", "Unknown; pending")
    assert load_settings().limited_roles == ("unknown", "pending")
    monkeypatch.setenv("LIMITED_ROLES", "none")
    assert load_settings().limited_roles == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_TELEGRAM_IDS", "123,@boss"),
        ("DEFAULT_TIMEZONE", "Bali/Ubud"),
        ("SCHEDULER_TICK_SECONDS", "0"),
        ("QUIET_HOURS_END", "25:00"),
        ("CORPORATE_EMAIL_DOMAIN", "not a domain"),
        ("OUTREACH_ENABLED", "sometimes"),
        ("LIMITED_ROLES", "unknown,strangers"),
        ("STRANGER_MESSAGE_CHARS", "10"),
    ],
)
def test_a_wrong_value_names_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert f"{name}: " in str(error.value)
    assert repr(value) in str(error.value)


def test_the_messages_say_what_is_expected(monkeypatch):
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "123,@boss")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Bali/Ubud")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == snapshot("""\
Invalid setting:
  ADMIN_TELEGRAM_IDS: '@boss' is not a Telegram id; use numbers separated by commas (got '123,@boss')
  DEFAULT_TIMEZONE: 'Bali/Ubud' is not a timezone such as Asia/Makassar (got 'Bali/Ubud')\
""")


def test_a_bad_encryption_key_is_refused_without_echoing_it(monkeypatch):
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", "hunter2-not-a-key")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "TOKEN_ENCRYPTION_KEY: must be Fernet keys" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_several_fernet_keys_are_accepted_and_one_bad_one_is_not(monkeypatch):
    from cryptography.fernet import Fernet

    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", keys)
    assert load_settings().token_encryption_key is not None
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", f"{keys},hunter2")
    with pytest.raises(SettingsError, match="must be Fernet keys"):
        load_settings()


def test_a_real_fernet_key_is_accepted(monkeypatch):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", key)
    stored = load_settings().token_encryption_key
    assert stored is not None
    assert stored.get_secret_value() == key


def test_every_setting_is_documented_in_env_example():
    from pathlib import Path

    example = (Path(__file__).parents[2] / ".env.example").read_text()
    documented = {line.split("=")[0].lstrip("# ") for line in example.splitlines() if "=" in line}
    assert {name.upper() for name in Settings.model_fields} <= documented


def test_the_example_file_copied_as_is_gives_the_defaults(tmp_path):
    from pathlib import Path

    example = Path(__file__).parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    assert load_settings() == load_settings(_env_file=None)


def test_default_settings_ignore_the_environment_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("CORPORATE_EMAIL_DOMAIN=example.com\n")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Moscow")
    assert default_settings().model_dump() == Settings(_env_file=None).model_dump() | {  # type: ignore[call-arg]
        "default_timezone": "Asia/Makassar"
    }
    assert default_settings().corporate_email_domain == "truerealestate.bali"
    assert default_settings(default_timezone="Asia/Jakarta").default_timezone == "Asia/Jakarta"


def test_default_settings_check_the_values_given():
    with pytest.raises(SettingsError) as error:
        default_settings(default_timezone="Bali/Ubud")
    assert "DEFAULT_TIMEZONE: 'Bali/Ubud' is not a timezone" in str(error.value)


def test_a_mail_server_needs_a_sender_and_a_whole_login(monkeypatch):
    from agent.integrations import mail_from
    from tools.clients.mail import Tls

    assert mail_from(load_settings()) is None
    with pytest.raises(SettingsError, match="SMTP_HOST needs SMTP_SENDER"):
        load_settings(smtp_host="mail.example.test")
    with pytest.raises(
        SettingsError, match="SMTP login is half configured: also set SMTP_PASSWORD"
    ):
        load_settings(smtp_host="mail.example.test", smtp_user="bot@example.test")
    monkeypatch.setenv("SMTP_HOST", "mail.example.test")
    monkeypatch.setenv("SMTP_PORT", "465")
    monkeypatch.setenv("SMTP_TLS", "tls")
    monkeypatch.setenv("SMTP_USER", "bot@example.test")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    mail = mail_from(load_settings())
    assert mail is not None
    assert (mail.host, mail.port, mail.tls, mail.sender, mail.user, mail.password) == (
        "mail.example.test",
        465,
        Tls.TLS,
        "bot@example.test",
        "bot@example.test",
        "s3cret",
    )
    with pytest.raises(SettingsError) as error:
        load_settings(smtp_tls="ssl")
    assert "SMTP_TLS" in str(error.value)


def test_log_settings_take_any_case_and_refuse_other_words(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    settings = load_settings(_env_file=None)
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        load_settings(_env_file=None)


def test_every_secret_set_is_known_to_mask():
    key = "a" * 43 + "="
    settings = default_settings(
        telegram_bot_token="1:tok", hubspot_access_token="pat-x", token_encryption_key=key
    )
    assert sorted(settings.secrets) == ["1:tok", key, "pat-x"]


def test_the_hubspot_sync_settings_are_read_and_checked():
    read = default_settings(hubspot_lifecycle_stages=" Lead ,opportunity;")
    assert (read.hubspot_lifecycle_stages, read.hubspot_sync_minutes) == (
        ("lead", "opportunity"),
        15,
    )
    with pytest.raises(SettingsError) as error:
        default_settings(hubspot_telegram_property="Telegram handle")
    assert "HUBSPOT_TELEGRAM_PROPERTY: 'Telegram handle' is not a HubSpot property" in str(
        error.value
    )
    with pytest.raises(SettingsError) as error:
        default_settings(hubspot_lifecycle_stages=" , ")
    assert "HUBSPOT_LIFECYCLE_STAGES: name at least one lifecycle stage" in str(error.value)

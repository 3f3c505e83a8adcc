"""A time zone as people name it, the same way wherever a person sees one."""

from zoneinfo import ZoneInfo

from tools.times import zone_name


def test_a_known_zone_is_named_as_people_say_it():
    assert zone_name(ZoneInfo("Asia/Makassar"), "ru") == "время Бали"
    assert zone_name("Asia/Makassar", "en") == "Bali time"
    assert zone_name("Europe/Moscow", None) == "московское время"


def test_an_unknown_zone_keeps_its_iana_name():
    assert zone_name("Pacific/Tahiti", "ru") == "Pacific/Tahiti"

"""HUBSPOT_HOT_STAGES: a comma list of HubSpot stage ids, "none" for none, a wrong one named."""

import pytest

from agent.settings import SettingsError, default_settings


def test_the_hot_stages_are_read_as_a_comma_list():
    assert default_settings().hubspot_hot_stages == ("contractsent",)
    given = default_settings(hubspot_hot_stages=" contractsent, closedwon ;123456 ")
    assert given.hubspot_hot_stages == ("contractsent", "closedwon", "123456")
    assert default_settings(hubspot_hot_stages="none").hubspot_hot_stages == ()


def test_a_stage_id_with_a_space_is_refused_by_name():
    with pytest.raises(SettingsError) as error:
        default_settings(hubspot_hot_stages="contractsent, contract sent")
    assert "'contract sent' is not a HubSpot stage id" in str(error.value)

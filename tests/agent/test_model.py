"""The model's client is bounded by settings: a hung request ends at its timeout and is tried
again only as often as the settings allow (the library alone waits 600 s, three times)."""

from __future__ import annotations

import pytest

from agent.model import ModelNotConfigured, build_model
from agent.settings import default_settings


def test_the_model_request_has_the_timeout_and_retries_of_the_settings():
    model = build_model(
        default_settings(openai_api_key="sk-test", model_timeout_seconds=7, model_retries=0)
    )
    assert (model.client.timeout, model.client.max_retries) == (7.0, 0)


def test_the_defaults_bound_a_request_well_below_the_librarys():
    model = build_model(default_settings(openai_base_url="http://127.0.0.1:9/v1"))
    assert model.client.timeout == 60.0
    assert model.client.max_retries == 1


def test_without_a_key_or_a_server_it_says_what_to_set():
    with pytest.raises(ModelNotConfigured, match="OPENAI_API_KEY"):
        build_model(default_settings())

"""Sealed tokens and signed sign-in states survive a key rotation: the newest key seals and
signs, every key still set opens and verifies, a dropped key opens nothing."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet

from tests.conftest import NOW
from tools.vault import BadState, Vault, code_challenge

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
TOKEN = {"access_token": "ya29.secret", "refresh_token": "1//secret"}


def test_a_token_sealed_with_the_old_key_opens_after_a_new_key_is_put_first():
    sealed = Vault(OLD).seal(TOKEN)
    rotated = Vault(f"{NEW}, {OLD}")
    assert rotated.open(sealed) == TOKEN
    assert Vault(NEW).open(rotated.seal(TOKEN)) == TOKEN
    with pytest.raises(ValueError, match="sealed with a key no longer set"):
        Vault(NEW).open(sealed)


def test_nothing_secret_is_readable_in_what_is_sealed():
    sealed = Vault(NEW).seal(TOKEN)
    assert b"ya29" not in sealed and b"secret" not in sealed


def test_a_state_signed_before_a_rotation_verifies_until_its_key_is_dropped():
    rep = uuid4()
    state = Vault(OLD).sign_state(rep, NOW + timedelta(minutes=15))
    assert Vault(f"{NEW},{OLD}").verify_state(state, NOW).rep_id == rep
    with pytest.raises(BadState, match="not made by this bot"):
        Vault(NEW).verify_state(state, NOW)


def test_each_state_has_its_own_verifier_and_the_challenge_is_s256():
    vault = Vault(NEW)
    one = vault.sign_state(uuid4(), NOW + timedelta(minutes=15))
    two = vault.sign_state(uuid4(), NOW + timedelta(minutes=15))
    assert vault.code_verifier(one) != vault.code_verifier(two)
    assert len(vault.code_verifier(one)) == 43
    assert vault.verify_state(one, NOW).nonce != vault.verify_state(two, NOW).nonce
    # RFC 7636 appendix B
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

"""What is kept of a code: a salted hash that only that code matches."""

from __future__ import annotations

from tools.proof import _hashed, _matches


def test_a_code_is_kept_salted_and_only_it_matches():
    first, second = _hashed("123456", "aa"), _hashed("123456", "bb")
    assert "123456" not in first
    assert first != second  # the same code under another salt
    assert _matches("123456", first)
    assert not _matches("123457", first)
    assert not _matches("12345", _hashed("12345", "aa"))  # only whole codes

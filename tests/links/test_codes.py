"""Short codes: generation and the aliases a user may choose."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shorturl.links.codes import (
    ALPHABET,
    RESERVED_WORDS,
    alias_problem,
    generate_code,
    is_possible_code,
)


@given(st.integers(min_value=4, max_value=32))
def test_property_generated_codes_are_base62_of_the_asked_length(length: int) -> None:
    code = generate_code(length)
    assert len(code) == length
    assert set(code) <= set(ALPHABET)
    assert is_possible_code(code)
    assert alias_problem(code) is None or code.lower() in RESERVED_WORDS


def test_generated_codes_do_not_repeat() -> None:
    codes = {generate_code(7) for _ in range(20_000)}
    assert len(codes) == 20_000


@given(st.from_regex(r"[A-Za-z0-9_-]{3,64}", fullmatch=True))
def test_property_aliases_of_the_right_shape_are_accepted(alias: str) -> None:
    assert (alias_problem(alias) is None) == (alias.lower() not in RESERVED_WORDS)


@given(st.text(min_size=3, max_size=64).filter(lambda s: any(c not in ALPHABET + "-_" for c in s)))
def test_property_aliases_with_other_characters_are_refused(alias: str) -> None:
    assert alias_problem(alias) is not None


def test_alias_length_and_reserved_words() -> None:
    assert "3 to 64" in (alias_problem("ab") or "")
    assert "3 to 64" in (alias_problem("a" * 65) or "")
    for word in ("api", "Dashboard", "HEALTH", "docs", "admin"):
        assert "reserved" in (alias_problem(word) or "")

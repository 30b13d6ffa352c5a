"""Environment text: parsing and which values are masked in logs."""

import pytest

from containers.services.envvars import InvalidEnvironment, parse, secret_values


def test_parse_skips_comments_and_blanks():
    assert parse("# note\n\nA=1\nB = two words\n") == {"A": "1", "B": " two words"}


def test_parse_names_bad_line():
    with pytest.raises(InvalidEnvironment, match="Line 2"):
        parse("A=1\nnot a pair\n")


def test_short_plain_values_not_masked():
    assert secret_values("DEBUG=1\nMODE=main\nGREETING=hello\n") == []


def test_secret_names_masked_even_short():
    assert secret_values("DB_PASSWORD=abc\nAPI_KEY=xyz1\n") == ["abc", "xyz1"]


def test_long_values_masked_whatever_name():
    assert secret_values("GREETING=swordfish-42\n") == ["swordfish-42"]

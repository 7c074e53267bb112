"""The title rule (app/title.py): trimmed of Unicode's White_Space at both ends, then
1 to 200 code points, no control character, something visible; the published pattern
says exactly the same as the checks that name what is wrong."""

import random
import re

import pytest
from pydantic import ValidationError

from app.schemas import TaskCreate
from app.title import TITLE_MAX_LENGTH, TITLE_PATTERN, WHITE_SPACE

# Characters of every kind the rule tells apart.
WHITE = list(WHITE_SPACE)
CONTROL = ["\x00", "\x1c", "\x1f", "\x7f", "\x9f"]  # \x1c-\x1f: str.isspace() but not White_Space
INVISIBLE = ["\u200b", "\ufeff", "\u00ad", "\u3164", "\u180e", "\u2060"]
VISIBLE = ["a", "Z", "é", "日", "🐳", "-", "'", "e\u0301"]


def random_title(rng: random.Random) -> str:
    kinds = [WHITE, CONTROL, INVISIBLE, VISIBLE]
    weights = rng.choice([(4, 0, 1, 8), (2, 1, 2, 6), (1, 0, 0, 10), (6, 0, 4, 1)])
    length = rng.choice(
        [rng.randint(0, 6), rng.randint(195, 206), rng.randint(0, TITLE_MAX_LENGTH + 10)]
    )
    return "".join(rng.choice(rng.choices(kinds, weights)[0]) for _ in range(length))


def accepted(title: str) -> str | None:
    """The stored title, or None when the API refuses it."""
    try:
        return TaskCreate.model_validate({"title": title}).title
    except ValidationError:
        return None


def test_white_space_is_unicodes_white_space_property() -> None:
    # PropList.txt lists 25 White_Space code points; Python's str.isspace() also takes the
    # four information separators U+001C-U+001F, which are control characters.
    is_space = {chr(code) for code in range(0x110000) if chr(code).isspace()}

    assert set(WHITE_SPACE) == is_space - {"\x1c", "\x1d", "\x1e", "\x1f"}
    assert len(set(WHITE_SPACE)) == 25


def test_the_checks_accept_exactly_what_the_published_pattern_matches() -> None:
    rng = random.Random(20261201)  # fixed: the same cases every run
    pattern = re.compile(TITLE_PATTERN)
    outcomes = {True: 0, False: 0}

    for _ in range(20_000):
        title = random_title(rng)
        stored = accepted(title)

        assert (pattern.fullmatch(title) is not None) == (stored is not None), repr(title)
        if stored is not None:
            assert stored == title.strip(WHITE_SPACE)
        outcomes[stored is not None] += 1

    assert min(outcomes.values()) > 2_000  # both sides of the rule were well tried


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  " + "b" * TITLE_MAX_LENGTH + "  ", "b" * TITLE_MAX_LENGTH),
        ("\tcoffee\n", "coffee"),
        ("\r\n\u3000\u00a0tea\u2029\u0085", "tea"),
        ("\u200ba", "\u200ba"),  # a zero-width space is not white space: kept
        ("🐳" * TITLE_MAX_LENGTH, "🐳" * TITLE_MAX_LENGTH),  # code points, not UTF-16 units
        ("deux  espaces", "deux  espaces"),
    ],
)
def test_titles_are_trimmed_then_checked(sent: str, stored: str) -> None:
    assert accepted(sent) == stored


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ("b" * (TITLE_MAX_LENGTH + 1), "at most 200 characters"),
        (" " + "🐳" * (TITLE_MAX_LENGTH + 1) + " ", "at most 200 characters"),
        ("tab\tinside", "control characters"),
        ("\x1fseparator", "control characters"),  # not White_Space: not trimmed
        ("", "at least one visible character"),
        (" \t\n", "at least one visible character"),
        ("\u200b\ufeff", "at least one visible character"),
        ("bad \ud800 surrogate", "valid Unicode"),
    ],
)
def test_each_broken_rule_is_named(sent: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TaskCreate.model_validate({"title": sent})

    errors = refused.value.errors()
    assert len(errors) == 1
    assert message in errors[0]["msg"]

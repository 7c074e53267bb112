"""The title rule, one for the API and the web app (whose copy is generated from the
OpenAPI document, which publishes TITLE_PATTERN and TITLE_MAX_LENGTH).

A title is trimmed first: the characters with Unicode's White_Space property go from both
ends (tab, line feed, vertical tab, form feed, carriage return, space, U+0085, U+00A0,
U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). What remains is what is
stored, and it must be 1 to 200 characters long, counted in Unicode code points, hold no
control character (U+0000-U+001F, U+007F-U+009F: tab and line breaks included) and at
least one visible character, so that a title of zero-width spaces (U+200B), byte order
marks (U+FEFF) and the like is refused like an empty one. Any other Unicode is kept as
sent.

Written twice here, on purpose: TITLE_PATTERN, one regular expression that matches every
title the API accepts as sent and nothing else (for the OpenAPI document and clients),
and stored_title(), which says which part of the rule a title breaks (for the 422).
tests/test_title.py proves they accept exactly the same titles.

Sources: Unicode's PropList.txt for White_Space; TodoMVC's "trim the input" for the
trimming; RFC 8259 for what a JSON string may hold.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

TITLE_MAX_LENGTH = 200
WHITE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
# The same sets as regular expression classes, with BMP escapes only: Python and
# JavaScript (with the u flag, which counts code points as the length rule does) read
# them alike.
_WHITE_SPACE = r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_INVISIBLE = (
    _CONTROL + r"\u0020\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f"
    r"\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
)
# White space, then the stored title (a visible character somewhere ahead; no control
# character; first and last characters not white space; 1 to 200 characters), then
# white space.
TITLE_PATTERN = (
    rf"^[{_WHITE_SPACE}]*(?=[^{_CONTROL}]*?[^{_INVISIBLE}])"
    rf"[^{_CONTROL}{_WHITE_SPACE}](?:[^{_CONTROL}]{{0,{TITLE_MAX_LENGTH - 2}}}"
    rf"[^{_CONTROL}{_WHITE_SPACE}])?[{_WHITE_SPACE}]*$"
)
_HAS_CONTROL = re.compile(f"[{_CONTROL}]")
_HAS_VISIBLE = re.compile(f"[^{_INVISIBLE}]")


def stored_title(title: str) -> str:
    """The title as stored: trimmed, then checked. Raises PydanticCustomError naming the
    broken part of the rule (title_too_long, title_control_character, title_blank,
    title_invalid_unicode), which pydantic reports as a 422's item."""
    stored = title.strip(WHITE_SPACE)
    if len(stored) > TITLE_MAX_LENGTH:
        raise PydanticCustomError(
            "title_too_long",
            "Title should have at most {max_length} characters, not counting white space "
            "at either end (it has {length})",
            {"max_length": TITLE_MAX_LENGTH, "length": len(stored)},
        )
    if _HAS_CONTROL.search(stored):
        raise PydanticCustomError(
            "title_control_character",
            "Title should not contain control characters such as tabs or line breaks "
            "(at either end they are trimmed)",
        )
    if not _HAS_VISIBLE.search(stored):
        raise PydanticCustomError(
            "title_blank", "Title should contain at least one visible character"
        )
    try:
        stored.encode("utf-8")  # PostgreSQL cannot store a lone surrogate
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "title_invalid_unicode", "Title should be valid Unicode (no lone surrogates)"
        ) from None
    return stored


# A title as clients send it: the type of TaskCreate.title and TaskUpdate.title.
Title = Annotated[
    str,
    AfterValidator(stored_title),
    Field(
        description="Trimmed first: white space (Unicode's White_Space characters: "
        "spaces, tabs, line breaks and the like) goes from both ends. What remains is "
        "stored: 1 to 200 characters (Unicode code points), at least one of them visible, "
        "no control character. Any other Unicode is kept as sent.",
        examples=["Apprendre Docker"],
        json_schema_extra={"pattern": TITLE_PATTERN},
    ),
]

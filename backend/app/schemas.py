"""The API's shapes: what a task is, and what a client may send."""

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

TITLE_MAX_LENGTH = 200
# PostgreSQL ids are BIGINT: a larger number can name no task.
MAX_TASK_ID = 2**63 - 1

# The title rule, one for the API and the web app (which mirrors it). A title is trimmed
# first: the characters with Unicode's White_Space property go from both ends (tab, line
# feed, vertical tab, form feed, carriage return, space, U+0085, U+00A0, U+1680,
# U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). What remains is what is stored,
# and it must be 1 to 200 characters long, counted in Unicode code points, hold no control
# character (U+0000-U+001F, U+007F-U+009F: tab and line breaks included) and at least one
# visible character, so that a title of zero-width spaces (U+200B), byte order marks
# (U+FEFF) and the like is refused like an empty one. Any other Unicode is kept as sent.
# Source: Unicode's PropList.txt for White_Space; TodoMVC's "trim the input" for the
# trimming; RFC 8259 for what a JSON string may hold.
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
# Every title the API accepts, as sent, and nothing else: white space, then the stored
# title (a visible character somewhere ahead; no control character; first and last
# characters not white space; 1 to 200 characters), then white space. The OpenAPI
# document publishes it; the checks below, which say what is wrong, accept exactly what
# it matches (tests/test_schemas.py).
TITLE_PATTERN = (
    rf"^[{_WHITE_SPACE}]*(?=[^{_CONTROL}]*?[^{_INVISIBLE}])"
    rf"[^{_CONTROL}{_WHITE_SPACE}](?:[^{_CONTROL}]{{0,{TITLE_MAX_LENGTH - 2}}}"
    rf"[^{_CONTROL}{_WHITE_SPACE}])?[{_WHITE_SPACE}]*$"
)
_HAS_CONTROL = re.compile(f"[{_CONTROL}]")
_HAS_VISIBLE = re.compile(f"[^{_INVISIBLE}]")


def _trimmed_and_checked(title: str) -> str:
    """The title as stored: trimmed, then checked, each broken rule named in words."""
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


Title = Annotated[
    str,
    AfterValidator(_trimmed_and_checked),
    Field(
        description="Trimmed first: white space (Unicode's White_Space characters: "
        "spaces, tabs, line breaks and the like) goes from both ends. What remains is "
        "stored: 1 to 200 characters (Unicode code points), at least one of them visible, "
        "no control character. Any other Unicode is kept as sent.",
        examples=["Apprendre Docker"],
        json_schema_extra={"pattern": TITLE_PATTERN},
    ),
]


class ErrorMessage(BaseModel):
    """An error other than invalid input: {"detail": "what went wrong"}."""

    detail: str


class Task(BaseModel):
    """A task as the API returns it."""

    id: int
    # The stored title: what TaskCreate's title becomes once trimmed.
    title: str = Field(min_length=1, max_length=TITLE_MAX_LENGTH)
    done: bool


class TaskCreate(BaseModel):
    """Body of POST /api/tasks."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    done: bool = False


def _patch_schema(schema: dict[str, Any]) -> None:
    """What the PATCH body's schema says beyond the fields: at least one of them, and
    neither a default nor null (a field left out keeps its value; null is refused)."""
    schema["minProperties"] = 1
    for field_schema in schema["properties"].values():
        field_schema.pop("default", None)
        options = field_schema.pop("anyOf", [])
        for option in options:
            if option != {"type": "null"}:
                field_schema.update(option)


class TaskUpdate(BaseModel):
    """Body of PATCH /api/tasks/{id}: the fields to change, at least one."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra=_patch_schema,
    )

    # Optional but never null: left out, a field keeps its value. `X | None` is pydantic's
    # nullable type: one error per bad value, never a second one from the None branch
    # (a union with an annotated None, say, would add "Input should be None").
    title: Title | None = None
    done: bool | None = None

    @field_validator("title", "done", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; an explicit null would erase it, so it is refused.
        if value is None:
            raise PydanticCustomError("null_field", "May be left out, but not null")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> "TaskUpdate":
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_to_change", "Send at least one of: title, done")
        return self


class TaskSummary(BaseModel):
    """Totals over all tasks: GET /api/tasks/summary."""

    total: int
    done: int
    open: int


class TasksDeleted(BaseModel):
    """What DELETE /api/tasks?done=true did."""

    deleted: int


class TasksUpdated(BaseModel):
    """What PATCH /api/tasks did."""

    updated: int


class AllTasksUpdate(BaseModel):
    """Body of PATCH /api/tasks: mark every task done, or every task not done."""

    model_config = ConfigDict(extra="forbid", strict=True)

    done: bool

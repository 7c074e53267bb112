"""The API's shapes: what a task is, and what a client may send."""

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

TITLE_MAX_LENGTH = 200
# PostgreSQL ids are BIGINT: a larger number can name no task.
MAX_TASK_ID = 2**63 - 1

# What a title may hold, as one regular expression that the OpenAPI document publishes and
# the server applies (the same text, so that they cannot disagree): no control character
# anywhere (tab and newline included), and at least one visible character, so that a title
# of spaces, zero-width spaces (U+200B), byte order marks (U+FEFF) and the like is refused
# like an empty one. Written with BMP escapes only, which Python and JavaScript read alike.
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_INVISIBLE = (
    _CONTROL + r"\u0020\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f"
    r"\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
)
TITLE_PATTERN = rf"^[^{_CONTROL}]*[^{_INVISIBLE}][^{_CONTROL}]*$"


_TITLE_RULE = re.compile(TITLE_PATTERN)


def _checked_and_trimmed(title: str) -> str:
    """Apply TITLE_PATTERN (with a message a person can read), refuse lone surrogates,
    which PostgreSQL cannot store, then trim spaces at both ends."""
    if not _TITLE_RULE.fullmatch(title):
        raise ValueError("must contain at least one visible character, and no control character")
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return title.strip()


Title = Annotated[
    str,
    # On the title as sent: its length, then the pattern above; then it is trimmed.
    StringConstraints(min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(_checked_and_trimmed),
    Field(
        description="1 to 200 characters, at least one of them visible, no control "
        "character; spaces at both ends are trimmed. Any other Unicode is kept as sent.",
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
    title: str
    done: bool


class TaskCreate(BaseModel):
    """Body of POST /api/tasks."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    done: bool = False


def _patch_schema(schema: dict[str, Any]) -> None:
    """What the PATCH body's schema says beyond the fields: at least one of them, and no
    default (a field left out keeps its value; null is refused)."""
    schema["minProperties"] = 1
    for field_schema in schema["properties"].values():
        field_schema.pop("default", None)


class TaskUpdate(BaseModel):
    """Body of PATCH /api/tasks/{id}: the fields to change, at least one."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra=_patch_schema,
    )

    # Optional but never null: left out, a field keeps its value (SkipJsonSchema keeps
    # "null" out of the published schema, since null is refused).
    title: Title | SkipJsonSchema[None] = None
    done: bool | SkipJsonSchema[None] = None

    @field_validator("title", "done", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; an explicit null would erase it, so it is refused.
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> "TaskUpdate":
        if not self.model_fields_set:
            raise ValueError("send at least one of: title, done")
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

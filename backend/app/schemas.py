"""The API's shapes: what a task is, and what a client may send."""

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

TITLE_MAX_LENGTH = 200
# PostgreSQL ids are BIGINT: a larger number can name no task.
MAX_TASK_ID = 2**63 - 1


def _storable(title: str) -> str:
    """Refuse what PostgreSQL cannot store, so both stores accept the same titles."""
    if "\x00" in title:
        raise ValueError("must not contain NUL characters")
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return title


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    AfterValidator(_storable),
]


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


class TaskUpdate(BaseModel):
    """Body of PATCH /api/tasks/{id}: the fields to change, at least one."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title | None = Field(default=None)
    done: bool | None = Field(default=None)

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

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, and their new values."""
        return self.model_dump(exclude_unset=True)

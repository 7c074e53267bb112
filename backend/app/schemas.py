"""The API's shapes: what a task is, and what a client may send."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.title import TITLE_MAX_LENGTH, Title

# The largest task id: JavaScript's Number.MAX_SAFE_INTEGER (2^53 - 1), the largest
# integer a browser's JSON numbers hold exactly; beyond it, a web app sending back an id
# it read would name another task. Paths, the list's cursor and Task.id say so in the
# OpenAPI document; the stores hand out no id beyond it (PostgreSQL's sequence: migration
# 0006).
MAX_TASK_ID = 2**53 - 1


class ErrorMessage(BaseModel):
    """An error other than invalid input: {"detail": "what went wrong"}."""

    detail: str


class Task(BaseModel):
    """A task as the API returns it."""

    id: int = Field(ge=1, le=MAX_TASK_ID)
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

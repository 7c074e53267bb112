"""The API's OpenAPI document: what FastAPI derives from the routes, plus the one limit no
schema can carry (the body cap). The frontend's types and limits, and nginx's body cap, are
generated from it.

python -m app.openapi > openapi.json      (scripts/api-types does it for you)
"""

import json
import sys
from typing import Any

from fastapi import FastAPI

from app.config import Settings

# An OpenAPI specification extension ("x-" field) at the document's root: OpenAPI has no
# field for the largest request body an API reads.
MAX_BODY_BYTES_FIELD = "x-max-body-bytes"


def publish_body_limit(app: FastAPI, max_bytes: int) -> None:
    """Make `app`'s OpenAPI document (/api/openapi.json) state `max_bytes`, the largest
    request body in bytes the API reads, as `x-max-body-bytes`. FastAPI's documented way
    to extend the document: https://fastapi.tiangolo.com/how-to/extending-openapi/"""
    derive = app.openapi

    def openapi() -> dict[str, Any]:
        document = derive()  # built once, then FastAPI's cached copy
        document[MAX_BODY_BYTES_FIELD] = max_bytes
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def document() -> dict[str, Any]:
    """The OpenAPI document, the same whatever the configuration says."""
    from app.app import create_app  # here, not at the top: app.app imports this module

    return create_app(Settings.model_validate({})).openapi()


if __name__ == "__main__":
    json.dump(document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")

"""The API's OpenAPI document: what FastAPI derives from the routes, plus the one limit no
schema can carry (the body cap, app/request_body.py). The frontend's types and limits, and
nginx's body cap, are generated from it.

python -m app.openapi > openapi.json      (scripts/api-types does it for you)
"""

import json
import sys
from typing import Any

from app.app import create_app
from app.config import Settings


def document() -> dict[str, Any]:
    """The OpenAPI document, the same whatever the configuration says."""
    return create_app(Settings.model_validate({})).openapi()


if __name__ == "__main__":
    json.dump(document(), sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")

"""Print the API's OpenAPI document, from which the frontend's API types are generated.

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

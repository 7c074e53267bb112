"""Schemathesis hooks for tests/test_openapi_contract.py (loaded through SCHEMATHESIS_HOOKS).

Real clients send a fresh Idempotency-Key with each create. Schemathesis, left alone,
draws the same few short keys again and again, for different bodies, and then rightly
gets the 422 (another body) and the replays of since-deleted tasks that the IETF draft
asks for. So each schema-valid key it draws is made unique; malformed keys are left as
they are, to be refused. Reusing keys is what tests/routes/test_idempotency.py tests.
"""

import itertools
import re
from typing import Any

import schemathesis

_VALID_KEY = re.compile(r'^("[!#-\[\]-~]{1,255}"|[!#-\[\]-~]{1,255})$')
_serial = itertools.count()


@schemathesis.hook
def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    key = (headers or {}).get("Idempotency-Key")
    if headers and isinstance(key, str) and _VALID_KEY.match(key):
        headers["Idempotency-Key"] = f"schemathesis-{next(_serial)}"
    return headers

"""The OpenAPI document tells the truth through nginx too: Schemathesis, as the backend's
contract test runs it (backend/tests/test_openapi_contract.py: its settings, hooks and
seed), against the project's nginx in front of the backend, on both of nginx's ports (the
app's `/api/`, and the API's own port). nginx answers some requests itself (its JSON
errors, its limits): each of those answers must match the document as the backend's do."""

import pytest
from harness.contract import schemathesis

from stacks.local import LocalStack

MINIMUM_CASES = 500


@pytest.mark.parametrize("listener", ["app", "api"])
def test_every_answer_through_nginx_matches_the_openapi_document(
    shared_stack: LocalStack, listener: str
) -> None:
    nginx = shared_stack.nginx
    base = nginx.url if listener == "app" else nginx.api_url
    status, output, generated = schemathesis(f"{base}/api/openapi.json", max_examples=60)

    print(f"\nSchemathesis through nginx ({listener} port): {generated} generated cases")
    assert status == 0, output[-6000:]
    assert generated is not None
    assert generated >= MINIMUM_CASES

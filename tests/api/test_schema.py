"""The OpenAPI schema: served by the app, identical to the committed ``docs/openapi.yaml``, and fuzzed.

The fuzz run walks every operation of the schema and sends values drawn from each parameter's and body
field's declared type plus hostile values of the wrong type; no response may be a server error.
"""

import json
import random
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from platform_notifications.api.schema import render_schema
from tests.api.conftest import ApiClient
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
PREFIX = "/api/notifications/"

HOSTILE = [
    None,
    "",
    " ",
    "0",
    "-1",
    "1e308",
    "NaN",
    "true",
    "null",
    "' OR 1=1 --",
    "<script>x</script>",
    "../..",
    "\u0000",
    "\ud7ff" * 3,
    "ᴅ",
    "9" * 40,
    0,
    -1,
    2**63,
    1.5,
    True,
    False,
    [],
    {},
    [1],
    {"a": 1},
    "x" * 3000,
]


def test_schema_is_served(anonymous):
    response = anonymous.get("schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert {"/api/notifications/count/", "/api/notifications/v3/configurations/"} <= set(schema["paths"])


def test_committed_schema_is_up_to_date():
    assert COMMITTED.read_text() == render_schema(), "docs/openapi.yaml is stale: run `make schema`"


def typed_values(schema: dict, components: dict, rng: random.Random) -> list:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return list(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return [1, rng.randint(2, 10**6)]
    if kind == "boolean":
        return [True, False]
    if kind == "object":
        return [body_for(schema, components, rng)]
    return ["discussion", "grouped_notification", "web", "Daily", rng.choice(["updates", "grading", "ora_reminder"])]


def body_for(schema: dict, components: dict, rng: random.Random) -> dict:
    body = {}
    for name, prop in schema.get("properties", {}).items():
        pool = typed_values(prop, components, rng) + HOSTILE
        if rng.random() < 0.85:
            body[name] = rng.choice(pool)
    return body


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_fuzz_every_operation_without_a_server_error(user, all_flags_on):
    NotificationFactory.create_batch(3, user=user)
    client = ApiClient(user)
    # The test client re-raises view exceptions: any unhandled error fails here, not just a 500 status.
    client.client.raise_request_exception = True
    schema = yaml.safe_load(COMMITTED.read_text())
    components = schema["components"]["schemas"]
    rng = random.Random(8058)
    sent = 0
    for path, method, operation in operations(schema):
        params = operation.get("parameters", [])
        body_schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
        for _ in range(40):
            url = path
            query = {}
            for param in params:
                value = rng.choice(typed_values(param["schema"], components, rng) + HOSTILE)
                text = json.dumps(value) if isinstance(value, list | dict) else str(value)
                if param["in"] == "path":
                    url = url.replace("{" + param["name"] + "}", quote(text, safe="") or "x")
                elif rng.random() < 0.8:
                    query[param["name"]] = text
            body = body_for(body_schema, components, rng) if body_schema else rng.choice([{}, None, [], "x"])
            if rng.random() < 0.1:
                body = rng.choice(HOSTILE)
            payload = json.dumps(body) if rng.random() < 0.95 else "{not json"
            response = client.client.generic(
                method.upper(),
                url,
                payload,
                content_type="application/json",
                query_params=query,
            )
            sent += 1
            assert response.status_code < 500, (method, url, query, payload, response.content[:300])
            # A 404 may come from Django's router (an encoded "/" in a path segment matches no route); a 302 is
            # ``open/`` sending the reader on to the notification's URL.
            if response.status_code not in (204, 302, 404):
                assert response["Content-Type"].startswith("application/json"), (method, url)
    assert sent >= 12 * 40

"""proto/openapi.yaml is the single source for the REST API: every route the
gateway or task-service registers under /api is in it, every operation it
names is registered and answers on the live gateway, and the gateway serves
the file itself."""
import os
import uuid

import jsonschema
import pytest
import yaml

from conftest import GATEWAY, ROOT, EventStream, Response, auth, new_user, print_routes, request

SPEC_PATH = os.path.join(ROOT, "proto", "openapi.yaml")
with open(SPEC_PATH, "rb") as f:
    SPEC_BYTES = f.read()
SPEC = yaml.safe_load(SPEC_BYTES)

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
OPERATIONS = sorted((m.upper(), path) for path, item in SPEC["paths"].items()
                    for m in item if m in METHODS)

# Every service's own routes, outside the public API.
OPERATIONAL = {"/healthz", "/readyz", "/metrics", "/dapr/subscribe"}

# Service-to-service routes (service tokens only, never forwarded by the
# gateway); each is documented in its service's README.
INTERNAL = {"/internal/series/{series_id}/occurrences"}

def owned_by_task_service(path):
    return path == "/api/tags" or path == "/api/tasks" or path.startswith("/api/tasks/")


def owned_by_ai_agent(path):
    return path.startswith("/api/chat") or path.startswith("/api/conversations") or \
        path == "/api/mcp"


def owned_by_notifier(path):
    return (path == "/api/me/notification-settings" or
            (path.startswith("/api/notifications") and path != "/api/notifications/stream"))


@pytest.fixture(scope="module")
def routes():
    return {name: print_routes(name)
            for name in ("api-gateway", "task-service", "notifier", "ai-agent")}


def test_the_gateway_serves_the_file_it_was_built_from():
    r = request("GET", GATEWAY + "/api/openapi.yaml")
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/yaml"
    assert r.body == SPEC_BYTES


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_the_document_holds_together():
    assert SPEC["openapi"].startswith("3.1")
    # Every reference points inside the document (it is served alone).
    for ref in _refs(SPEC):
        assert ref.startswith("#/"), ref
        node = SPEC
        for part in ref[2:].split("/"):
            assert part in node, ref
            node = node[part]
    for name, schema in SPEC["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    for method, path in OPERATIONS:
        op = SPEC["paths"][path][method.lower()]
        assert op.get("summary"), (method, path)
        codes = set(op["responses"])
        assert any(c.startswith("2") for c in codes), (method, path)
        assert "429" in codes, (method, path)  # every /api request is rate-limited
        if op.get("security", SPEC["security"]):
            assert "401" in codes, (method, path)
        if "requestBody" in op:
            assert {"413", "415"} <= codes, (method, path)
    codes = SPEC["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    for code in ("invalid_argument", "unprocessable", "not_found", "conflict",
                 "precondition_failed", "unauthenticated", "payload_too_large",
                 "unsupported_media_type", "method_not_allowed", "rate_limited",
                 "bad_gateway", "unavailable", "timeout"):
        assert code in codes["enum"]


def test_every_route_a_service_registers_is_in_the_spec(routes):
    spec = set(OPERATIONS)
    for name, registered in routes.items():
        for method, pattern in registered:
            if pattern.startswith("/api"):
                assert (method, pattern) in spec, f"{name} serves {method} {pattern}, the spec lacks it"
            else:
                assert pattern in OPERATIONAL or pattern in INTERNAL or \
                    pattern.startswith("/events/"), (
                    f"{name} serves {method} {pattern}: document it or list it as operational")


def _is_router_answer(r):
    """The router's own "no such route" answer, from the gateway's router or
    from task-service's relayed through it (not a handler's 404)."""
    if r.status == 405:
        # The router's own; a handler may answer 405 too (MCP's GET, which
        # the transport allows a server to refuse).
        return r.json()["error"]["message"].startswith("method ")
    if r.status != 404:
        return False
    return r.json()["error"]["message"].startswith("no route for ")


def _call(method, path):
    url = GATEWAY + path.replace("{id}", str(uuid.uuid4()))
    op = SPEC["paths"][path][method.lower()]
    headers = {"X-Request-Id": "contract-" + uuid.uuid4().hex[:12]}
    if op.get("security", SPEC["security"]):
        headers.update(auth(new_user()))
    body = {} if "requestBody" in op else None
    if method == "GET" and "text/event-stream" in op["responses"].get("200", {}).get("content", {}):
        with EventStream(url, headers) as stream:  # open: the status is the answer
            return Response(stream.status, stream.headers, stream.body)
    return request(method, url, body, headers)


@pytest.mark.parametrize("method,path", OPERATIONS)
def test_every_spec_operation_is_served(routes, method, path):
    assert (method, path) in routes["api-gateway"], "the gateway does not register it"
    if owned_by_task_service(path):
        assert (method, path) in routes["task-service"], "task-service does not register it"
    if owned_by_notifier(path):
        assert (method, path) in routes["notifier"], "notifier does not register it"
    if owned_by_ai_agent(path):
        assert (method, path) in routes["ai-agent"], "ai-agent does not register it"
    r = _call(method, path)
    assert not _is_router_answer(r), (r.status, r.body)
    assert r.status != 429, r.body


def test_a_created_task_matches_the_task_schema():
    schema = {**SPEC["components"]["schemas"]["Task"], "components": SPEC["components"]}
    r = request("POST", GATEWAY + "/api/tasks", {"title": "schema check"}, auth(new_user()))
    assert r.status == 201, r.body
    jsonschema.validate(r.json(), schema, cls=jsonschema.Draft202012Validator)


def test_the_rest_and_event_task_schemas_agree():
    """The API's Task and the events' task snapshot are the same object:
    the same fields, the same required ones, the same types."""
    import json
    with open(os.path.join(ROOT, "proto", "events", "task.schema.json")) as f:
        event = json.load(f)
    rest = SPEC["components"]["schemas"]["Task"]
    assert set(rest["properties"]) == set(event["properties"])
    assert set(rest["required"]) == set(event["required"])
    def resolved(prop):
        while "$ref" in prop:
            prop = SPEC["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]]
        return prop

    def kind(prop):
        prop = resolved(prop)
        if "enum" in prop:
            return ("enum", tuple(sorted(prop["enum"])))
        t = prop.get("type")
        return tuple(sorted(t)) if isinstance(t, list) else t

    for name, prop in event["properties"].items():
        assert kind(prop) == kind(rest["properties"][name]), name

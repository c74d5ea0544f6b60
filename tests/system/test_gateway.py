"""The gateway's edge duties: rate limits (429 with Retry-After per address,
per sign-in address and per user; fail open without Redis), CORS, JSON 413
and 415, X-Request-Id. Limits are tested on gateways of the test's own
(tiny limits, started beside the stack with its environment); the rest on the
stack's gateway."""
import os
import random
import re
import uuid

import pytest

from conftest import (GATEWAY, RUN, auth, eventually, free_port, new_user, own_gateway, psql,
                      request)

ORIGIN = "http://app.test"


@pytest.fixture(scope="module")
def edge():
    """Tiny limits, the loopback peer trusted as a proxy, one allowed origin."""
    with own_gateway(RATE_LIMIT_ADDR_PER_MIN="5", RATE_LIMIT_AUTH_PER_MIN="2",
                     RATE_LIMIT_USER_PER_MIN="3", TRUSTED_PROXIES="127.0.0.1",
                     CORS_ALLOWED_ORIGINS=ORIGIN + ", https://other.test") as (url, *_):
        yield url


def made_up_addr():
    """An address from the benchmarking block: only ever a string here."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def call(base, method, path, addr=None, headers=None, body=None):
    """A request as if relayed by a proxy for client addr (a new made-up
    one by default, so the per-address limit stays out of the way)."""
    h = {"X-Forwarded-For": "203.0.113.50, " + (addr or made_up_addr())}
    h.update(headers or {})
    return request(method, base + path, body, h)


def assert_rate_limited(r, which):
    assert r.status == 429, r.body
    err = r.json()["error"]
    assert err["code"] == "rate_limited"
    assert f"({which} limit)" in err["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers.get("X-Request-Id")


def test_per_address_limit_answers_429_with_retry_after(edge):
    addr = made_up_addr()
    for _ in range(5):
        assert call(edge, "GET", "/api/openapi.yaml", addr).status == 200
    r = call(edge, "GET", "/api/openapi.yaml", addr, {"Origin": ORIGIN})
    assert_rate_limited(r, "address")
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN  # CORS on the 429 too
    # Another client, and the probes, are unaffected.
    assert call(edge, "GET", "/api/openapi.yaml").status == 200
    assert request("GET", edge + "/healthz").status == 200


def test_the_address_is_the_last_forwarded_hop_only_behind_a_trusted_proxy(edge):
    v6 = f"2001:db8::{random.randrange(1, 0xffff):x}"
    for _ in range(5):
        assert call(edge, "GET", "/api/openapi.yaml", v6).status == 200
    # The same address spelled differently is the same client.
    assert_rate_limited(call(edge, "GET", "/api/openapi.yaml", v6.upper()), "address")


def test_sign_in_routes_have_a_stricter_limit(edge):
    addr = made_up_addr()
    body = {"email": "nobody@example.com", "password": "not-the-password"}
    for _ in range(2):
        assert call(edge, "POST", "/api/auth/login", addr, body=body).status != 429
    assert_rate_limited(call(edge, "POST", "/api/auth/login", addr, body=body), "sign-in")
    # Other routes from that address still pass until the address limit.
    assert call(edge, "GET", "/api/openapi.yaml", addr).status == 200


def test_per_user_limit_counts_across_addresses(edge):
    user, other = new_user(), new_user()
    missing = f"/api/tasks/{uuid.uuid4()}"
    for _ in range(3):
        r = call(edge, "GET", missing, headers=auth(user))
        assert r.status == 404 and r.json()["error"]["code"] == "not_found", r.body
    assert_rate_limited(call(edge, "GET", missing, headers=auth(user)), "user")
    assert call(edge, "GET", missing, headers=auth(other)).status == 404
    # A bad token names nobody: it is the handler's 401, not the user's 429.
    r = call(edge, "GET", missing, headers={"Authorization": "Bearer nonsense"})
    assert r.status == 401


def metric(base, name):
    text = request("GET", base + "/metrics").body.decode()
    m = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_without_redis_requests_pass_unchecked_and_are_counted():
    with own_gateway(ready_path="/healthz", REDIS_PORT=str(free_port()),
                     RATE_LIMIT_ADDR_PER_MIN="1") as (url, log_path, _):
        for _ in range(3):
            assert request("GET", url + "/api/openapi.yaml").status == 200
        assert metric(url, "gateway_rate_limit_unchecked_total") >= 3
        assert request("GET", url + "/readyz").status == 503
        with open(log_path) as f:
            assert "rate limits off" in f.read()


def test_preflight_from_an_allowed_origin(edge):
    for path in (f"/api/tasks/{uuid.uuid4()}", "/api/not-a-route"):
        r = call(edge, "OPTIONS", path, headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match"})
        assert r.status == 204, r.body
        assert r.body == b""
        assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "PATCH" in r.headers["Access-Control-Allow-Methods"]
        assert "If-Match" in r.headers["Access-Control-Allow-Headers"]
        assert r.headers["Access-Control-Max-Age"] == "600"
        assert r.headers["Vary"] == "Origin"
        assert r.headers.get("X-Request-Id")


def test_preflight_refused_for_other_origins_methods_and_headers(edge):
    cases = [
        ({"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"}, "origin"),
        ({"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}, "method PUT"),
        ({"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type, x-secret"}, "header x-secret"),
    ]
    for headers, what in cases:
        r = call(edge, "OPTIONS", "/api/tasks", headers=headers)
        assert r.status == 403, r.body
        assert r.json()["error"]["code"] == "forbidden"
        assert what in r.json()["error"]["message"]
        assert "Access-Control-Allow-Origin" not in r.headers


def test_real_answers_carry_cors_headers_errors_included(edge):
    user = new_user()
    h = {"Origin": "https://other.test", **auth(user)}
    created = call(edge, "POST", "/api/tasks", headers=h, body={"title": "cors"})
    missing = call(edge, "GET", f"/api/tasks/{uuid.uuid4()}", headers=h)
    no_token = call(edge, "GET", f"/api/tasks/{uuid.uuid4()}", headers={"Origin": ORIGIN})
    no_route = call(edge, "GET", "/api/nothing-here", headers={"Origin": ORIGIN})
    too_big = call(edge, "POST", "/api/tasks", headers=h,
                   body={"title": "x", "description": "y" * 70000})
    for r, status in ((created, 201), (missing, 404), (no_token, 401), (no_route, 404),
                      (too_big, 413)):
        assert r.status == status, r.body
        assert r.headers["Access-Control-Allow-Origin"] in (ORIGIN, "https://other.test")
        exposed = [x.strip() for x in r.headers["Access-Control-Expose-Headers"].split(",")]
        assert {"ETag", "X-Request-Id", "Retry-After"} <= set(exposed)
        assert r.headers["Vary"] == "Origin"
    assert created.headers["ETag"] == '"1"'

    r = call(edge, "GET", f"/api/tasks/{uuid.uuid4()}",
             headers={"Origin": "http://evil.test", **auth(new_user())})
    assert r.status == 404
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Expose-Headers" not in r.headers


def big_task(size):
    """A JSON body of exactly size bytes."""
    head, tail = b'{"title": "big", "description": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("size", [65537, 2 << 20, 20 << 20])
def test_bodies_over_the_limit_get_json_413_and_change_nothing(size):
    user = new_user()
    r = request("POST", GATEWAY + "/api/tasks", raw=big_task(size), headers=auth(user),
                timeout=60)
    assert r.status == 413, r.body[:200]
    assert r.headers["Content-Type"] == "application/json"
    err = r.json()["error"]
    assert err["code"] == "payload_too_large"
    assert "65536" in err["message"]
    assert r.headers.get("X-Request-Id")
    assert psql("SELECT count(*) FROM tasks.tasks WHERE user_id = :'p1'", user) == [["0"]]


def test_a_body_at_the_limit_is_read():
    r = request("POST", GATEWAY + "/api/tasks", raw=big_task(65536), headers=auth(new_user()))
    assert r.status == 400, r.body  # the description is too long, not the body
    assert r.json()["error"]["field"] == "description"


def test_a_body_of_another_type_gets_json_415():
    user = new_user()
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
        r = request("POST", GATEWAY + "/api/tasks", raw=b'{"title": "x"}',
                    headers={**auth(user), "Content-Type": ctype})
        assert r.status == 415, (ctype, r.body)
        assert r.json()["error"]["code"] == "unsupported_media_type"
    assert psql("SELECT count(*) FROM tasks.tasks WHERE user_id = :'p1'", user) == [["0"]]


def test_request_id_is_echoed_and_reaches_task_service():
    rid = "gw-test-" + uuid.uuid4().hex
    r = request("POST", GATEWAY + "/api/tasks", {"title": "traced"},
                {**auth(new_user()), "X-Request-Id": rid, "traceparent":
                 "00-" + uuid.uuid4().hex + "-" + uuid.uuid4().hex[:16] + "-01"})
    assert r.status == 201, r.body
    assert r.headers["X-Request-Id"] == rid

    def logged():
        with open(os.path.join(RUN, "logs", "task-service.log")) as f:
            return any(rid in line and "POST /api/tasks" in line for line in f)
    assert eventually(logged, timeout=10), "task-service never logged the request id"

    for sent in (None, "has spaces", "x" * 65):
        h = {"X-Request-Id": sent} if sent else {}
        r = request("GET", GATEWAY + "/api/no-such-route", headers=h)
        assert r.status == 404
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"]), r.headers


def test_answers_through_the_sidecars_carry_their_length():
    """The sidecars answer chunked; the gateway answers with a length."""
    h = auth(new_user())
    r = request("POST", GATEWAY + "/api/tasks", {"title": "length"}, h)
    assert r.status == 201, r.body
    for got in (request("GET", GATEWAY + "/api/tasks/" + r.json()["id"], headers=h),
                request("GET", GATEWAY + "/api/tasks?limit=50", headers=h)):
        assert got.status == 200, got.body
        assert got.headers["Content-Length"] == str(len(got.body))
        assert "Transfer-Encoding" not in got.headers

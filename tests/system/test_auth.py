"""Accounts at the gateway: register, login, refresh-token rotation with
reuse detection, logout and /me; and the access tokens it issues, checked by
the gateway and by task-service itself."""
import base64
import hashlib
import json
import os
import re
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

from conftest import (GATEWAY, PASSWORD, bearer, make_token, new_email, psql, register,
                      request, service_url)

TOKEN_KEYS = {"user", "access_token", "token_type", "expires_in", "refresh_token",
              "refresh_expires_in"}
BAD_LOGIN = {"error": {"code": "unauthenticated", "message": "invalid email or password"}}


def post(path, body=None, **kwargs):
    return request("POST", GATEWAY + "/api/auth/" + path, body, **kwargs)


def me(token):
    return request("GET", GATEWAY + "/api/auth/me", headers=bearer(token))


def assert_error(r, status, code, field=None):
    assert r.status == status, (r.status, r.body)
    err = r.json()["error"]
    assert err["code"] == code, err
    assert err["message"]
    assert err.get("field") == field, err
    return err


def assert_tokens(body, email):
    assert set(body) == TOKEN_KEYS, body
    assert set(body["user"]) == {"id", "email", "created_at"}
    assert uuid.UUID(body["user"]["id"])
    assert body["user"]["email"] == email
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["user"]["created_at"])
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900 and body["refresh_expires_in"] == 604800
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["refresh_token"])
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert claims["sub"] == body["user"]["id"] and claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 900


def user_count():
    return int(psql("SELECT count(*) FROM auth.users")[0][0])


def live_tokens(user_id):
    return int(psql("SELECT count(*) FROM auth.refresh_tokens"
                    " WHERE user_id = :'p1' AND revoked_at IS NULL", user_id)[0][0])


def test_register_answers_tokens_and_stores_only_hashes():
    email = new_email()
    r = post("register", {"email": "  " + email.upper() + "\t", "password": PASSWORD})
    assert r.status == 201, r.body
    assert r.headers.get("X-Request-Id")
    assert r.headers.get("Cache-Control") == "no-store"
    body = r.json()
    assert_tokens(body, email)
    uid = body["user"]["id"]

    rows = psql("SELECT email, password_hash FROM auth.users WHERE id = :'p1'", uid)
    assert len(rows) == 1 and rows[0][0] == email
    assert rows[0][1].startswith("$argon2id$")
    assert PASSWORD not in rows[0][1]

    refresh = body["refresh_token"]
    digest = hashlib.sha256(refresh.encode()).hexdigest()
    assert psql("SELECT token_hash FROM auth.refresh_tokens WHERE user_id = :'p1'",
                uid) == [[digest]]
    # The token's text appears nowhere in the table.
    assert psql("SELECT count(*) FROM auth.refresh_tokens t"
                " WHERE strpos(t::text, :'p1') > 0", refresh) == [["0"]]

    r = me(body["access_token"])
    assert r.status == 200, r.body
    assert r.json() == body["user"]


def test_duplicate_email_is_a_conflict_whatever_its_case():
    first = register()
    email = first["user"]["email"]
    r = post("register", {"email": " " + email.upper(), "password": "another password"})
    assert_error(r, 409, "conflict", "email")
    assert psql("SELECT count(*) FROM auth.users WHERE email = :'p1'", email) == [["1"]]
    # The first account's password still holds.
    assert post("login", {"email": email, "password": PASSWORD}).status == 200


def test_password_policy_is_422_and_creates_nothing():
    email = new_email()
    cases = [
        ("short", "8 to 128"),
        ("\u20ac" * 7, "8 to 128"),      # 7 characters in 21 bytes
        ("x" * 129, "8 to 128"),
        (" " * 12, "white space"),
        ("\u00a0\u3000" * 5, "white space"),
        (email, "same as the email"),
        (email.upper(), "same as the email"),
    ]
    before = user_count()
    for password, rule in cases:
        r = post("register", {"email": email, "password": password})
        err = assert_error(r, 422, "unprocessable", "password")
        assert rule in err["message"], (password, err)
    assert user_count() == before
    # Characters are counted, not bytes: 8 two-byte ones and 128 four-byte ones do.
    register(password="\u00e9" * 8)
    register(password="\U0001F600" * 128)


def test_bad_email_is_400_and_creates_nothing():
    cases = ["", "   ", "no-at-sign.example.com", "a@b@example.com", "@example.com",
             "someone@localhost", "some one@example.com", "someone@example..com",
             "someone@.example.com", "some\u00a0one@example.com", "x" * 65 + "@example.com",
             "x@" + "y" * 250 + ".com", 7, None]
    before = user_count()
    for email in cases:
        r = post("register", {"email": email, "password": PASSWORD})
        assert_error(r, 400, "invalid_argument", "email")
    r = post("register", {"password": PASSWORD})
    assert_error(r, 400, "invalid_argument", "email")
    assert user_count() == before


def test_unknown_keys_and_malformed_bodies_are_400_and_create_nothing():
    email = new_email()
    good = {"email": email, "password": PASSWORD}
    before = user_count()
    cases = [
        (dict(body={**good, "admin": True}), 400, "admin"),
        (dict(body={**good, "name": "Alice"}), 400, "name"),
        (dict(raw=b'{"email": "' + email.encode() + b'"'), 400, None),
        (dict(raw=b"not json"), 400, None),
        (dict(raw=b"[]"), 400, None),
        (dict(raw=json.dumps(good).encode() + b" trailing"), 400, None),
        (dict(raw=('{"email":"%s","password":"%s","password":"other pass"}'
                   % (email, PASSWORD)).encode()), 400, "password"),
        (dict(body={"email": email, "password": 12345678}), 400, "password"),
        (dict(raw=json.dumps(good).encode(), headers={"Content-Type": "text/plain"}), 415, None),
    ]
    for kwargs, status, field in cases:
        r = post("register", **kwargs)
        assert r.status == status, (kwargs, r.body)
        err = r.json()["error"]
        assert err["code"] and err["message"]
        if field:
            assert err.get("field") == field, (kwargs, err)
    assert user_count() == before
    assert psql("SELECT count(*) FROM auth.users WHERE email = :'p1'", email) == [["0"]]

    # The other account routes are as strict.
    for path, body, field in [("login", {**good, "remember": True}, "remember"),
                              ("refresh", {"refresh_token": "x", "user": "y"}, "user"),
                              ("logout", {"token": "x"}, "token"),
                              ("refresh", {}, "refresh_token"),
                              ("logout", {"refresh_token": 5}, "refresh_token")]:
        assert_error(post(path, body), 400, "invalid_argument", field)
    assert request("GET", GATEWAY + "/api/auth/login").status == 405


def test_login_right_and_wrong():
    reg = register()
    email = reg["user"]["email"]
    r = post("login", {"email": " " + email.upper(), "password": PASSWORD})
    assert r.status == 200, r.body
    body = r.json()
    assert_tokens(body, email)
    assert body["user"] == reg["user"]
    assert body["refresh_token"] != reg["refresh_token"]
    assert me(body["access_token"]).json() == reg["user"]

    wrong = post("login", {"email": email, "password": PASSWORD + "!"})
    unknown = post("login", {"email": new_email(), "password": PASSWORD})
    for r in (wrong, unknown):
        assert r.status == 401
        assert r.json() == BAD_LOGIN
    assert wrong.body == unknown.body
    assert post("login", {"email": email, "password": ""}).json() == BAD_LOGIN


def test_refresh_rotates_and_reuse_revokes_the_family():
    reg = register()
    uid, email = reg["user"]["id"], reg["user"]["email"]
    other = post("login", {"email": email, "password": PASSWORD}).json()  # a second family

    first = reg["refresh_token"]
    r = post("refresh", {"refresh_token": first})
    assert r.status == 200, r.body
    second = r.json()
    assert_tokens(second, email)
    assert second["refresh_token"] != first
    assert me(second["access_token"]).status == 200

    r = post("refresh", {"refresh_token": second["refresh_token"]})
    assert r.status == 200, r.body
    newest = r.json()["refresh_token"]

    # The used-up first token comes back: refused, and its family ends.
    assert_error(post("refresh", {"refresh_token": first}), 401, "unauthenticated")
    assert_error(post("refresh", {"refresh_token": newest}), 401, "unauthenticated")
    assert_error(post("refresh", {"refresh_token": second["refresh_token"]}), 401,
                 "unauthenticated")
    # The other login's family is untouched.
    assert live_tokens(uid) == 1
    assert post("refresh", {"refresh_token": other["refresh_token"]}).status == 200

    for junk in ["", "x" * 43, "not a token", "A" * 500]:
        assert_error(post("refresh", {"refresh_token": junk}), 401, "unauthenticated")


def test_concurrent_refreshes_with_one_token_have_one_winner():
    reg = register()
    token = reg["refresh_token"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: post("refresh", {"refresh_token": token}), range(4)))
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 401, 401, 401], statuses
    # The losers presented a used-up token: the winner's new one is revoked too.
    winner = next(r for r in results if r.status == 200).json()
    assert post("refresh", {"refresh_token": winner["refresh_token"]}).status == 401
    assert live_tokens(reg["user"]["id"]) == 0


def test_logout_revokes_and_is_idempotent():
    reg = register()
    r = post("refresh", {"refresh_token": reg["refresh_token"]})
    assert r.status == 200
    current = r.json()["refresh_token"]

    r = post("logout", {"refresh_token": current})
    assert r.status == 204 and r.body == b""
    assert_error(post("refresh", {"refresh_token": current}), 401, "unauthenticated")
    assert live_tokens(reg["user"]["id"]) == 0

    for token in [current, reg["refresh_token"], "A" * 43, "junk"]:
        assert post("logout", {"refresh_token": token}).status == 204


def test_bad_access_tokens_are_refused_at_the_gateway_and_at_task_service():
    reg = register()
    uid, good = reg["user"]["id"], reg["access_token"]
    head, claims, sig = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(claims + "=="))
    payload["sub"] = str(uuid.uuid4())
    other_sub = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    bad = {
        "expired": make_token(uid, ttl=-10),
        "tampered claims": head + "." + other_sub + "." + sig,
        "tampered signature": head + "." + claims + "." + ("A" if sig[0] != "A" else "B") + sig[1:],
        "alg none": make_token(uid, alg="none"),
        "other key": make_token(uid, key=b"x" * 48),
        "service kind": make_token(uid, typ="service"),
        "refresh token": reg["refresh_token"],
    }
    targets = [("GET", GATEWAY + "/api/auth/me", None),
               ("POST", GATEWAY + "/api/tasks", {"title": "x"}),
               ("POST", service_url("task-service") + "/api/tasks", {"title": "x"})]
    for method, url, body in targets:
        assert request(method, url, body).status == 401
        for name, token in bad.items():
            r = request(method, url, body, headers=bearer(token))
            assert r.status == 401, (name, url, r.body)
            assert r.json()["error"]["code"] == "unauthenticated"
    assert psql("SELECT count(*) FROM tasks.tasks WHERE user_id = :'p1'", uid) == [["0"]]

    # A well-signed token for an account that does not exist.
    assert_error(me(make_token(str(uuid.uuid4()))), 401, "unauthenticated")


def test_access_token_from_login_works_at_task_service_directly():
    reg = register()
    login = post("login", {"email": reg["user"]["email"], "password": PASSWORD}).json()
    h = bearer(login["access_token"])
    r = request("POST", service_url("task-service") + "/api/tasks", {"title": "x"}, headers=h)
    assert r.status == 201, r.body
    task = r.json()
    assert task["user_id"] == reg["user"]["id"]
    r = request("GET", GATEWAY + f"/api/tasks/{task['id']}", headers=h)
    assert r.status == 200 and r.json()["id"] == task["id"]
    # Another account's token sees nothing of it.
    r = request("GET", GATEWAY + f"/api/tasks/{task['id']}",
                headers=bearer(register()["access_token"]))
    assert r.status == 404


def test_gateway_needs_a_database_url():
    env = {"PATH": os.environ.get("PATH", ""), "PORT": "1"}
    out = subprocess.run([os.path.join(os.environ["TODO_BIN"], "api-gateway")], env=env,
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 2
    assert "DATABASE_URL is required but not set" in out.stderr

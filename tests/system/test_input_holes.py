"""The input holes an outside probe found (issue 9), each refused with a
JSON 4xx naming what is wrong, and nothing changed: an escaped NUL cutting
strings short, raw control characters inside JSON strings, RRULEs whose
BY-parts make them faster than hourly, and If-Match values read loosely."""
import json

import pytest

from conftest import GATEWAY, auth, new_email, new_user, psql, request, service_url


def tasks_url():
    return service_url("task-service") + "/api/tasks"


def post_raw(url, raw, headers):
    return request("POST", url, raw=raw, headers={"Content-Type": "application/json", **headers})


def assert_refused(r, field, status=400):
    assert r.status == status, (r.status, r.body)
    err = r.json()["error"]
    assert err.get("field") == field, err
    return err


@pytest.mark.parametrize("base", ["task-service", "gateway"])
@pytest.mark.parametrize("body,field", [
    (b'{"title":"a\\u0000b"}', "title"),
    (b'{"title":"t","time_zone":"Europe/Berlin\\u0000junk"}', "time_zone"),
    (b'{"title":"t","description":"x\\u0000"}', "description"),
    (b'{"title":"t","tags":["ok","b\\u0000"]}', "tags"),
    (b'{"title":"a\tb"}', "title"),
    (b'{"title":"t","description":"line\nbreak"}', "description"),
    (b'{"title":"t","rrule":"FREQ=DAILY\x01"}', "rrule"),
])
def test_nul_and_raw_control_characters_are_refused(base, body, field):
    user = new_user()
    url = tasks_url() if base == "task-service" else GATEWAY + "/api/tasks"
    err = assert_refused(post_raw(url, body, auth(user)), field)
    assert "NUL" in err["message"] or "control character" in err["message"]
    assert psql("SELECT count(*) FROM tasks.tasks WHERE user_id = :'p1'", user) == [["0"]]


def test_escaped_control_characters_other_than_nul_are_text():
    user = new_user()
    r = post_raw(tasks_url(), b'{"title":"tab\\there","description":"two\\nlines \\u0001"}',
                 auth(user))
    assert r.status == 201, r.body
    assert r.json()["description"] == "two\nlines \u0001"


def test_strings_everywhere_refuse_nul():
    # The gateway's own account bodies (no proxying).
    r = post_raw(GATEWAY + "/api/auth/register",
                 json.dumps({"email": new_email(), "password": "x"}).encode()
                 .replace(b'"x"', b'"long enough\\u0000password"'), {})
    assert_refused(r, "password")
    # notifier's settings, called directly (it verifies the token itself).
    user = new_user()
    r = request("PUT", service_url("notifier") + "/api/me/notification-settings",
                raw=b'{"email":"me@example.com\\u0000evil"}',
                headers={"Content-Type": "application/json", **auth(user)})
    assert_refused(r, "email")


@pytest.mark.parametrize("rrule", [
    "FREQ=HOURLY;BYSECOND=" + ",".join(str(i) for i in range(60)),
    "FREQ=HOURLY;BYMINUTE=" + ",".join(str(i) for i in range(60)),
    "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,30",
])
def test_a_rule_faster_than_hourly_by_what_it_expands_to_is_refused(rrule):
    user = new_user()
    r = request("POST", tasks_url(), {"title": "fast", "due_at": "2020-01-01T00:00:00Z",
                                      "rrule": rrule}, auth(user))
    assert_refused(r, "rrule", 422)
    t = request("POST", tasks_url(), {"title": "slow"}, auth(user)).json()
    r = request("PATCH", f"{tasks_url()}/{t['id']}", {"rrule": rrule}, auth(user))
    assert_refused(r, "rrule", 422)


@pytest.mark.parametrize("value", ['*x', '*, "99"', '"1", *', '1', '"1', '"1" "2"', 'W/1', ''])
def test_a_malformed_if_match_is_400_and_changes_nothing(value):
    user = new_user()
    t = request("POST", tasks_url(), {"title": "guarded"}, auth(user)).json()
    for method, path, body in (("PATCH", "", {"title": "changed"}), ("DELETE", "", None),
                               ("POST", "/complete", None)):
        r = request(method, f"{tasks_url()}/{t['id']}{path}", body,
                    {**auth(user), "If-Match": value})
        assert_refused(r, "If-Match")
    now = request("GET", f"{tasks_url()}/{t['id']}", headers=auth(user)).json()
    assert now["title"] == "guarded" and now["version"] == t["version"]


def test_if_match_lists_match_when_any_tag_does():
    user = new_user()
    t = request("POST", tasks_url(), {"title": "v1"}, auth(user)).json()
    url = f"{tasks_url()}/{t['id']}"
    r = request("PATCH", url, {"title": "v2"}, {**auth(user), "If-Match": '"7", "1", "9"'})
    assert r.status == 200, r.body
    r = request("PATCH", url, {"title": "v3"}, {**auth(user), "If-Match": '"7", W/"2"'})
    assert r.status == 412, r.body  # a weak tag never matches (strong comparison)
    r = request("PATCH", url, {"title": "v3"}, {**auth(user), "If-Match": ' * '})
    assert r.status == 200, r.body

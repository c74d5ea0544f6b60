"""The task API through the gateway, against the real stack: CRUD, preconditions,
complete/reopen, filters, search, every sort with cursor pagination, tags,
isolation between users, bad input, and the events each change publishes."""
import datetime
import random
import urllib.parse

import pytest

from conftest import GATEWAY, auth, eventually, kafka_events, new_user, psql, request, service_url

TASK_TOPICS = ("task-created", "task-updated", "task-completed", "task-deleted")


def api(method, path, user, body=None, headers=None, raw=None):
    h = auth(user)
    h.update(headers or {})
    return request(method, GATEWAY + path, body=body, headers=h, raw=raw)


def create(user, **fields):
    r = api("POST", "/api/tasks", user, fields)
    assert r.status == 201, r.body
    return r.json()


def row_version(task_id):
    rows = psql("SELECT version FROM tasks.tasks WHERE id = :'p1'", task_id)
    return int(rows[0][0]) if rows else None


def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def events_of(task_id, want):
    """The task's events on Kafka once there are `want` of them."""
    def read():
        evs = [e for e in kafka_events(*TASK_TOPICS) if e["key"] == task_id]
        return evs if len(evs) >= want else None
    return eventually(read, timeout=60, interval=1) or []


def test_crud_with_etags_and_events():
    user = new_user()
    t = create(user, title="Pay rent", description="to the landlord", priority="high",
               tags=["Home", " bills ", "home"], due_at="2026-12-01T09:00:00+01:00",
               remind_before_minutes=60, rrule="RRULE:FREQ=MONTHLY;BYMONTHDAY=1")
    assert t["tags"] == ["home", "bills"]
    assert ts(t["due_at"]) == ts("2026-12-01T08:00:00Z")
    assert ts(t["remind_at"]) == ts("2026-12-01T07:00:00Z")
    assert t["rrule"] == "FREQ=MONTHLY;BYMONTHDAY=1" and t["series_id"] == t["id"]
    assert t["status"] == "pending" and t["version"] == 1 and t["completed_at"] is None

    got = api("GET", f"/api/tasks/{t['id']}", user)
    assert got.status == 200 and got.json() == t and got.headers["ETag"] == '"1"'

    # Moving the due date moves a reminder given as minutes before it.
    r = api("PATCH", f"/api/tasks/{t['id']}", user, {"due_at": "2026-12-02T08:00:00Z",
                                                     "title": "Pay the rent"},
            headers={"If-Match": '"1"'})
    assert r.status == 200 and r.headers["ETag"] == '"2"', r.body
    t2 = r.json()
    assert ts(t2["remind_at"]) == ts("2026-12-02T07:00:00Z") and t2["title"] == "Pay the rent"
    assert t2["description"] == "to the landlord" and t2["priority"] == "high"

    stale = api("PATCH", f"/api/tasks/{t['id']}", user, {"title": "x"}, headers={"If-Match": '"1"'})
    assert stale.status == 412 and stale.json()["error"]["code"] == "precondition_failed"
    assert row_version(t["id"]) == 2

    # A PATCH that changes nothing is answered and leaves no trace.
    same = api("PATCH", f"/api/tasks/{t['id']}", user, {"priority": "high",
                                                        "tags": ["home", "bills"]})
    assert same.status == 200 and same.json()["version"] == 2

    r = api("PATCH", f"/api/tasks/{t['id']}", user, {"remind_at": None, "description": None,
                                                     "rrule": None})
    assert r.status == 200
    t3 = r.json()
    assert t3["remind_at"] is None and t3["remind_before_minutes"] is None
    assert t3["description"] == "" and t3["rrule"] is None and t3["version"] == 3

    done = api("POST", f"/api/tasks/{t['id']}/complete", user)
    assert done.status == 200 and done.json()["status"] == "completed"
    assert done.json()["completed_at"] and done.json()["version"] == 4
    again = api("POST", f"/api/tasks/{t['id']}/complete", user)
    assert again.status == 200 and again.json()["version"] == 4
    reopened = api("POST", f"/api/tasks/{t['id']}/reopen", user)
    assert reopened.status == 200 and reopened.json()["status"] == "pending"
    assert reopened.json()["completed_at"] is None and reopened.json()["version"] == 5
    assert api("POST", f"/api/tasks/{t['id']}/reopen", user).json()["version"] == 5

    stale_delete = api("DELETE", f"/api/tasks/{t['id']}", user, headers={"If-Match": '"4"'})
    assert stale_delete.status == 412
    gone = api("DELETE", f"/api/tasks/{t['id']}", user, headers={"If-Match": '"5"'})
    assert gone.status == 204 and gone.body == b""
    assert api("GET", f"/api/tasks/{t['id']}", user).status == 404
    assert api("DELETE", f"/api/tasks/{t['id']}", user).status == 404

    # One event per change, each carrying the task as it then was.
    evs = events_of(t["id"], 6)
    by_version = sorted(evs, key=lambda e: e["event"]["data"]["task"]["version"])
    assert [e["topic"] for e in by_version] == ["task-created", "task-updated", "task-updated",
                                                "task-completed", "task-updated", "task-deleted"]
    assert len(evs) == 6
    upd = by_version[1]["event"]["data"]["changes"]
    assert set(upd) == {"title", "due_at", "remind_at"}
    assert upd["title"] == {"old": "Pay rent", "new": "Pay the rent"}
    reopen = by_version[4]["event"]["data"]["changes"]
    assert set(reopen) == {"status", "completed_at"}
    assert reopen["status"] == {"old": "completed", "new": "pending"}
    assert by_version[5]["event"]["data"]["task"]["version"] == 5
    # Published in the order they happened.
    stamps = [e["timestamp"] for e in by_version]
    assert stamps == sorted(stamps)


def test_tags_with_counts():
    user = new_user()
    create(user, title="a", tags=["work", "urgent"])
    create(user, title="b", tags=["Work"])
    create(user, title="c", tags=["home"])
    create(user, title="d")
    create(new_user(), title="someone else's", tags=["work", "secret"])
    r = api("GET", "/api/tags", user)
    assert r.status == 200
    assert r.json() == {"tags": [{"tag": "work", "count": 2}, {"tag": "home", "count": 1},
                                 {"tag": "urgent", "count": 1}]}
    assert api("GET", "/api/tags", new_user()).json() == {"tags": []}


# ---- listing: a few hundred tasks, every filter and sort, page by page ----

RANK = {"low": 1, "medium": 2, "high": 3}
WORDS = ["alpha", "Bravo", "charlie", "delta", "Echo", "foxtrot", "golf", "hotel"]


@pytest.fixture(scope="module")
def many():
    rnd = random.Random(7)
    user = new_user()
    tasks = []
    for i in range(260):
        fields = {"title": f"{rnd.choice(WORDS)} {rnd.choice(WORDS)}",
                  "priority": rnd.choice(["high", "medium", "low"]),
                  "tags": rnd.sample(["work", "home", "errand", "Q4"], rnd.randint(0, 3))}
        if i % 10 == 0:
            fields["description"] = f"needle {i} in the description"
        if i % 13 == 0:
            fields["title"] = f"Take 50%_off coupon {i}"
        choice = rnd.random()
        if choice < 0.7:
            # Few distinct dates, so many ties broken by id.
            day = rnd.randint(1, 20)
            fields["due_at"] = f"2026-{rnd.choice([10, 12])}-{day:02d}T12:00:00Z"
        tasks.append(create(user, **fields))
    for t in tasks[::9]:
        r = api("POST", f"/api/tasks/{t['id']}/complete", user)
        assert r.status == 200
        t.update(r.json())
    return user, tasks


def sort_key(field, t):
    if field == "due_at":
        return (t["due_at"] is None, ts(t["due_at"]) if t["due_at"] else None)
    if field == "priority":
        return RANK[t["priority"]]
    if field == "title":
        return t["title"].lower().encode()
    return ts(t["created_at"])


def expected(tasks, sort="-created_at", keep=lambda t: True):
    desc = sort.startswith("-")
    field = sort.lstrip("-")
    chosen = [t for t in tasks if keep(t)]
    if field == "due_at":
        # Without a due date last, both ways; the rest by (due, id).
        dated = sorted((t for t in chosen if t["due_at"]),
                       key=lambda t: (ts(t["due_at"]), t["id"]), reverse=desc)
        undated = sorted((t for t in chosen if not t["due_at"]), key=lambda t: t["id"],
                         reverse=desc)
        return [t["id"] for t in dated + undated]
    return [t["id"] for t in sorted(chosen, key=lambda t: (sort_key(field, t), t["id"]),
                                    reverse=desc)]


def fetch_all(user, query, limit):
    ids, cursor, pages = [], None, 0
    while True:
        params = list(query) + [("limit", str(limit))]
        if cursor:
            params.append(("cursor", cursor))
        r = api("GET", "/api/tasks?" + urllib.parse.urlencode(params), user)
        assert r.status == 200, r.body
        page = r.json()
        assert len(page["items"]) <= limit
        ids += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            return ids, pages
        assert pages < 1000


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "due_at", "-due_at",
                                  "priority", "-priority", "title", "-title"])
def test_every_sort_pages_through_every_task_once(many, sort):
    user, tasks = many
    ids, pages = fetch_all(user, [("sort", sort)], 37)
    assert ids == expected(tasks, sort)
    assert pages == -(-len(tasks) // 37)


def test_default_sort_is_newest_first(many):
    user, tasks = many
    r = api("GET", "/api/tasks", user)
    assert [t["id"] for t in r.json()["items"]] == expected(tasks)[:50]


FILTERS = [
    ([("status", "completed")], lambda t: t["status"] == "completed"),
    ([("status", "pending"), ("priority", "high")],
     lambda t: t["status"] == "pending" and t["priority"] == "high"),
    ([("tag", "work")], lambda t: "work" in t["tags"]),
    ([("tag", "WORK"), ("tag", "q4")], lambda t: {"work", "q4"} <= set(t["tags"])),
    ([("due_before", "2026-12-05T12:00:00Z")],
     lambda t: t["due_at"] and ts(t["due_at"]) < ts("2026-12-05T12:00:00Z")),
    ([("due_after", "2026-12-05T12:00:00+00:00"), ("due_before", "2026-12-10T00:00:00+01:00")],
     lambda t: t["due_at"] and ts("2026-12-05T12:00:00Z") <= ts(t["due_at"])
     < ts("2026-12-09T23:00:00Z")),
    ([("overdue", "true")],
     lambda t: t["status"] == "pending" and t["due_at"]
     and ts(t["due_at"]) < datetime.datetime.now(datetime.timezone.utc)),
    ([("q", "NEEDLE")], lambda t: "needle" in (t["title"] + " " + t["description"]).lower()),
    ([("q", "50%_off")], lambda t: "50%_off" in t["title"].lower()),
    ([("q", "0%")], lambda t: "0%" in (t["title"] + " " + t["description"]).lower()),
    ([("q", "bravo echo")], lambda t: "bravo echo" in (t["title"] + " " + t["description"]).lower()),
]


@pytest.mark.parametrize("query,keep", FILTERS, ids=[urllib.parse.urlencode(q) for q, _ in FILTERS])
def test_filters_and_search(many, query, keep):
    user, tasks = many
    want = expected(tasks, "due_at", keep)
    assert want, "the fixture should give every filter something to find"
    ids, _ = fetch_all(user, query + [("sort", "due_at")], 25)
    assert ids == want


def test_cursor_belongs_to_its_query(many):
    user, _ = many
    first = api("GET", "/api/tasks?sort=title&limit=5", user).json()
    other = api("GET", "/api/tasks?sort=-title&limit=5&cursor=" + first["next_cursor"], user)
    assert other.status == 400 and other.json()["error"]["field"] == "cursor"
    tampered = api("GET", "/api/tasks?sort=title&limit=5&cursor=" + first["next_cursor"][:-3] + "zzz",
                   user)
    assert tampered.status == 400
    # Someone else's cursor shows them nothing of ours.
    stranger = api("GET", "/api/tasks?sort=title&limit=5&cursor=" + first["next_cursor"], new_user())
    assert stranger.status == 200 and stranger.json()["items"] == []


def test_list_query_errors(many):
    user, _ = many
    for q, field in [("sort=colour", "sort"), ("limit=0", "limit"), ("limit=201", "limit"),
                     ("status=done", "status"), ("priority=urgent", "priority"),
                     ("due_before=tomorrow", "due_before"), ("overdue=1", "overdue"),
                     ("page=2", "page"), ("sort=title&sort=-title", "sort"),
                     ("q=" + "x" * 201, "q"), ("tag=a,b", "tag")]:
        r = api("GET", "/api/tasks?" + q, user)
        assert r.status == 400, q
        assert r.json()["error"]["field"] == field, (q, r.body)


# ---- isolation ----

def test_another_users_task_is_missing_on_every_route():
    owner, other = new_user(), new_user()
    t = create(owner, title="private", tags=["mine"])
    missing = "6f1c2d4e-0000-4000-8000-000000000001"
    routes = [("GET", "/api/tasks/{}", None), ("PATCH", "/api/tasks/{}", {"title": "stolen"}),
              ("DELETE", "/api/tasks/{}", None), ("POST", "/api/tasks/{}/complete", None),
              ("POST", "/api/tasks/{}/reopen", None)]
    for method, path, body in routes:
        theirs = api(method, path.format(t["id"]), other, body, headers={"If-Match": '"1"'})
        nobody = api(method, path.format(missing), other, body, headers={"If-Match": '"1"'})
        assert theirs.status == 404, (method, path, theirs.body)
        assert theirs.json() == nobody.json()
    assert api("GET", "/api/tasks", other).json()["items"] == []
    assert api("GET", "/api/tasks?q=private", other).json()["items"] == []
    assert api("GET", "/api/tags", other).json() == {"tags": []}
    after = api("GET", f"/api/tasks/{t['id']}", owner).json()
    assert after == t


# ---- bad input ----

def test_bad_create_and_patch_bodies_change_nothing():
    user = new_user()
    t = create(user, title="keep me", due_at="2026-12-01T00:00:00Z")
    base = [
        (dict(raw=b'{"title": "x"'), 400, None),
        (dict(raw=b'{"title": 1e999}'), 400, None),
        (dict(raw=b'"title"'), 400, None),
        (dict(body={"title": 7}), 400, "title"),
        (dict(body={"title": None}), 400, "title"),
        (dict(body={"title": "x" * 501}), 400, "title"),
        (dict(body={"title": "x", "description": "d" * 10001}), 400, "description"),
        (dict(body={"title": "x", "tags": ["t" * 51]}), 400, "tags"),
        (dict(body={"title": "x", "tags": [f"t{i}" for i in range(21)]}), 400, "tags"),
        (dict(body={"title": "x", "tags": "work"}), 400, "tags"),
        (dict(body={"title": "x", "due_at": "2026-02-30T10:00:00Z"}), 400, "due_at"),
        (dict(body={"title": "x", "due_at": "2026-02-03 10:00"}), 400, "due_at"),
        (dict(body={"title": "x", "due_at": "2026-02-03T10:00:00"}), 400, "due_at"),
        (dict(body={"title": "x", "remind_at": 5}), 400, "remind_at"),
        (dict(body={"title": "x", "remind_before_minutes": "10"}), 400, "remind_before_minutes"),
        (dict(body={"title": "x", "remind_before_minutes": 600000}), 400, "remind_before_minutes"),
        (dict(body={"title": "x", "remind_at": "2026-01-01T00:00:00Z",
                    "remind_before_minutes": 5}), 422, "remind_at"),
        (dict(body={"title": "x", "rrule": "FREQ=FORTNIGHTLY"}), 400, "rrule"),
        (dict(body={"title": "x", "rrule": "BYDAY=MO"}), 400, "rrule"),
        (dict(body={"title": "x", "rrule": "FREQ=MINUTELY"}), 422, "rrule"),
        (dict(body={"title": "x", "rrule": "FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z"}), 400,
         "rrule"),
        (dict(body={"title": "x", "status": "completed"}), 400, "status"),
        (dict(body={"title": "x", "user_id": "someone"}), 400, "user_id"),
        (dict(body={"title": "x", "notes": "x" * 100000}), 413, None),
        (dict(body={"title": "x", "notes": "x" * (2 << 20)}), 413, None),
        (dict(raw=b'{"title":"x"}', headers={"Content-Type": "text/plain"}), 415, None),
    ]
    for method, path in [("POST", "/api/tasks"), ("PATCH", f"/api/tasks/{t['id']}")]:
        cases = list(base)
        if method == "POST":
            cases += [(dict(body={}), 400, "title"),
                      (dict(body={"title": "x", "remind_before_minutes": 5}), 422,
                       "remind_before_minutes")]
        else:
            cases += [(dict(body={"due_at": None}, headers={}), 200, None)]
        for kwargs, status, field in cases:
            kwargs = dict(kwargs)
            headers = auth(user)
            headers.update(kwargs.pop("headers", {}))
            r = request(method, GATEWAY + path, headers=headers, **kwargs)
            assert r.status == status, (method, kwargs, r.status, r.body[:300])
            if status >= 400:
                err = r.json()["error"]
                assert err["code"] and err["message"]
                if field:
                    assert err.get("field") == field, (kwargs, err)
    rows = psql("SELECT title, version FROM tasks.tasks WHERE user_id = :'p1'", user)
    # Only the one valid PATCH (clearing due_at) changed anything.
    assert rows == [["keep me", "2"]]


def test_unknown_task_ids_and_bodyless_routes():
    user = new_user()
    for path in ["/api/tasks/not-a-uuid", "/api/tasks/6F1C2D4E-0000-4000-8000-00000000000X"]:
        assert api("GET", path, user).status == 404
    assert api("PUT", "/api/tasks", user, {"title": "x"}).status == 405


def test_task_service_checks_the_token_itself_on_every_route():
    url = service_url("task-service")
    for method, path in [("GET", "/api/tasks"), ("GET", "/api/tags"),
                         ("PATCH", "/api/tasks/6f1c2d4e-0000-4000-8000-000000000001"),
                         ("POST", "/api/tasks/6f1c2d4e-0000-4000-8000-000000000001/complete")]:
        body = {"title": "x"} if method == "PATCH" else None
        r = request(method, url + path, body=body)
        assert r.status == 401, (method, path)
        assert r.json()["error"]["code"] == "unauthenticated"

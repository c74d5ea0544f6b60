"""notifier against the real stack: reminder-due and recurring-task-generated
events, published into Kafka through notifier's own sidecar the way their
producers publish them, become exactly one notification each (also when
delivered twice, also with two notifier replicas), pushed live on Redis,
listed, paged and marked read through the gateway, and delivered to a
webhook receiver (signed, retried with backoff) and an SMTP receiver, both
on 127.0.0.1."""
import datetime
import hashlib
import hmac
import http.server
import json
import os
import threading
import time
import urllib.parse
import uuid

import pytest

from conftest import (GATEWAY, RedisSubscriber, auth, event_validators, eventually,
                      kafka_events, make_token, new_user, psql, publish_event, request,
                      service_url, settle_routing, stack, stack_service_env)

API = GATEWAY + "/api"


def now_iso(delta=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_task(user, title="Water the plants", **fields):
    r = request("POST", API + "/tasks", {"title": title, **fields}, auth(user))
    assert r.status == 201, r.body
    return r.json()


def cloudevent(type_, source, task, data):
    eid = str(uuid.uuid4())
    occurred = now_iso()
    return {"specversion": "1.0", "id": eid, "type": type_, "source": source,
            "subject": task["id"], "time": occurred, "datacontenttype": "application/json",
            "data": {"event_id": eid, "event_type": type_, "schema_version": 1,
                     "occurred_at": occurred, "user_id": task["user_id"], **data,
                     "task": task}}


def reminder_due(task):
    return cloudevent("reminder-due", "reminder-service", task,
                      {"remind_at": now_iso(-1), "fired_at": now_iso()})


def occurrence(task, previous):
    return cloudevent("recurring-task-generated", "recurrence-service", task,
                      {"series_id": previous["id"], "occurrence_at": task["due_at"],
                       "previous_task_id": previous["id"]})


VALIDATORS = event_validators("reminder-due", "recurring-task-generated")


def publish(ev):
    """Publishes a well-formed event (checked against its contract first)."""
    errors = [e.message for e in VALIDATORS[ev["type"]].iter_errors(ev)]
    assert not errors, errors
    publish_event(ev["type"], ev, key=ev["subject"])
    return ev


def inbox(user, query=""):
    r = request("GET", API + "/notifications" + query, headers=auth(user))
    assert r.status == 200, r.body
    return r.json()


def wait_inbox(user, count, query="", timeout=60):
    page = eventually(lambda: (lambda p: p if len(p["items"]) >= count else None)(
        inbox(user, query)), timeout=timeout, interval=0.5)
    assert page, f"{count} notifications never arrived for {user}: {inbox(user, query)}"
    return page


def notify(user, n=1, **task_fields):
    """n reminders for n new tasks of user, each in the inbox; their ids,
    newest first."""
    before = len(inbox(user, "?limit=200")["items"])
    for i in range(n):
        publish(reminder_due(new_task(user, f"task {i}", **task_fields)))
    page = wait_inbox(user, before + n, "?limit=200")
    return [item["id"] for item in page["items"][:n]]


# ---- exactly once -----------------------------------------------------------

def test_a_reminder_becomes_one_notification_pushed_once_even_when_delivered_twice():
    user = new_user()
    task = new_task(user, "Water the plants", description="The ferns too.",
                    due_at="2026-05-01T19:00:00+02:00")
    live = RedisSubscriber("todo:notify:" + user)
    try:
        ev = publish(reminder_due(task))
        publish_event("reminder-due", ev, key=task["id"])  # the same event again
        page = wait_inbox(user, 1)
        pushed = live.messages(wait=3)
    finally:
        live.close()
    time.sleep(2)
    page = inbox(user)
    assert len(page["items"]) == 1 and page["next_cursor"] is None
    n = page["items"][0]
    assert n["kind"] == "reminder"
    assert n["title"] == "Reminder: Water the plants"
    assert n["body"] == "Due Fri 1 May 2026, 17:00 UTC.\n\nThe ferns too."
    assert n["task_id"] == task["id"] and n["event_id"] == ev["id"]
    assert n["read_at"] is None and isinstance(n["id"], int)
    datetime.datetime.fromisoformat(n["created_at"])
    # The live push carries the very same notification, once.
    assert [json.loads(m) for m in pushed] == [n]
    assert psql("SELECT count(*) FROM notify.notifications WHERE event_id = :'p1'",
                ev["id"]) == [["1"]]


def test_two_notifier_replicas_still_notify_once():
    user = new_user()
    stack("start", "notifier-2")
    try:
        assert request("GET", os.environ["NOTIFIER_2_URL"] + "/readyz").status == 200
        tasks = [new_task(user, f"replicated {i}") for i in range(12)]
        events = [publish(reminder_due(t)) for t in tasks]
        for ev in events:  # each one twice, partitions split between replicas
            publish_event("reminder-due", ev, key=ev["subject"])
        wait_inbox(user, 12, "?limit=200")
        time.sleep(3)
        items = inbox(user, "?limit=200")["items"]
        assert sorted(i["event_id"] for i in items) == sorted(e["id"] for e in events)
    finally:
        stack("stop", "notifier-2-daprd")
        stack("stop", "notifier-2")
        settle_routing(API + "/notifications", auth(user))


def test_task_events_notify_nobody_and_recurrences_do():
    user = new_user()
    task = new_task(user, "Stretch")
    assert request("POST", API + f"/tasks/{task['id']}/complete", None, auth(user)).status == 200
    # notifier has had both task events, and made nothing of them.
    assert eventually(lambda: psql(
        "SELECT count(*) FROM notify.processed_events WHERE subject = :'p1'"
        " AND topic IN ('task-created', 'task-completed')", task["id"]) == [["2"]], timeout=60)
    assert inbox(user)["items"] == []

    nxt = new_task(user, "Stretch", due_at="2026-03-30T07:00:00Z")
    ev = publish(occurrence(nxt, task))
    n = wait_inbox(user, 1)["items"][0]
    assert n["kind"] == "recurrence" and n["title"] == "Next occurrence: Stretch"
    assert n["body"] == "The next occurrence of a recurring task, due Mon 30 Mar 2026, 07:00 UTC."
    assert n["task_id"] == nxt["id"] and n["event_id"] == ev["id"]


def test_events_on_kafka_match_their_contracts():
    user = new_user()
    task = new_task(user, "contract")
    mine = {publish(reminder_due(task))["id"],
            publish(occurrence(new_task(user, "next", due_at="2026-01-01T00:00:00Z"), task))["id"]}
    def found():
        evs = kafka_events("reminder-due", "recurring-task-generated")
        return evs if mine <= {e["event"]["id"] for e in evs} else None
    evs = eventually(found, timeout=60, interval=1)
    assert evs, "the events never reached Kafka"
    for e in evs:  # every such event on the topics, not only ours
        errors = [x.message for x in VALIDATORS[e["topic"]].iter_errors(e["event"])]
        assert not errors, (e["topic"], e["event"]["id"], errors[:3])
        assert e["key"] == e["event"]["subject"]


# ---- the inbox ---------------------------------------------------------------

def test_pages_newest_first_and_resumes_oldest_first():
    user = new_user()
    ids = notify(user, 7)
    assert ids == sorted(ids, reverse=True)
    seen, cursor, pages = [], None, 0
    while True:
        q = "?limit=3" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
        page = inbox(user, q)
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids and pages == 3

    # after_id: the ones after it, oldest first, and a cursor that goes on so.
    oldest = ids[-1]
    page = inbox(user, f"?after_id={oldest}&limit=4")
    assert [i["id"] for i in page["items"]] == sorted(ids)[1:5]
    rest = inbox(user, "?cursor=" + urllib.parse.quote(page["next_cursor"]))
    assert [i["id"] for i in rest["items"]] == sorted(ids)[5:] and rest["next_cursor"] is None
    assert inbox(user, f"?after_id={ids[0]}")["items"] == []

    bad = ["?after_id=1&cursor=" + urllib.parse.quote(page["next_cursor"]), "?limit=0",
           "?limit=201", "?unread=maybe", "?after_id=-1", "?page=2", "?limit=1&limit=2",
           "?cursor=nonsense", "?unread=true&cursor=" + urllib.parse.quote(page["next_cursor"])]
    for q in bad:
        r = request("GET", API + "/notifications" + q, headers=auth(user))
        assert r.status == 400, (q, r.body)
        assert r.json()["error"]["code"] == "invalid_argument"
        assert r.json()["error"]["field"]


def test_unread_filter_read_and_read_all():
    user = new_user()
    ids = notify(user, 4)
    r = request("POST", API + f"/notifications/{ids[1]}/read", None, auth(user))
    assert r.status == 200, r.body
    first = r.json()
    assert first["id"] == ids[1] and first["read_at"]
    again = request("POST", API + f"/notifications/{ids[1]}/read", None, auth(user)).json()
    assert again == first  # idempotent: the first read_at stays
    unread = inbox(user, "?unread=true")["items"]
    assert [i["id"] for i in unread] == [ids[0], ids[2], ids[3]]
    assert len(inbox(user, "?unread=false")["items"]) == 4

    r = request("POST", API + "/notifications/read-all", None, auth(user))
    assert r.status == 200 and r.json() == {"updated": 3}
    assert inbox(user, "?unread=true")["items"] == []
    assert request("POST", API + "/notifications/read-all", None, auth(user)).json() == {
        "updated": 0}
    assert all(i["read_at"] for i in inbox(user)["items"])


def test_another_users_notification_is_as_missing_as_a_missing_one():
    owner, other = new_user(), new_user()
    [nid] = notify(owner)
    theirs = request("POST", API + f"/notifications/{nid}/read", None, auth(other))
    missing = request("POST", API + "/notifications/999999999999/read", None, auth(other))
    junk = request("POST", API + "/notifications/not-a-number/read", None, auth(other))
    assert theirs.status == missing.status == junk.status == 404
    assert theirs.body == missing.body
    assert theirs.json()["error"]["code"] == "not_found"
    assert inbox(other)["items"] == []
    assert request("POST", API + "/notifications/read-all", None, auth(other)).json() == {
        "updated": 0}
    assert inbox(owner, "?unread=true")["items"][0]["id"] == nid  # untouched
    # notifier checks the token itself: going around the gateway gains nothing.
    for tok in (None, make_token(owner, ttl=-10), make_token(owner, key=b"k" * 48)):
        h = {"Authorization": "Bearer " + tok} if tok else {}
        for method, path in (("GET", "/api/notifications"),
                             ("POST", f"/api/notifications/{nid}/read"),
                             ("GET", "/api/me/notification-settings")):
            r = request(method, service_url("notifier") + path, None, h)
            assert r.status == 401, (method, path, r.body)


# ---- settings -----------------------------------------------------------------

SETTINGS = API + "/me/notification-settings"


def test_settings_are_checked_and_bad_ones_change_nothing():
    user = new_user()
    r = request("GET", SETTINGS, headers=auth(user))
    assert r.status == 200
    assert r.json() == {"webhook_url": None, "webhook_secret": None, "email": None,
                        "email_enabled": False, "updated_at": None}
    good = request("PUT", SETTINGS, {"webhook_url": "http://127.0.0.1:9/hook",
                                     "email": " Me@Example.COM "}, auth(user))
    assert good.status == 200, good.body
    saved = good.json()
    assert saved["webhook_url"] == "http://127.0.0.1:9/hook"
    assert saved["email"] == "me@example.com" and saved["email_enabled"] is False
    assert saved["webhook_secret"].startswith("whsec_") and len(saved["webhook_secret"]) == 70

    bad = [  # (body, status, field)
        ({"webhook": "http://127.0.0.1:9/"}, 400, "webhook"),
        ({"webhook_url": "ftp://127.0.0.1/x"}, 400, "webhook_url"),
        ({"webhook_url": "javascript:alert(1)"}, 400, "webhook_url"),
        ({"webhook_url": "127.0.0.1:9/hook"}, 400, "webhook_url"),
        ({"webhook_url": "http://user:pw@127.0.0.1:9/"}, 400, "webhook_url"),
        ({"webhook_url": "http://127.0.0.1:9/a b"}, 400, "webhook_url"),
        ({"webhook_url": 42}, 400, "webhook_url"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"email_enabled": "yes"}, 400, "email_enabled"),
        ({"email": None, "email_enabled": True}, 422, "email_enabled"),
        # Private, loopback outside the allow-list, link-local, unspecified,
        # multicast: refused before anything is saved (nothing is sent).
        ({"webhook_url": "http://10.0.0.1/hook"}, 422, "webhook_url"),
        ({"webhook_url": "https://192.168.1.20/hook"}, 422, "webhook_url"),
        ({"webhook_url": "http://127.0.0.2:9/hook"}, 422, "webhook_url"),
        ({"webhook_url": "http://169.254.169.254/latest/meta-data"}, 422, "webhook_url"),
        ({"webhook_url": "http://[::1]:9/"}, 422, "webhook_url"),
        ({"webhook_url": "http://[fd00::1]/"}, 422, "webhook_url"),
        ({"webhook_url": "http://0.0.0.0:9/"}, 422, "webhook_url"),
        ({"webhook_url": "http://224.0.0.1/"}, 422, "webhook_url"),
        ({"webhook_url": "http://localhost:9/"}, 422, "webhook_url"),  # ::1 as well
    ]
    for body, status, field in bad:
        r = request("PUT", SETTINGS, body, auth(user))
        assert r.status == status, (body, r.status, r.body)
        err = r.json()["error"]
        assert err["field"] == field, (body, err)
    for raw, ctype, status in ((b"{not json", "application/json", 400),
                               (b"[]", "application/json", 400),
                               (b"webhook_url=x", "application/x-www-form-urlencoded", 415)):
        r = request("PUT", SETTINGS, raw=raw, headers={**auth(user), "Content-Type": ctype})
        assert r.status == status, (raw, r.body)
    assert request("GET", SETTINGS, headers=auth(user)).json() == saved

    # The secret stays when the URL changes, and when the webhook is removed.
    moved = request("PUT", SETTINGS, {"webhook_url": "http://127.0.0.1:10/other"},
                    auth(user)).json()
    assert moved["webhook_secret"] == saved["webhook_secret"]
    off = request("PUT", SETTINGS, {"webhook_url": None}, auth(user)).json()
    assert off["webhook_url"] is None and off["webhook_secret"] == saved["webhook_secret"]


# ---- webhooks ------------------------------------------------------------------

class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that fails the first `fail` requests
    for each event id with 500, then answers 204; it keeps every request."""

    def __init__(self, fail):
        self.fail, self.requests, self.lock = fail, [], threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    eid = self.headers.get("X-Todo-Event-Id")
                    tries = sum(1 for r in outer.requests if r["event_id"] == eid)
                    outer.requests.append({"event_id": eid, "headers": dict(self.headers),
                                           "body": body, "at": time.time()})
                self.send_response(500 if tries < outer.fail else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hooks/todo"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def of(self, event_id):
        with self.lock:
            return [r for r in self.requests if r["event_id"] == event_id]


@pytest.fixture
def receiver():
    rcv = Receiver(fail=2)
    yield rcv
    rcv.shutdown()
    rcv.server_close()


def test_webhook_gets_each_notification_once_signed_after_two_failures(receiver):
    user = new_user()
    r = request("PUT", SETTINGS, {"webhook_url": receiver.url}, auth(user))
    assert r.status == 200, r.body
    secret = r.json()["webhook_secret"]
    ev = publish(reminder_due(new_task(user, "Call the plumber")))
    [n] = wait_inbox(user, 1)["items"]
    got = eventually(lambda: (lambda rs: rs if len(rs) >= 3 else None)(receiver.of(ev["id"])),
                     timeout=60)
    assert got, receiver.of(ev["id"])
    time.sleep(4)  # no attempt after the one that worked
    got = receiver.of(ev["id"])
    assert len(got) == 3
    assert got[1]["at"] - got[0]["at"] >= 0.8 and got[2]["at"] - got[1]["at"] >= 1.6  # backoff
    for req in got:
        h = req["headers"]
        assert h["Content-Type"] == "application/json"
        assert h["X-Todo-Event-Id"] == ev["id"]
        ts = h["X-Todo-Timestamp"]
        assert abs(int(ts) - time.time()) < 60
        want = hmac.new(secret.encode(), ts.encode() + b"." + req["body"],
                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(h["X-Todo-Signature"], "sha256=" + want)
        assert json.loads(req["body"]) == {"event_id": ev["id"], "notification": n}
    log = psql("SELECT a.attempt, a.ok, a.status, d.status, d.attempts"
               " FROM notify.delivery_attempts a JOIN notify.deliveries d ON d.id = a.delivery_id"
               " JOIN notify.notifications n ON n.id = d.notification_id"
               " WHERE n.event_id = :'p1' ORDER BY a.attempt", ev["id"])
    assert log == [["1", "f", "500", "delivered", "3"], ["2", "f", "500", "delivered", "3"],
                   ["3", "t", "204", "delivered", "3"]]


def test_a_webhook_that_now_leads_to_a_forbidden_address_is_refused_at_connect_time():
    """A saved URL whose host has since been re-pointed (as DNS can do) to a
    forbidden address: the delivery checks the address it would connect to
    and gives up without sending anything."""
    user = new_user()
    psql("INSERT INTO notify.settings (user_id, webhook_url, webhook_secret)"
         " VALUES (:'p1', 'http://127.0.0.2:9/hook', 'whsec_x')", user)
    ev = publish(reminder_due(new_task(user, "Refused")))
    wait_inbox(user, 1)
    row = eventually(lambda: psql(
        "SELECT d.status, d.attempts, d.last_error FROM notify.deliveries d"
        " JOIN notify.notifications n ON n.id = d.notification_id"
        " WHERE n.event_id = :'p1' AND d.status <> 'pending'", ev["id"]), timeout=30)
    assert row == [["failed", "1", "refused 127.0.0.2 (loopback)"]]


# ---- e-mail --------------------------------------------------------------------

@pytest.fixture(scope="module")
def smtp():
    """An SMTP receiver on the port the test stack's notifier sends to."""
    from aiosmtpd.controller import Controller
    url = urllib.parse.urlparse(stack_service_env("notifier")["SMTP_URL"])
    assert url.hostname == "127.0.0.1"

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    box = Inbox()
    ctl = Controller(box, hostname="127.0.0.1", port=url.port)
    ctl.start()
    yield box
    ctl.stop()


def test_email_goes_out_to_users_who_opted_in(smtp):
    import email
    import email.policy
    user, quiet = new_user(), new_user()
    addr = f"{user}@example.com"
    r = request("PUT", SETTINGS, {"email": addr, "email_enabled": True}, auth(user))
    assert r.status == 200, r.body
    assert request("PUT", SETTINGS, {"email": f"{quiet}@example.com"}, auth(quiet)).status == 200
    ev = publish(reminder_due(new_task(user, "Renew the passport \u2708",
                                       due_at="2026-06-01T09:00:00Z")))
    publish(reminder_due(new_task(quiet, "Not e-mailed")))
    [n] = wait_inbox(user, 1)["items"]
    wait_inbox(quiet, 1)

    def mine():
        return [m for m in smtp.messages if addr in m.rcpt_tos]
    got = eventually(mine, timeout=30)
    assert len(got) == 1, got
    env = got[0]
    assert env.mail_from == stack_service_env("notifier")["SMTP_FROM"]
    msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == addr
    assert str(msg["Subject"]) == "Reminder: Renew the passport \u2708"
    assert msg["Message-ID"] == f"<{ev['id']}@todo-notifier>"
    text = msg.get_content()
    assert n["title"] in text and "Due Mon 1 Jun 2026, 09:00 UTC." in text
    time.sleep(2)
    assert len(mine()) == 1
    assert not [m for m in smtp.messages if f"{quiet}@example.com" in m.rcpt_tos]

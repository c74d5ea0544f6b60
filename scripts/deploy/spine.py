#!/usr/bin/env python3
"""The spine against the suite in containers (docker compose), through its
one public address (the web container: the app at /, /api proxied to the
gateway): the web app is served, register, create a task with a reminder
due in a few seconds, see its task-created event on Kafka (read by
todo-events in the compose network, as an external consumer would), the
reminder arrive live on the notification stream (through the proxy, so
unbuffered) and in the user's inbox.

    spine.py [--state FILE] URL COMPOSE_COMMAND...
      e.g. spine.py http://127.0.0.1:20080 docker compose -p todo-deploy-test
    spine.py --again FILE URL
      after `docker compose down` and `up` (volumes kept): the account
      made before logs in and finds its task, its reminder still in the
      inbox, and it is delivered only once.

Prints one line per check and 'N passed, N failed' last."""
import datetime
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

args = sys.argv[1:]
mode, state = None, None
if args and args[0] in ("--state", "--again"):
    mode, state, args = args[0], args[1], args[2:]
base, compose = args[0].rstrip("/"), args[1:]
results = []
PASSWORD = "a long passphrase"


def check(what, ok, detail=""):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"), flush=True)
    return ok


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def eventually(fn, timeout):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.5)


def finish():
    passed, failed = results.count(True), results.count(False)
    print(f"spine: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=15) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, ""


# The front door: the built web app (not the Vite source page), its
# content-hashed assets cached for good, the API behind it.
status, headers, page = get("/")
script = re.search(r'<script[^>]+src="(/assets/[^"]+\.js)"', page)
check("/ serves the built web app", status == 200 and '<div id="app">' in page and script,
      (status, page[:200]))
if script:
    status, headers, _ = get(script.group(1))
    cache = headers.get_all("Cache-Control") or []
    check("its assets are served, cached as immutable, nosniff",
          status == 200 and len(cache) == 1 and "immutable" in cache[0]
          and headers.get("X-Content-Type-Options") == "nosniff", (status, dict(headers)))
status, headers, spec = get("/api/openapi.yaml")
check("/api reaches the gateway", status == 200 and spec.startswith("openapi:"), (status, spec[:80]))

if mode == "--again":
    with open(state) as f:
        before = json.load(f)
    status, login = call("POST", "/api/auth/login", {"email": before["email"], "password": PASSWORD})
    check("the account made before the restart logs in", status == 200, (status, login))
    if status == 200:
        status, got = call("GET", "/api/tasks/" + before["task_id"], token=login["access_token"])
        check("its task is still there", status == 200 and got["title"] == "Water the plants", got)
        status, page = call("GET", "/api/notifications", token=login["access_token"])
        mine = [n for n in page.get("items", []) if n["task_id"] == before["task_id"]]
        check("its reminder is in the inbox once", len(mine) == 1, mine)
    finish()

email = f"deploy-{uuid.uuid4().hex[:12]}@example.com"
status, reg = call("POST", "/api/auth/register", {"email": email, "password": PASSWORD})
if not check("register through the gateway", status == 201, (status, reg)):
    finish()
token = reg["access_token"]

# The notification stream, opened before the task exists: the reminder must
# arrive on it live, through the proxy.
live = {}


def listen():
    req = urllib.request.Request(base + "/api/notifications/stream?access_token=" + token,
                                 headers={"Accept": "text/event-stream"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            live["content_type"] = r.headers.get("Content-Type", "")
            event = None
            for raw in r:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "notification":
                    n = json.loads(line[5:])
                    if n.get("kind") == "reminder" and n.get("task_id") == live.get("task_id"):
                        live["at"] = datetime.datetime.now(datetime.timezone.utc)
                        return
                elif not line:
                    event = None
    except Exception as e:  # reported by the check below
        live["error"] = repr(e)


listener = threading.Thread(target=listen, daemon=True)
listener.start()
time.sleep(1)

remind = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)
status, task = call("POST", "/api/tasks", {"title": "Water the plants",
                                           "remind_at": remind.isoformat(timespec="milliseconds")},
                    token)
if not check("create a task with a reminder 4 s ahead", status == 201, (status, task)):
    finish()
live["task_id"] = task["id"]
if state:
    with open(state, "w") as f:
        json.dump({"email": email, "task_id": task["id"]}, f)


def find_event():
    out = subprocess.run([*compose, "run", "--rm", "-T", "todo-events", "-b", "kafka:9092",
                          "--from-beginning", "--until-end", "task-created"],
                         capture_output=True, text=True, timeout=120)
    for line in out.stdout.splitlines():
        ev = json.loads(line)
        if ev["event"]["data"]["task"]["id"] == task["id"]:
            return ev
    return None


line = eventually(find_event, 60)
if check("task-created reached Kafka (read by todo-events)", line, "not seen in 60 s"):
    ev = line["event"]
    check("it is a CloudEvent keyed by the task, id = event_id, for the user",
          ev["specversion"] == "1.0" and ev["type"] == "task-created" and line["key"] == task["id"]
          and ev["id"] == ev["data"]["event_id"] and ev["data"]["user_id"] == reg["user"]["id"], ev)


def reminder():
    status, page = call("GET", "/api/notifications", token=token)
    for n in (page or {}).get("items", []) if status == 200 else []:
        if n["kind"] == "reminder" and n["task_id"] == task["id"]:
            return n
    return None


listener.join(40)
check("the reminder arrived live on the notification stream through the proxy",
      "at" in live and (live["at"] - remind).total_seconds() < 10
      and live.get("content_type", "").startswith("text/event-stream"),
      live.get("error") or live)

n = eventually(reminder, 60)
if check("the reminder reached the inbox", n, "not within 60 s"):
    made = datetime.datetime.fromisoformat(n["created_at"])
    late = (made - remind).total_seconds()
    check(f"it came at its time ({late:+.2f} s)", -1 <= late < 10, late)


# A streamed chat turn through the proxy (Server-Sent Events to its `done`),
# once ai-agent answers /api/chat; until then it says it is left out.
req = urllib.request.Request(base + "/api/chat", method="POST",
                             data=json.dumps({"message": "list my tasks"}).encode(),
                             headers={"Content-Type": "application/json", "Accept": "text/event-stream",
                                      "Authorization": "Bearer " + token})
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        kind, events = r.headers.get("Content-Type", ""), []
        for raw in r:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                events.append(line[6:].strip())
                if events[-1] in ("done", "error"):
                    break
    check("a streamed chat turn comes through the proxy as events to its end",
          kind.startswith("text/event-stream") and events and events[-1] == "done", (kind, events))
except urllib.error.HTTPError as e:
    if e.code == 404:
        print("skip streamed chat: /api/chat answers 404 (ai-agent has no chat in this build)")
    else:
        check("a streamed chat turn through the proxy", False, (e.code, e.read()[:200]))
finish()

"""Helpers for the system tests. They drive the real stack started by
scripts/system-tests.sh (Postgres, Redis, Kafka, daprd sidecars) through its
public interfaces: HTTP on 127.0.0.1, Kafka via todo-events, and psql for
checking rows."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

RUN = os.environ.get("STACK_RUN", "")
GATEWAY = os.environ.get("GATEWAY_URL", "")
BIN = os.environ.get("TODO_BIN", "")

SERVICES = ["api-gateway", "task-service", "ai-agent", "reminder-service",
            "recurrence-service", "notifier"]


def service_url(name):
    return os.environ[name.upper().replace("-", "_") + "_URL"]


def pytest_collection_modifyitems(config, items):
    if not GATEWAY:
        skip = pytest.mark.skip(reason="no stack: run through scripts/system-tests.sh")
        for item in items:
            item.add_marker(skip)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def request(method, url, body=None, headers=None, raw=None, timeout=15):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, dict(e.headers), e.read())


def _b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def signing_key():
    with open(os.path.join(RUN, "secrets", "dapr-secrets.json")) as f:
        return json.load(f)["jwt-signing-key"].encode()


def make_token(sub, typ="access", ttl=900, key=None, alg="HS256"):
    now = int(time.time())
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    claims = _b64(json.dumps({"iss": "todo", "sub": sub, "typ": typ,
                              "iat": now, "exp": now + ttl}).encode())
    if alg == "none":
        return head + "." + claims + "."
    sig = hmac.new(key or signing_key(), (head + "." + claims).encode(), hashlib.sha256).digest()
    return head + "." + claims + "." + _b64(sig)


def auth(sub):
    return {"Authorization": "Bearer " + make_token(sub)}


def new_user():
    return "user-" + uuid.uuid4().hex[:12]


def psql(sql, *params, dbname="todo"):
    """Runs one query against the stack's Postgres; returns rows of text."""
    pw = open(os.path.join(RUN, "secrets", "pg-password")).read().strip()
    args = ["psql", "-h", "127.0.0.1", "-p", os.environ["PG_PORT"], "-U", "todo",
            "-d", dbname, "-AtX", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
    for i, p in enumerate(params, 1):
        args += ["-v", f"p{i}={p}"]
    out = subprocess.run(args, input=sql, env={**os.environ, "PGPASSWORD": pw},
                         capture_output=True, text=True, check=True, timeout=30)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def kafka_events(*topics, timeout=60):
    """Every event now on the topics, read straight from Kafka."""
    out = subprocess.run([os.path.join(BIN, "todo-events"), "-b", os.environ["KAFKA_BROKERS"],
                          "--from-beginning", "--until-end", *topics],
                         capture_output=True, text=True, timeout=timeout, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line]


def eventually(fn, timeout=30, interval=0.25):
    """Calls fn until it returns a truthy value or timeout passes."""
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stack(*args):
    """Runs scripts/stack.sh on the test stack (e.g. stack("stop", "kafka"))."""
    subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), *args], check=True,
                   timeout=300, capture_output=True)


def stack_service_env(name):
    """The environment the stack runs service name with (a dict), from
    scripts/stack.sh service-env."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), "service-env", name],
                         capture_output=True, text=True, check=True, timeout=30)
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(dbname="todo"):
    pw = open(os.path.join(RUN, "secrets", "pg-password")).read().strip()
    return (f"host=127.0.0.1 port={os.environ['PG_PORT']} dbname={dbname} user=todo "
            f"password={pw} connect_timeout=5 options='-c TimeZone=UTC'")


# ---- accounts ------------------------------------------------------------

PASSWORD = "correct horse battery"


def new_email():
    return "user-" + uuid.uuid4().hex[:12] + "@example.com"


def register(email=None, password=PASSWORD):
    """Registers an account through the gateway and returns the token
    response ({"user", "access_token", "refresh_token", ...})."""
    r = request("POST", GATEWAY + "/api/auth/register",
                {"email": email or new_email(), "password": password})
    assert r.status == 201, r.body
    return r.json()


def bearer(token):
    return {"Authorization": "Bearer " + token}


def print_routes(name):
    """The (METHOD, pattern) routes the service binary registers, from its
    --print-routes (run with the stack's environment for it)."""
    env = {**stack_service_env(name), "PORT": str(free_port())}
    out = subprocess.run([os.path.join(BIN, name), "--print-routes"], env=env,
                         capture_output=True, text=True, check=True, timeout=60)
    return {tuple(line.split(" ", 1)) for line in out.stdout.splitlines()
            if line.split(" ", 1)[0].isupper() and " /" in line}


# ---- event contracts -----------------------------------------------------

def event_validators(*titles):
    """JSON Schema validators for the event contracts in proto/events, keyed
    by schema title (the topic), for the titles named (every schema when
    none is). $refs resolve inside proto/events only; never fetched."""
    import glob
    import re
    import datetime
    import jsonschema
    docs = {}
    for path in glob.glob(os.path.join(ROOT, "proto", "events", "*.schema.json")):
        with open(path) as f:
            doc = json.load(f)
        docs[doc["$id"]] = doc
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def rfc3339(value):
        if not isinstance(value, str):
            return True  # formats only constrain strings
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
            raise ValueError(value)
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    def validator(doc):
        # Debian's jsonschema (4.10) resolves $ref through RefResolver; newer
        # ones through a referencing.Registry.
        try:
            import referencing
            registry = referencing.Registry().with_resources(
                (uri, referencing.Resource.from_contents(d)) for uri, d in docs.items())
            return jsonschema.Draft202012Validator(doc, registry=registry,
                                                   format_checker=checker)
        except ImportError:
            def refuse(uri):
                raise LookupError(f"not in proto/events: {uri}")  # never fetch
            resolver = jsonschema.RefResolver(doc["$id"], doc, store=docs,
                                              handlers={"http": refuse, "https": refuse})
            return jsonschema.Draft202012Validator(doc, resolver=resolver,
                                                   format_checker=checker)

    return {doc["title"]: validator(doc) for doc in docs.values()
            if not titles or doc["title"] in titles}


def derived_event_id(name):
    """The event id svc_uuid_derive makes from name (common/src/util.c): a
    UUID version 8 from BLAKE2b-128 of "todo:" + name."""
    b = bytearray(hashlib.blake2b(b"todo:" + name.encode(), digest_size=16).digest())
    b[6] = (b[6] & 0x0F) | 0x80
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


# ---- notifier --------------------------------------------------------------

def publish_event(topic, cloudevent, key=None):
    """Publishes a CloudEvent (a dict) to a topic on Kafka through notifier's
    own Dapr sidecar (the publish API, application/cloudevents+json, so the
    id is kept), the way the producing services do."""
    url = os.environ["NOTIFIER_DAPR_URL"] + "/v1.0/publish/pubsub/" + topic
    if key:
        url += "?metadata.partitionKey=" + key
    r = request("POST", url, raw=json.dumps(cloudevent).encode(),
                headers={"Content-Type": "application/cloudevents+json"})
    assert r.status == 204, (r.status, r.body)


class RedisSubscriber:
    """SUBSCRIBEs to one Redis channel of the stack over a plain socket
    (RESP) and collects the messages published on it."""

    def __init__(self, channel):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", int(os.environ["REDIS_PORT"])),
                                             timeout=10)
        self.buf = b""
        self.sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n"
                          % (len(channel.encode()), channel.encode()))
        kind, ch, _ = self._reply()
        assert kind == b"subscribe" and ch == channel.encode()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        if line[:1] == b"*":
            return [self._reply() for _ in range(int(line[1:]))]
        if line[:1] == b"$":
            n = int(line[1:])
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if line[:1] == b":":
            return int(line[1:])
        return line[1:]

    def messages(self, wait=1.0):
        """The messages that arrive within wait seconds (text)."""
        import select
        out, deadline = [], time.time() + wait
        while True:
            left = deadline - time.time()
            if not self.buf and (left <= 0 or not select.select([self.sock], [], [], left)[0]):
                return out
            kind, _, data = self._reply()
            if kind == b"message":
                out.append(data.decode())

    def close(self):
        self.sock.close()

# ---- notification streams (Server-Sent Events) -----------------------------

class EventStream:
    """GET of a text/event-stream, read one event at a time. status and
    headers are the answer's; body is read only when it is not a stream."""

    def __init__(self, url, headers=None, timeout=15):
        import http.client
        import urllib.parse
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        path = u.path + ("?" + u.query if u.query else "")
        self.conn.request("GET", path, headers={"Accept": "text/event-stream", **(headers or {})})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        self.body = b""
        if not self.headers.get("content-type", "").startswith("text/event-stream"):
            self.body = self.resp.read()
            self.close()

    def json(self):
        return json.loads(self.body)

    def next_block(self, timeout=15):
        """The next block up to a blank line, as {"id", "event", "data",
        "retry", "comments"} (data lines joined with newlines). Raises
        TimeoutError when none comes in time, EOFError when the stream
        ends."""
        self.conn.sock.settimeout(timeout)
        block = {"comments": []}
        while True:
            line = self.resp.readline()
            if not line:
                raise EOFError("the stream ended")
            line = line.decode().rstrip("\r\n")
            if line == "":
                if len(block) > 1 or block["comments"]:
                    return block
                continue
            if line.startswith(":"):
                block["comments"].append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            block[name] = block[name] + "\n" + value if name == "data" and name in block else value

    def next_event(self, timeout=15):
        """The next block that carries data (heartbeats and retry skipped)."""
        deadline = time.time() + timeout
        while True:
            block = self.next_block(max(0.05, deadline - time.time()))
            if "data" in block:
                return block

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_stream(base=None, token=None, query=None, headers=None, timeout=15):
    """An EventStream of GET /api/notifications/stream on base (the stack's
    gateway by default), with token as the bearer token."""
    import urllib.parse
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    url = (base or GATEWAY) + "/api/notifications/stream"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    return EventStream(url, h, timeout)


def redis_cli(*args):
    """Runs one redis-cli command on the stack's Redis; returns its output."""
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", os.environ["REDIS_PORT"], *args],
                         capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip()


def publish_notification(user, notification):
    """PUBLISHes a notification (a dict, or JSON text) the way notifier
    does; returns the JSON text and how many subscribers Redis reached."""
    text = notification if isinstance(notification, str) else json.dumps(notification)
    n = redis_cli("PUBLISH", "todo:notify:" + user, text)
    return text, int(n)


def metric(base, sample):
    """The value of one sample (name{labels}, exactly as printed) on a
    service's /metrics; 0 when it has none yet."""
    text = request("GET", base + "/metrics").body.decode()
    return sum(int(float(line.split()[-1])) for line in text.splitlines()
               if line.startswith(sample + " "))


def served(base, method, route, code="200"):
    """How many requests a service answered on route with code, from its
    /metrics (http_requests_total): proof that a replica did its share."""
    return metric(base, f'http_requests_total{{method="{method}",route="{route}",code="{code}"}}')

"""Zero trust behind the services (issue 9), tried as an attacker on the
same machine would: every sidecar API needs that sidecar's own token; with
an app's token, the app's Configuration still refuses what the app does not
need (APIs, secrets, topics, invocations of other apps); sidecars talk over
mTLS with identities from Sentry, and a sidecar that cannot prove the app id
it claims gets no certificate."""
import json
import os
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from conftest import (ROOT, RUN, SERVICES, as_app, auth, dapr_token, eventually, free_port,
                      kafka_events, new_user, request, sidecar_url)

TOPICS = ("task-created", "task-updated", "task-completed", "task-deleted", "reminder-due",
          "recurring-task-generated")
# What each app may publish (dapr-components/pubsub.yaml).
PUBLISHES = {"task-service": {"task-created", "task-updated", "task-completed", "task-deleted"},
             "reminder-service": {"reminder-due"},
             "recurrence-service": {"recurring-task-generated"}}
# What each app subscribes to; it may publish their dead-letter topics
# (its sidecar moves a delivery there when it gives up).
SUBSCRIBES = {"reminder-service": set(TOPICS[:4]), "recurrence-service": set(TOPICS[:4]),
              "notifier": set(TOPICS)}


def may_publish(app):
    return PUBLISHES.get(app, set()) | {t + ".dlq" for t in SUBSCRIBES.get(app, ())}


# The building blocks each app's sidecar exposes (dapr-components/config/<app>.yaml).
APIS = {"api-gateway": {"invoke", "secrets"}, "task-service": {"publish", "secrets"},
        "ai-agent": {"invoke", "secrets"}, "reminder-service": {"publish", "state"},
        "recurrence-service": {"invoke", "publish", "secrets"}, "notifier": {"secrets"}}


def tokens_on():
    if os.environ.get("SIDECAR_API_TOKENS") != "1":
        pytest.fail("sidecar API tokens are off (SIDECAR_API_TOKENS in scripts/stack.sh): "
                    "every sidecar API is open to any local process")


def api_calls(app):
    """One call of each sidecar API: (name, method, path, body)."""
    return [
        ("publish", "POST", "/v1.0/publish/pubsub/reminder-due", b"{}"),
        ("invoke", "POST", "/v1.0/invoke/notifier/method/events/reminder-due", b"{}"),
        ("state", "GET", "/v1.0/state/statestore/reminder:x", None),
        ("state", "POST", "/v1.0/state/statestore", b'[{"key":"x","value":1}]'),
        ("secrets", "GET", "/v1.0/secrets/secretstore/jwt-signing-key", None),
        ("secrets", "GET", "/v1.0/secrets/secretstore/bulk", None),
        ("metadata", "GET", "/v1.0/metadata", None),
        ("metadata", "PUT", "/v1.0/metadata/x", b"y"),
        ("bindings", "POST", "/v1.0/bindings/reminder-cron", b'{"operation":"create"}'),
        ("invoke", "GET", f"/v1.0/invoke/{app}/method/healthz", None),
    ]


@pytest.mark.parametrize("app", SERVICES)
def test_every_sidecar_api_needs_the_sidecars_own_token(app):
    tokens_on()
    base = sidecar_url(app)
    others = [a for a in SERVICES if a != app]
    for name, method, path, body in api_calls(app):
        for headers in ({}, {"dapr-api-token": "wrong"}, as_app(others[0]), as_app(others[-1])):
            r = request(method, base + path, raw=body, headers=headers)
            assert r.status == 401, (app, name, path, headers, r.status, r.body)
    # Health stays open for probes, and nothing else.
    assert request("GET", base + "/v1.0/healthz").status == 204
    assert request("GET", base + "/v1.0/healthz/outbound").status == 204


def grpc_call(port, method, token=None):
    """A unary gRPC call with an empty message over plain HTTP/2 (the
    sidecar's gRPC API): the grpc-status the sidecar answers."""
    import h2.config
    import h2.connection
    import h2.events
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        conn.initiate_connection()
        headers = [(":method", "POST"), (":scheme", "http"), (":authority", f"127.0.0.1:{port}"),
                   (":path", method), ("content-type", "application/grpc"), ("te", "trailers")]
        if token:
            headers.append(("dapr-api-token", token))
        conn.send_headers(1, headers)
        conn.send_data(1, b"\x00\x00\x00\x00\x00", end_stream=True)
        s.sendall(conn.data_to_send())
        while True:
            data = s.recv(65536)
            if not data:
                return None
            for ev in conn.receive_data(data):
                if isinstance(ev, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    status = dict(ev.headers).get(b"grpc-status")
                    if status is not None:
                        return int(status)
            s.sendall(conn.data_to_send())
    finally:
        s.close()


@pytest.mark.parametrize("app", SERVICES)
def test_the_grpc_api_needs_the_token_too(app):
    tokens_on()
    port = int(sidecar_url(app).rsplit(":", 1)[1]) + 2
    for api, method in (("metadata", "GetMetadata"), ("secrets", "GetSecret"),
                        ("publish", "PublishEvent"), ("invoke", "InvokeService"),
                        ("state", "GetState"), ("bindings", "InvokeBinding")):
        method = "/dapr.proto.runtime.v1.Dapr/" + method
        # UNAUTHENTICATED; an API the app does not use may first be
        # UNIMPLEMENTED (the allowlist is checked before the token).
        want = {16} if api in APIS[app] else {12, 16}
        assert grpc_call(port, method) in want, (app, method)
        assert grpc_call(port, method, dapr_token(app) + "x") in want, (app, method)
    # With the token, metadata is still off (UNIMPLEMENTED): not in the allowlist.
    assert grpc_call(port, "/dapr.proto.runtime.v1.Dapr/GetMetadata", dapr_token(app)) == 12


@pytest.mark.parametrize("app", SERVICES)
def test_with_its_token_an_app_reaches_only_the_apis_it_uses(app):
    base = sidecar_url(app)
    for name, method, path, body in api_calls(app):
        if name in APIS[app] or name == "invoke":
            continue  # invoke: see the access policy tests
        r = request(method, base + path, raw=body, headers=as_app(app))
        assert r.status in (403, 404), (app, name, path, r.status, r.body)
    # Metadata is off on the public (health) port as well, token or not.
    public = "http://127.0.0.1:%d" % (int(base.rsplit(":", 1)[1]) + 1)
    assert request("GET", public + "/v1.0/metadata").status == 404
    assert request("PUT", public + "/v1.0/metadata/x", raw=b"y").status == 404
    assert request("GET", public + "/v1.0/healthz").status == 204


@pytest.mark.parametrize("app", SERVICES)
def test_each_app_reads_only_its_own_secrets(app):
    r = request("GET", sidecar_url(app) + "/v1.0/secrets/secretstore/jwt-signing-key",
                headers=as_app(app))
    if app == "reminder-service":
        assert r.status in (403, 404), r.body  # it verifies no tokens: no secret store at all
        return
    assert r.status == 200 and "jwt-signing-key" in r.json()
    for name in ("pg-password", "anything-else"):
        r = request("GET", sidecar_url(app) + "/v1.0/secrets/secretstore/" + name,
                    headers=as_app(app))
        assert r.status == 403, (app, name, r.body)
    r = request("GET", sidecar_url(app) + "/v1.0/secrets/secretstore/bulk", headers=as_app(app))
    assert r.status in (200, 403) and b"pg" not in r.body, r.body


@pytest.mark.parametrize("app", SERVICES)
def test_only_reminder_service_reaches_the_state_store(app):
    r = request("POST", sidecar_url(app) + "/v1.0/state/statestore",
                raw=b'[{"key":"zt-probe","value":1}]', headers=as_app(app))
    if app == "reminder-service":
        assert r.status == 204, r.body
        r = request("DELETE", sidecar_url(app) + "/v1.0/state/statestore/zt-probe",
                    headers=as_app(app))
        assert r.status == 204
    else:
        assert r.status in (400, 403, 404, 500), (app, r.status, r.body)
        assert r.status != 204


def forged_reminder(user):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    task = {"id": str(uuid.uuid4()), "user_id": user, "title": "forged", "status": "pending"}
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "reminder-due",
            "source": "reminder-service", "subject": task["id"], "time": now,
            "datacontenttype": "application/json",
            "data": {"event_id": str(uuid.uuid4()), "event_type": "reminder-due",
                     "schema_version": 1, "occurred_at": now, "user_id": user, "task": task,
                     "remind_at": now, "fired_at": now}}


@pytest.mark.parametrize("app", SERVICES)
def test_a_forged_publish_to_a_topic_the_app_may_not_publish_is_refused(app):
    ids = []
    for topic in TOPICS + tuple(t + ".dlq" for t in TOPICS) + ("made-up-topic",):
        if topic in may_publish(app):
            continue
        ev = forged_reminder(new_user())
        ids.append(ev["id"])
        r = request("POST", sidecar_url(app) + "/v1.0/publish/pubsub/" + topic,
                    raw=json.dumps(ev).encode(),
                    headers=as_app(app, {"Content-Type": "application/cloudevents+json"}))
        # 403: the topic is not the app's; 404: the app has no pub/sub at all.
        assert r.status in (403, 404), (app, topic, r.status, r.body)
    seen = {e["event"]["id"] for e in kafka_events(*TOPICS)}
    assert not seen & set(ids)


# ---- service invocation: the callee's access policy ------------------------

def invoke(caller, callee, method, path, headers=None, body=None):
    return request(method, f"{sidecar_url(caller)}/v1.0/invoke/{callee}/method{path}",
                   raw=body, headers=as_app(caller, headers))


EVENT_AND_BINDING_ROUTES = [("notifier", "/events/reminder-due"),
                            ("notifier", "/events/task-completed"),
                            ("reminder-service", "/events/task-created"),
                            ("reminder-service", "/reminder-cron"),
                            ("recurrence-service", "/events/task-completed"),
                            ("recurrence-service", "/recurrence-cron"),
                            ("task-service", "/dapr/subscribe"),
                            ("notifier", "/metrics")]


@pytest.mark.parametrize("caller", SERVICES)
def test_nobody_invokes_another_apps_event_or_binding_routes(caller):
    for callee, path in EVENT_AND_BINDING_ROUTES:
        if callee == caller:
            continue
        r = invoke(caller, callee, "POST", path, {"Content-Type": "application/json"}, b"{}")
        assert r.status in (403, 404), (caller, callee, path, r.status, r.body)
        if r.status == 403:
            assert b"access control policy has denied" in r.body, r.body


def test_invocation_follows_each_apps_policy():
    user = new_user()
    bearer = auth(user)
    allowed = [("api-gateway", "task-service", "GET", "/api/tasks"),
               ("api-gateway", "task-service", "GET", "/api/tags"),
               ("ai-agent", "task-service", "GET", "/api/tasks"),
               ("api-gateway", "notifier", "GET", "/api/notifications"),
               ("api-gateway", "notifier", "GET", "/api/me/notification-settings")]
    for caller, callee, method, path in allowed:
        r = invoke(caller, callee, method, path, bearer)
        assert r.status == 200, (caller, callee, path, r.status, r.body)
    denied = [("recurrence-service", "task-service", "GET", "/api/tasks"),
              ("notifier", "task-service", "GET", "/api/tasks"),
              ("reminder-service", "task-service", "POST", "/api/tasks"),
              ("task-service", "notifier", "GET", "/api/notifications"),
              ("ai-agent", "notifier", "GET", "/api/notifications"),
              ("api-gateway", "task-service", "POST", f"/internal/series/{uuid.uuid4()}/occurrences"),
              ("ai-agent", "task-service", "POST", f"/internal/series/{uuid.uuid4()}/occurrences"),
              ("api-gateway", "task-service", "PUT", "/api/tasks"),  # a verb not allowed
              ("api-gateway", "reminder-service", "GET", "/healthz"),
              ("api-gateway", "recurrence-service", "GET", "/healthz"),
              ("task-service", "api-gateway", "GET", "/api/auth/me"),
              # Dot segments are resolved before the policy is read.
              ("api-gateway", "task-service", "POST", "/api/tasks/../internal/series/x/occurrences")]
    for caller, callee, method, path in denied:
        r = invoke(caller, callee, method, path, {**bearer, "Content-Type": "application/json"},
                   b"{}")
        if "invoke" not in APIS[caller]:
            assert r.status == 404, (caller, r.status, r.body)  # no invoke API at all
            continue
        assert r.status == 403, (caller, callee, method, path, r.status, r.body)
        assert b"access control policy has denied" in r.body, r.body
    # recurrence-service may create occurrences (its own service token is
    # checked by task-service; the policy only lets the call through).
    r = invoke("recurrence-service", "task-service", "POST",
               f"/internal/series/{uuid.uuid4()}/occurrences", {"Content-Type": "application/json"},
               b"{}")
    assert r.status in (400, 401), (r.status, r.body)  # task-service's own answer


# ---- mTLS and identities ---------------------------------------------------

def internal_port(app):
    return int(sidecar_url(app).rsplit(":", 1)[1]) + 3


def tls_to(port, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=os.path.join(RUN, "secrets", "sentry", "ca.crt"))
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["h2"])
    if cert:
        ctx.load_cert_chain(cert, key)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            t.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            return t.recv(64)


@pytest.mark.parametrize("app", SERVICES)
def test_sidecars_speak_only_mtls_with_a_certificate_from_our_ca(app, tmp_path):
    port = internal_port(app)
    # Plain HTTP/2 gets no HTTP/2 (a closed connection or a TLS alert).
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        try:
            data = s.recv(64)
        except ConnectionError:
            data = b""
        assert data == b"" or data[0] == 0x15, data
    # TLS without a client certificate: refused.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        tls_to(port)
    # A certificate naming a real app id, from a CA of the attacker's own.
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "1", "-subj", "/O=evil",
                    "-addext", "subjectAltName=URI:spiffe://public/ns/default/api-gateway"],
                   check=True, capture_output=True)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        tls_to(port, str(crt), str(key))


def impostor(app_id, token_file):
    """Starts a daprd claiming app_id with the stack's trust anchors and the
    given Sentry token file; returns (exit code, log) once it gives up."""
    daprd = subprocess.run([os.path.join(ROOT, "scripts", "build-daprd.sh")], check=True,
                           capture_output=True, text=True).stdout.strip()
    with open(os.path.join(RUN, "secrets", "sentry", "ca.crt")) as f:
        anchors = f.read()
    env = {"PATH": os.environ["PATH"], "DAPR_HOST_IP": "127.0.0.1",
           "DAPR_TRUST_ANCHORS": anchors, "DAPR_SENTRY_TOKEN_FILE": token_file,
           "TODO_SECRETS_FILE": "/nonexistent", "TODO_KAFKA_BROKERS": os.environ["KAFKA_BROKERS"],
           "TODO_REDIS_ADDR": "127.0.0.1:" + os.environ["REDIS_PORT"]}
    ports = [str(free_port()) for _ in range(5)]
    cfg = os.path.join(ROOT, "dapr-components", "config")
    out = subprocess.run(
        [daprd, "--mode", "standalone", "--app-id", app_id, "--app-port", ports[0],
         "--dapr-listen-addresses", "127.0.0.1", "--dapr-http-port", ports[1],
         "--dapr-grpc-port", ports[2], "--dapr-internal-grpc-port", ports[3],
         "--dapr-internal-grpc-listen-address", "127.0.0.1", "--metrics-port", ports[4],
         "--metrics-listen-address", "127.0.0.1", "--enable-mtls",
         "--sentry-address", os.environ["SENTRY_ADDRESS"],
         "--config", os.path.join(cfg, "config.yaml"), "--config",
         os.path.join(cfg, app_id + ".yaml"), "--log-as-json"],
        env=env, cwd=RUN, capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout + out.stderr


def test_a_sidecar_without_a_valid_identity_gets_no_certificate(tmp_path):
    # Another app's token (notifier's) claiming task-service.
    rc, log = impostor("task-service", os.path.join(RUN, "secrets", "sentry-token-notifier"))
    assert rc != 0 and "PermissionDenied" in log and "token validation failed" in log, log[-2000:]
    # A token of its own making (another key), with the right claims.
    forged = tmp_path / "token"
    head = b'{"alg":"EdDSA","typ":"JWT","kid":"todo-stack"}'
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "k")],
                   check=True)
    now = int(time.time())
    body = json.dumps({"sub": "spiffe://public/ns/default/task-service",
                       "aud": "spiffe://localhost/ns/default/dapr-sentry",
                       "iat": now, "exp": now + 600}).encode()
    import base64

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=")
    signing = b64(head) + b"." + b64(body)
    (tmp_path / "in").write_bytes(signing)
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(tmp_path / "k"),
                          "-rawin", "-in", str(tmp_path / "in")],
                         check=True, capture_output=True).stdout
    forged.write_bytes(signing + b"." + b64(sig))
    rc, log = impostor("task-service", str(forged))
    assert rc != 0 and "PermissionDenied" in log, log[-2000:]
    # No token at all.
    empty = tmp_path / "none"
    empty.write_bytes(b"")
    rc, log = impostor("task-service", str(empty))
    assert rc != 0, log[-2000:]
    # The same sidecar with its own identity does start (control).
    env_token = os.path.join(RUN, "secrets", "sentry-token-task-service")
    assert os.path.getsize(env_token) > 0


def test_a_real_invocation_crosses_sidecars_over_mtls():
    """The gateway's sidecar calls task-service's with the gateway's own
    identity: the call answers, and task-service's sidecar saw a SPIFFE id
    (a refused path names it)."""
    user = new_user()
    r = invoke("api-gateway", "task-service", "POST", "/api/tasks",
               {**auth(user), "Content-Type": "application/json"},
               json.dumps({"title": "over mTLS"}).encode())
    assert r.status == 201, r.body
    task = r.json()
    assert eventually(lambda: any(e["key"] == task["id"] for e in kafka_events("task-created")))
    r = invoke("api-gateway", "task-service", "GET", "/metrics")
    assert r.status == 403
    assert b"spiffe://public/ns/default/api-gateway" in r.body

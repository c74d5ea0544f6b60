"""The gateway's proxy path holds no thread on the network. A gateway of the
test's own (one handler thread, the stack's Redis and sidecar for the rest)
is pointed straight at an upstream played by the test (TASK_SERVICE_URL):
it stalls every request for one task id for 5 s and answers the others at
once. Fifty stalled requests in flight do not hold up two hundred others;
a client that goes away has its upstream call cancelled; a queue full of
waiting requests answers 503 with Retry-After at once. A chunked answer
goes out whole with its length, a long one streams, an event stream passes
each event as it is written, and an answer cut short is a clean 502."""
import http.server
import json
import select
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import auth, eventually, new_user, own_gateway, request

STALL_ID = str(uuid.uuid4())
STALL_S = 10.0
CHUNKED_ID, CUT_ID, BIG_ID, SSE_ID = (str(uuid.uuid4()) for _ in range(4))
BIG = 600 * 1024  # past what the gateway gathers before it streams


class Upstream(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.stalled_now = 0
        self.stalled_max = 0
        self.abandoned = 0  # stalled calls whose connection the gateway closed

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def stall(self):
        """Waits STALL_S unless the gateway closes the connection first."""
        srv = self.server
        with srv.lock:
            srv.stalled_now += 1
            srv.stalled_max = max(srv.stalled_max, srv.stalled_now)
        try:
            end = time.monotonic() + STALL_S
            while time.monotonic() < end:
                r, _, _ = select.select([self.connection], [], [], 0.05)
                if r and self.connection.recv(1, socket.MSG_PEEK) == b"":
                    with srv.lock:
                        srv.abandoned += 1
                    return False
            return True
        finally:
            with srv.lock:
                srv.stalled_now -= 1

    def chunked(self, content_type, parts, end=True, pause=0.0):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
            time.sleep(pause)
        if end:
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.close_connection = True  # the peer dies mid-answer

    def do_GET(self):
        if STALL_ID in self.path and not self.stall():
            self.close_connection = True
            return
        if CHUNKED_ID in self.path:
            return self.chunked("application/json", [b'{"id": "%s",' % CHUNKED_ID.encode(),
                                                     b' "title": "in chunks"}'])
        if CUT_ID in self.path:
            return self.chunked("application/json", [b'{"id": "half'], end=False)
        if BIG_ID in self.path:
            return self.chunked("application/octet-stream", [b"x" * (BIG // 8)] * 8)
        if SSE_ID in self.path:
            return self.chunked("text/event-stream", [b"data: one\n\n", b"data: two\n\n"],
                                pause=3.0)
        body = json.dumps({"id": self.path.rsplit("/", 1)[-1], "title": "from upstream"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", '"1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def upstream():
    srv = Upstream()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def gateway(upstream):
    # One handler thread: with the old blocking proxy a single stalled
    # request would have held every other one.
    with own_gateway(TASK_SERVICE_URL=upstream.url, HTTP_WORKERS="1",
                     UPSTREAM_MAX_CONNS="256", UPSTREAM_TIMEOUT_MS="20000") as (url, *_):
        yield url


def get(base, task_id, headers, timeout=30):
    return request("GET", f"{base}/api/tasks/{task_id}", headers=headers, timeout=timeout)


def test_stalled_upstream_calls_hold_up_nothing(gateway, upstream):
    h = auth(new_user())
    with ThreadPoolExecutor(max_workers=50) as slow, ThreadPoolExecutor(max_workers=16) as fast:
        started = time.monotonic()
        stalled = [slow.submit(get, gateway, STALL_ID, h) for _ in range(50)]
        assert eventually(lambda: upstream.stalled_now == 50, timeout=10), upstream.stalled_now
        # Two hundred others, while all fifty wait.
        t0 = time.monotonic()
        quick = list(fast.map(lambda _: get(gateway, uuid.uuid4(), h), range(200)))
        quick_s = time.monotonic() - t0
        assert all(r.status == 200 for r in quick), [r.status for r in quick if r.status != 200]
        assert all(r.json()["title"] == "from upstream" for r in quick)
        assert all(r.headers.get("ETag") == '"1"' for r in quick)
        assert not any(f.done() for f in stalled), "the stalled calls are still waiting"
        assert quick_s < STALL_S, f"200 requests took {quick_s:.1f}s behind the stalled ones"
        results = [f.result() for f in stalled]
        waited = time.monotonic() - started
    assert all(r.status == 200 for r in results)
    assert upstream.stalled_max == 50
    assert waited >= STALL_S
    print(f"200 requests in {quick_s:.2f}s while 50 upstream calls stalled {STALL_S:.0f}s")


def test_a_client_that_leaves_cancels_its_upstream_call(gateway, upstream):
    h = auth(new_user())
    before = upstream.abandoned
    host, port = gateway.rsplit("/", 1)[-1].split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(f"GET /api/tasks/{STALL_ID} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: {h['Authorization']}\r\n\r\n".encode())
        assert eventually(lambda: upstream.stalled_now >= 1, timeout=10)
    # The gateway noticed the client leave and closed its upstream call
    # long before the stall would have ended.
    assert eventually(lambda: upstream.abandoned > before, timeout=STALL_S - 1)


def test_a_full_upstream_queue_answers_503_at_once(upstream):
    with own_gateway(TASK_SERVICE_URL=upstream.url, UPSTREAM_MAX_CONNS="2",
                     UPSTREAM_MAX_QUEUED="2", UPSTREAM_TIMEOUT_MS="20000") as (url, *_):
        h = auth(new_user())
        with ThreadPoolExecutor(max_workers=8) as pool:
            waiting = [pool.submit(get, url, STALL_ID, h) for _ in range(4)]
            assert eventually(lambda: upstream.stalled_now >= 2, timeout=10)
            time.sleep(0.3)  # the other two are queued in the gateway
            t0 = time.monotonic()
            r = get(url, STALL_ID, h)
            assert time.monotonic() - t0 < 1.0
            assert r.status == 503, r.body
            assert r.headers["Retry-After"] == "1"
            assert r.json()["error"]["code"] == "unavailable"
            assert all(f.result().status == 200 for f in waiting)


def test_a_chunked_answer_goes_out_whole_with_its_length(gateway):
    h = auth(new_user())
    r = get(gateway, CHUNKED_ID, h)
    assert r.status == 200, r.body
    assert r.json() == {"id": CHUNKED_ID, "title": "in chunks"}
    assert r.headers["Content-Length"] == str(len(r.body))
    assert "Transfer-Encoding" not in r.headers


def test_a_long_answer_streams_whole(gateway):
    h = auth(new_user())
    r = get(gateway, BIG_ID, h)
    assert r.status == 200
    assert r.body == b"x" * BIG


def test_an_answer_cut_short_is_a_clean_502(gateway):
    h = auth(new_user())
    r = get(gateway, CUT_ID, h)
    assert r.status == 502, r.body
    assert r.json()["error"]["code"]


def test_an_event_stream_passes_each_event_as_it_comes(gateway):
    h = auth(new_user())
    host, port = gateway.rsplit("/", 1)[-1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET /api/tasks/{SSE_ID} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                  f"Authorization: {h['Authorization']}\r\n\r\n".encode())
        t0 = time.monotonic()
        got = b""
        while b"data: one" not in got:
            chunk = s.recv(4096)
            assert chunk, got
            got += chunk
        # The first event is here while the upstream waits 3 s before the
        # second.
        assert time.monotonic() - t0 < 2.5, got
        assert b"data: two" not in got

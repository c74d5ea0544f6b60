"""Every service keeps an idle keep-alive connection open longer than its
sidecar does (daprd sends to its app through Go's HTTP transport, which
drops idle connections after 90 s): the client, never the server, closes an
idle connection. A server that closed first could do so just as daprd wrote
its next request on it, and Go does not retry a POST: the caller got a 500.
(At 60 s, a Go client's POSTs within 20 ms of the mark failed 6 times in 200.)"""
import http.client
import socket
import time

from conftest import service_url

SERVICES = ("api-gateway", "task-service", "ai-agent", "reminder-service",
            "recurrence-service", "notifier")
SIDECAR_IDLE_S = 90  # Go's http.DefaultTransport IdleConnTimeout


def still_open(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True  # nothing to read, not closed
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_an_idle_connection_outlives_the_sidecars_idle_time():
    conns = {}
    for name in SERVICES:
        host, port = service_url(name).split("//", 1)[1].rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=15)
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        assert r.status == 200 and not r.will_close, name
        conns[name] = c
    time.sleep(SIDECAR_IDLE_S + 1)
    closed = [name for name, c in conns.items() if not still_open(c.sock)]
    assert closed == [], f"closed an idle connection before {SIDECAR_IDLE_S} s: {closed}"
    for name, c in conns.items():
        c.request("GET", "/healthz")  # on the same connection
        r = c.getresponse()
        r.read()
        assert r.status == 200, name
        c.close()

"""The MCP endpoint and personal API tokens, on the real stack through the
gateway: the official MCP SDK clients (Python, PyPI "mcp"; TypeScript, npm
"@modelcontextprotocol/sdk", on the machine's node) connect with a personal
API token, list the tools, call each, get JSON-RPC errors for bad arguments
and unknown tools, and are refused once the token is revoked. Tokens are
shown once, stored hashed, scoped and expiring."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import GATEWAY, ROOT, bearer, psql, register, request

MCP = GATEWAY + "/api/mcp"
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def clients():
    """Where the SDK clients are (installed once, cached)."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "mcp-clients.sh")], capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def run_python(clients, token, scenario="tools"):
    out = subprocess.run([clients["MCP_PYTHON"], os.path.join(HERE, "mcp", "client.py"), MCP,
                          token, scenario], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip(), out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_node(clients, token, scenario="tools"):
    out = subprocess.run(["node", os.path.join(HERE, "mcp", "client.mjs"), MCP, token, scenario],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "MCP_NODE_DIR": clients["MCP_NODE_DIR"]})
    assert out.stdout.strip(), out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def new_token(access, **body):
    r = request("POST", GATEWAY + "/api/auth/tokens", {"name": "an agent", **body},
                bearer(access))
    assert r.status == 201, r.body
    return r.json()


TOOLS = ["add_task", "complete_task", "delete_task", "list_tasks", "reopen_task",
         "search_tasks", "update_task"]


def check_tools_run(out, title):
    assert "failure" not in out, out
    assert out["server"] == "todo-ai-agent" and out["ping"] is True
    assert out["protocol_version"] == "2025-11-25"
    assert out["tools"] == TOOLS
    calls = out["calls"]
    for name in TOOLS:
        assert calls[name]["isError"] is False, (name, calls[name])
    task = calls["add_task"]["structured"]["task"]
    assert task["title"] == title
    assert [t["id"] for t in calls["list_tasks"]["structured"]["items"]] == [task["id"]]
    assert [t["id"] for t in calls["search_tasks"]["structured"]["items"]] == [task["id"]]
    assert calls["complete_task"]["structured"]["task"]["status"] == "completed"
    assert calls["reopen_task"]["structured"]["task"]["status"] == "pending"
    assert calls["delete_task"]["structured"]["deleted"] is True
    bad, unknown = out["errors"]["bad_arguments"], out["errors"]["unknown_tool"]
    assert bad["code"] == -32602 and bad["data"]["field"], bad
    assert unknown["code"] == -32602 and "drop_tables" in unknown["message"], unknown
    return task


def test_the_python_sdk_manages_tasks_with_a_personal_token(clients):
    acct = register()
    tok = new_token(acct["access_token"])
    out = run_python(clients, tok["token"])
    task = check_tools_run(out, "Write the MCP report")
    assert out["calls"]["update_task"]["structured"]["task"]["priority"] == "low"
    assert out["calls"]["update_task"]["structured"]["task"]["tags"] == ["work", "q2"]
    assert out["calls"]["missing_task"]["isError"] is True
    assert "no open task" in out["calls"]["missing_task"]["text"]
    assert out["errors"]["bad_arguments"]["data"]["field"] in ("title", "priority")
    # As the user: the task was theirs, and is gone now.
    assert psql("SELECT user_id FROM tasks.tasks WHERE id = :'p1'", task["id"]) == []
    assert task["user_id"] == acct["user"]["id"]


def test_the_typescript_sdk_manages_tasks_with_a_personal_token(clients):
    acct = register()
    tok = new_token(acct["access_token"])
    out = run_node(clients, tok["token"])
    check_tools_run(out, "Review the TS client")
    assert out["calls"]["update_task"]["structured"]["task"]["due_at"] is None
    assert out["errors"]["bad_arguments"]["data"]["field"] == "task_id"


def test_a_revoked_token_is_refused_at_once(clients):
    acct = register()
    h = bearer(acct["access_token"])
    tok = new_token(acct["access_token"])
    assert run_python(clients, tok["token"], "ping").get("ping") is True
    assert request("GET", GATEWAY + "/api/tasks", None, bearer(tok["token"])).status == 200
    r = request("DELETE", GATEWAY + "/api/auth/tokens/" + tok["id"], None, h)
    assert r.status == 204, r.body
    out = run_python(clients, tok["token"], "ping")
    assert "ping" not in out and out["statuses"] == [401], out
    assert run_node(clients, tok["token"], "ping").get("status") == 401, "node"
    for path in ("/api/tasks", "/api/mcp", "/api/conversations"):
        r = request("GET", GATEWAY + path, None, bearer(tok["token"]))
        assert r.status == 401 and r.json()["error"]["code"] == "unauthenticated", (path, r.body)
    assert request("DELETE", GATEWAY + "/api/auth/tokens/" + tok["id"], None, h).status == 404


def test_tokens_are_shown_once_stored_hashed_and_listed():
    acct = register()
    h = bearer(acct["access_token"])
    tok = new_token(acct["access_token"], scopes=["mcp", "tasks:read"], expires_in_days=7)
    assert tok["token"].startswith("tdp_") and len(tok["token"]) == 47
    assert tok["scopes"] == ["tasks:read", "mcp"] and tok["last_used_at"] is None
    rows = psql("SELECT token_hash FROM auth.api_tokens WHERE id = :'p1'", tok["id"])
    import hashlib
    assert rows == [[hashlib.sha256(tok["token"].encode()).hexdigest()]]
    assert request("GET", GATEWAY + "/api/tasks", None, bearer(tok["token"])).status == 200
    listed = request("GET", GATEWAY + "/api/auth/tokens", None, h).json()["items"]
    assert [t["id"] for t in listed] == [tok["id"]]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None
    assert listed[0]["expires_at"] == tok["expires_at"]
    # Another user sees none of them and cannot revoke them.
    other = register()
    assert request("GET", GATEWAY + "/api/auth/tokens", None,
                   bearer(other["access_token"])).json() == {"items": []}
    assert request("DELETE", GATEWAY + "/api/auth/tokens/" + tok["id"], None,
                   bearer(other["access_token"])).status == 404
    # A personal token cannot manage tokens.
    for method, body in (("GET", None), ("POST", {"name": "more"})):
        r = request(method, GATEWAY + "/api/auth/tokens", body, bearer(tok["token"]))
        assert r.status == 403, r.body
    for body, field in (({}, "name"), ({"name": ""}, "name"), ({"name": "x", "scopes": ["root"]},
                                                               "scopes"),
                        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
                        ({"name": "x", "extra": True}, "extra")):
        r = request("POST", GATEWAY + "/api/auth/tokens", body, h)
        assert r.status == 400 and r.json()["error"]["field"] == field, (body, r.body)


def test_scopes_bound_what_a_token_does():
    acct = register()
    tok = new_token(acct["access_token"], scopes=["mcp", "tasks:read"])
    pat = bearer(tok["token"])
    assert request("GET", GATEWAY + "/api/tasks", None, pat).status == 200
    r = request("POST", GATEWAY + "/api/tasks", {"title": "nope"}, pat)
    assert r.status == 403 and "tasks:write" in r.json()["error"]["message"], r.body
    r = request("POST", GATEWAY + "/api/chat", {"message": "show my tasks"}, pat)
    assert r.status == 403 and "chat" in r.json()["error"]["message"], r.body
    # Through MCP: reading works, changing is refused as a tool error.
    r = _rpc(tok["token"], {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                       "clientInfo": {"name": "raw", "version": "1"}}})
    session = r.headers["Mcp-Session-Id"]

    def tool(name, args):
        r = _rpc(tok["token"], {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                "params": {"name": name, "arguments": args}},
                 session, "2025-11-25")
        assert r.status == 200, r.body
        return r.json()["result"]
    assert tool("list_tasks", {})["isError"] is False
    refused = tool("add_task", {"title": "nope"})
    assert refused["isError"] is True and "tasks:write" in refused["content"][0]["text"]
    assert request("GET", GATEWAY + "/api/tasks", None, pat).json()["items"] == []


def test_an_expired_token_is_refused():
    acct = register()
    tok = new_token(acct["access_token"])
    psql("UPDATE auth.api_tokens SET expires_at = now() - interval '1 second' WHERE id = :'p1'",
         tok["id"])
    r = request("GET", GATEWAY + "/api/tasks", None, bearer(tok["token"]))
    assert r.status == 401, r.body
    r = request("GET", GATEWAY + "/api/tasks", None, bearer("tdp_" + "A" * 43))
    assert r.status == 401, r.body


def _rpc(token, body, session=None, version=None):
    h = {**bearer(token), "Accept": "application/json, text/event-stream"}
    if session:
        h["Mcp-Session-Id"] = session
    if version:
        h["MCP-Protocol-Version"] = version
    return request("POST", MCP, body, h)


def test_a_session_is_bound_to_its_user():
    a, b = register(), register()
    r = _rpc(a["access_token"], {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                 "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                            "clientInfo": {"name": "raw", "version": "1"}}})
    assert r.status == 200, r.body
    session = r.headers["Mcp-Session-Id"]
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    assert _rpc(a["access_token"], ping, session, "2025-06-18").status == 200
    assert _rpc(b["access_token"], ping, session, "2025-06-18").status == 404
    assert _rpc(a["access_token"], ping, None, "2025-06-18").status == 400
    r = request("GET", MCP, None, {**bearer(a["access_token"]), "Mcp-Session-Id": session,
                                   "Accept": "text/event-stream"})
    assert r.status == 405 and r.headers.get("Allow") == "POST"
    bad = _rpc(a["access_token"], {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                                   "params": {"name": "add_task", "arguments": {"title": 5}}},
               session, "2025-06-18")
    assert bad.status == 200 and bad.json()["error"]["code"] == -32602
    assert uuid.UUID(a["user"]["id"])

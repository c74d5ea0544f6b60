"""The model path: ai-agent pointed at an OpenAI-compatible Chat Completions
server that the test scripts (a provider cannot be reached from here; it is
the one outside paid service a test may stand in for). The same client
code would talk to a real provider. The scripted server answers tool
calls, malformed calls, a call to an unknown tool, a 429 then success, and
silence; the tests check what ran against the real task-service and what
the user was told, and that the API key (from the Dapr secret store) goes
to the provider only, never to a log or an answer."""
import contextlib
import glob
import http.server
import json
import os
import queue
import threading
import time
import uuid

import pytest

from conftest import (GATEWAY, RUN, auth, new_user, own_service, request, settle_routing,
                      stack)


def llm_key():
    with open(os.path.join(RUN, "secrets", "dapr-secrets.json")) as f:
        return json.load(f)["llm-api-key"]


class Provider:
    """A Chat Completions endpoint on 127.0.0.1 answering from a script:
    each entry is a dict {"status", "body", "headers", "delay"} or a
    message dict (a 200 answer with that assistant message)."""

    def __init__(self):
        self.script = queue.Queue()
        self.requests = []
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                provider.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": json.loads(body)})
                try:
                    step = provider.script.get_nowait()
                except queue.Empty:
                    step = {"status": 500, "body": {"error": {"message": "script ran out"}}}
                if "role" in step:
                    step = {"body": {"id": "chatcmpl-" + uuid.uuid4().hex, "object": "chat.completion",
                                     "model": "scripted", "choices": [
                                         {"index": 0, "message": step,
                                          "finish_reason": "tool_calls" if step.get("tool_calls")
                                          else "stop"}]}}
                time.sleep(step.get("delay", 0))
                data = json.dumps(step.get("body", {})).encode()
                try:
                    self.send_response(step.get("status", 200))
                    for k, v in step.get("headers", {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def then(self, *steps):
        for s in steps:
            self.script.put(s)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def call(name, args, raw=None):
    return {"id": "call_" + uuid.uuid4().hex[:8], "type": "function",
            "function": {"name": name, "arguments": raw if raw is not None else json.dumps(args)}}


def assistant(text=None, calls=()):
    m = {"role": "assistant", "content": text}
    if calls:
        m["tool_calls"] = list(calls)
    return m


@pytest.fixture(scope="module")
def provider():
    p = Provider()
    yield p
    p.close()


@pytest.fixture(scope="module")
def agent(provider):
    """An ai-agent of its own, on the stack's sidecar and database, with the
    model settings pointing at the scripted provider."""
    with own_service("ai-agent", LLM_BASE_URL=provider.url, LLM_MODEL="scripted-model",
                     LLM_API_KEY_SECRET="llm-api-key", LLM_TIMEOUT_MS="1000",
                     LLM_BACKOFF_MS="100", LLM_BACKOFF_MAX_MS="400", LLM_MAX_ATTEMPTS="3",
                     TURN_BUDGET_MS="8000", LOG_LEVEL="debug") as (url, log_path, _):
        yield {"url": url, "log": log_path, "port": int(url.rsplit(":", 1)[1])}


@pytest.fixture
def fresh(provider):
    provider.requests.clear()
    while not provider.script.empty():
        provider.script.get_nowait()
    return provider


answers = []  # every answer body, searched for the key at the end


def chat(agent, h, message, conv=None, timeout=30):
    body = {"message": message, "time_zone": "Europe/Paris"}
    if conv:
        body["conversation_id"] = conv
    r = request("POST", agent["url"] + "/api/chat", body, h, timeout=timeout)
    answers.append(r.body)
    assert r.status == 200, r.body
    return r.json()


def tasks_of(h):
    return request("GET", GATEWAY + "/api/tasks?limit=200", None, h).json()["items"]


def test_tool_calls_run_as_the_user_and_results_go_back_to_the_model(agent, fresh):
    h = auth(new_user())
    add = call("add_task", {"title": "call mom", "priority": "high",
                            "due_at": "2026-12-24T18:00:00+01:00"})
    fresh.then(assistant(None, [add]),
               assistant("I added “call mom” for Christmas Eve at 18:00."))
    a = chat(agent, h, "remind me to call mom on christmas eve at 6pm, it's important")
    assert a["reply"] == "I added “call mom” for Christmas Eve at 18:00."
    assert [c["name"] for c in a["tool_calls"]] == ["add_task"]
    assert a["tool_calls"][0]["error"] is None and a["tasks_changed"] is True
    [task] = tasks_of(h)
    assert (task["title"], task["priority"], task["due_at"]) == (
        "call mom", "high", "2026-12-24T17:00:00+00:00")
    assert a["tool_calls"][0]["result"]["task"]["id"] == task["id"]
    first, second = fresh.requests
    assert first["path"] == "/v1/chat/completions"
    assert first["headers"]["Authorization"] == "Bearer " + llm_key()
    b = first["body"]
    assert b["model"] == "scripted-model"
    assert {t["function"]["name"] for t in b["tools"]} == {
        "add_task", "list_tasks", "search_tasks", "update_task", "delete_task",
        "complete_task", "reopen_task"}
    assert b["messages"][0]["role"] == "system" and "Europe/Paris" in b["messages"][0]["content"]
    assert b["messages"][-1] == {"role": "user",
                                 "content": "remind me to call mom on christmas eve at 6pm, it's important"}
    tool_msg = second["body"]["messages"][-1]
    assert tool_msg["role"] == "tool"
    assert tool_msg["tool_call_id"] == add["id"]
    assert json.loads(tool_msg["content"])["task"]["id"] == task["id"]

    # The next turn sends the history back, and "it" is the task touched.
    fresh.requests.clear()
    fresh.then(assistant(None, [call("complete_task", {"task_id": task["id"]})]),
               assistant("Done."))
    a2 = chat(agent, h, "done with it", a["conversation_id"])
    assert a2["reply"] == "Done."
    sent = fresh.requests[0]["body"]["messages"]
    assert {"role": "user",
            "content": "remind me to call mom on christmas eve at 6pm, it's important"} in sent
    assert {"role": "assistant", "content": "I added “call mom” for Christmas Eve at 18:00."} in sent
    assert task["id"] in sent[0]["content"]  # the task last touched, in the system prompt
    assert tasks_of(h)[0]["status"] == "completed"


def test_malformed_and_invalid_calls_are_never_run(agent, fresh):
    h = auth(new_user())
    fresh.then(assistant(None, [call("add_task", None, raw="{\"title\": \"oops"),
                                call("add_task", {"title": "x", "priority": "urgent"})]),
               assistant("Sorry, I could not add that."))
    a = chat(agent, h, "add something urgent")
    assert a["reply"] == "Sorry, I could not add that."
    assert a["tasks_changed"] is False
    assert [c["error"]["code"] for c in a["tool_calls"]] == ["invalid_argument", "invalid_argument"]
    assert tasks_of(h) == []
    tool_msgs = [m for m in fresh.requests[1]["body"]["messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 2
    assert "not a JSON object" in tool_msgs[0]["content"]
    assert "priority" in tool_msgs[1]["content"] and "Nothing was done" in tool_msgs[1]["content"]


def test_an_unknown_tool_changes_nothing(agent, fresh):
    h = auth(new_user())
    request("POST", GATEWAY + "/api/tasks", {"title": "keep me"}, h)
    fresh.then(assistant(None, [call("drop_all_tasks", {})]),
               assistant("I cannot do that."))
    a = chat(agent, h, "delete everything")
    assert a["reply"] == "I cannot do that."
    assert a["tool_calls"][0]["name"] == "drop_all_tasks"
    assert a["tool_calls"][0]["error"]["code"] == "not_found"
    assert [t["title"] for t in tasks_of(h)] == ["keep me"]
    tool_msg = fresh.requests[1]["body"]["messages"][-1]
    assert "There is no tool named" in tool_msg["content"]


def test_a_429_is_retried_after_its_retry_after(agent, fresh):
    h = auth(new_user())
    fresh.then({"status": 429, "headers": {"Retry-After": "1"},
                "body": {"error": {"message": "Rate limit reached for scripted-model"}}},
               assistant("Hello! What shall I do?"))
    t0 = time.time()
    a = chat(agent, h, "hi there")
    assert a["reply"] == "Hello! What shall I do?"
    assert len(fresh.requests) == 2
    assert time.time() - t0 >= 0.9  # Retry-After honoured


def test_a_provider_that_keeps_failing_gets_a_plain_error_and_the_conversation_stays(agent, fresh):
    h = auth(new_user())
    fresh.then(*[{"status": 429, "body": {"error": {"message": "quota " + llm_key()}}}] * 3)
    a = chat(agent, h, "hi")
    assert "rate limited" in a["reply"] and "quota" not in a["reply"]
    assert len(fresh.requests) == 3  # LLM_MAX_ATTEMPTS
    conv = request("GET", agent["url"] + "/api/conversations/" + a["conversation_id"], None, h)
    assert [m["role"] for m in conv.json()["messages"]] == ["user", "assistant"]
    assert conv.json()["messages"][1]["content"] == a["reply"]


def test_a_silent_provider_times_out_within_the_turn(agent, fresh):
    h = auth(new_user())
    fresh.then(*[{"delay": 3, **{"body": {}}}] * 5)
    t0 = time.time()
    a = chat(agent, h, "show my tasks")
    took = time.time() - t0
    assert "did not answer in time" in a["reply"]
    assert a["tool_calls"] == [] and a["tasks_changed"] is False
    assert 2.5 <= took < 9, took  # 3 attempts of 1 s with backoff, within the 8 s budget
    assert len(fresh.requests) == 3


def test_a_tool_that_ran_before_the_model_failed_is_named(agent, fresh):
    h = auth(new_user())
    fresh.then(assistant(None, [call("add_task", {"title": "half a turn"})]),
               *[{"status": 503, "body": {}}] * 3)
    a = chat(agent, h, "add half a turn")
    assert "Already done: add_task" in a["reply"]
    assert [t["title"] for t in tasks_of(h)] == ["half a turn"]
    assert a["tasks_changed"] is True


@contextlib.contextmanager
def scripted_replica(provider):
    """ai-agent's second replica (its own sidecar, app id ai-agent) with the
    model settings, in place of the first: the stack's gateway reaches it
    through both sidecars, as any chat request."""
    env_dir = os.path.join(RUN, "env")
    os.makedirs(env_dir, exist_ok=True)
    with open(os.path.join(env_dir, "ai-agent-2.env"), "w") as f:
        f.write(f"LLM_BASE_URL={provider.url}\nLLM_MODEL=scripted-model\n"
                "LLM_API_KEY_SECRET=llm-api-key\nLLM_TIMEOUT_MS=5000\n")
    stack("start", "ai-agent-2")
    stack("stop", "ai-agent")
    stack("stop", "ai-agent-daprd")
    try:
        settle_routing(GATEWAY + "/api/conversations", auth(new_user()))
        yield
    finally:
        os.remove(os.path.join(env_dir, "ai-agent-2.env"))
        stack("stop", "ai-agent-2-daprd")
        stack("stop", "ai-agent-2")
        stack("start", "ai-agent")
        settle_routing(GATEWAY + "/api/conversations", auth(new_user()))


def test_the_turn_streams_through_the_gateway_and_sidecars_as_it_happens(fresh):
    """Each event reaches the client when it happens, through the gateway
    and both sidecars: the tool's events arrive while the model still
    thinks about its answer."""
    h = auth(new_user())
    with scripted_replica(fresh):
        fresh.then(assistant(None, [call("add_task", {"title": "stream me"})]),
                   {"delay": 2, "body": {"choices": [{"index": 0, "finish_reason": "stop",
                                                      "message": assistant("Added it.")}]}})
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", int(GATEWAY.rsplit(":", 1)[1]), timeout=30)
        t0 = time.time()
        c.request("POST", "/api/chat", json.dumps({"message": "add stream me"}),
                  {**h, "Content-Type": "application/json", "Accept": "text/event-stream"})
        resp = c.getresponse()
        assert resp.status == 200, resp.read()
        seen = []
        while True:
            line = resp.readline().decode()
            if not line:
                break
            if line.startswith("event: "):
                seen.append((line[7:].strip(), time.time() - t0))
        c.close()
    names = [n for n, _ in seen]
    assert names[0] == "tool_call" and names[-1] == "done", names
    at = dict(seen)
    assert at["done"] - at["tool_result"] >= 1.5, seen  # not held back until the end
    assert [t["title"] for t in tasks_of(h)] == ["stream me"]


def test_the_api_key_is_in_no_log_and_no_answer(agent):
    key = llm_key()
    assert key.startswith("sk-test-")
    for body in answers:
        assert key.encode() not in body
    for path in glob.glob(os.path.join(RUN, "logs", "*.log")):
        with open(path, "rb") as f:
            assert key.encode() not in f.read(), path
    assert key not in request("GET", agent["url"] + "/metrics").body.decode()

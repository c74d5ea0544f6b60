"""Drives /api/mcp with the official MCP Python SDK (PyPI "mcp"), as an
outside agent would: run with the SDK's venv (scripts/mcp-clients.sh) as
    client.py URL TOKEN SCENARIO
and prints one JSON object with what it saw. Scenarios: "tools" (initialize,
list the tools, call each one, bad arguments, an unknown tool) and "ping"
(initialize and ping: a token that is refused shows up as an error)."""
import asyncio
import json
import sys

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError


def text_of(result):
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def outcome(result):
    return {"isError": bool(result.is_error), "text": text_of(result),
            "structured": result.structured_content}


async def tools(session, out):
    listed = await session.list_tools()
    out["tools"] = sorted(t.name for t in listed.tools)
    out["input_schemas"] = {t.name: t.input_schema for t in listed.tools}
    calls = out["calls"] = {}
    r = await session.call_tool("add_task", {"title": "Write the MCP report", "priority": "high",
                                             "due_at": "2030-05-01T09:00:00+02:00",
                                             "tags": ["work"]})
    calls["add_task"] = outcome(r)
    task_id = r.structured_content["task"]["id"]
    calls["list_tasks"] = outcome(await session.call_tool("list_tasks", {"status": "pending"}))
    calls["search_tasks"] = outcome(await session.call_tool("search_tasks", {"q": "mcp report"}))
    calls["update_task"] = outcome(await session.call_tool(
        "update_task", {"task_id": task_id, "changes": {"priority": "low"}, "add_tags": ["q2"]}))
    calls["complete_task"] = outcome(await session.call_tool("complete_task",
                                                             {"title": "write the mcp report"}))
    calls["reopen_task"] = outcome(await session.call_tool("reopen_task", {"task_id": task_id}))
    calls["delete_task"] = outcome(await session.call_tool("delete_task", {"task_id": task_id}))
    calls["missing_task"] = outcome(await session.call_tool("complete_task",
                                                            {"title": "no such task anywhere"}))
    errors = out["errors"] = {}
    for name, args in (("bad_arguments", ("add_task", {"title": "", "priority": "urgent"})),
                       ("unknown_tool", ("drop_tables", {}))):
        try:
            r = await session.call_tool(*args)
            errors[name] = {"result": outcome(r)}
        except MCPError as e:
            errors[name] = {"code": e.code, "message": e.message, "data": e.data}


async def main(url, token, scenario):
    out = {}
    client = create_mcp_http_client(headers={"Authorization": "Bearer " + token})
    statuses = out["statuses"] = []

    async def seen(response):
        statuses.append(response.status_code)
    client.event_hooks["response"].append(seen)
    try:
        async with client:
            async with streamable_http_client(url, http_client=client) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    out["protocol_version"] = init.protocol_version
                    out["server"] = init.server_info.name
                    await session.send_ping()
                    out["ping"] = True
                    if scenario == "tools":
                        await tools(session, out)
    except BaseException as e:  # noqa: BLE001 - the test reads what failed
        out["failure"] = repr(e)
        out["status"] = None
        seen, todo = set(), [e]
        while todo:
            exc = todo.pop()
            if exc is None or id(exc) in seen:
                continue
            seen.add(id(exc))
            if isinstance(exc, httpx2.HTTPStatusError):
                out["status"] = exc.response.status_code
            todo += list(getattr(exc, "exceptions", ())) + [exc.__cause__, exc.__context__]
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))

// Drives /api/mcp with the official MCP TypeScript SDK
// (@modelcontextprotocol/sdk), as an outside agent would. Run with node
// from a folder whose node_modules holds the SDK (scripts/mcp-clients.sh):
//   NODE_PATH=<dir>/node_modules node client.mjs URL TOKEN SCENARIO
// Prints one JSON object with what it saw; scenarios as in client.py.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.MCP_NODE_DIR, "package.json"));
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

const [url, token, scenario] = process.argv.slice(2);
const out = {};

function outcome(r) {
  return {
    isError: Boolean(r.isError),
    text: (r.content || []).filter((c) => c.type === "text").map((c) => c.text).join(""),
    structured: r.structuredContent ?? null,
  };
}

async function tools(client) {
  const listed = await client.listTools();
  out.tools = listed.tools.map((t) => t.name).sort();
  const calls = (out.calls = {});
  const added = await client.callTool({
    name: "add_task",
    arguments: { title: "Review the TS client", tags: ["work"], due_at: "2030-06-01T10:00:00Z" },
  });
  calls.add_task = outcome(added);
  const id = added.structuredContent.task.id;
  calls.list_tasks = outcome(await client.callTool({ name: "list_tasks", arguments: { tag: ["work"] } }));
  calls.search_tasks = outcome(await client.callTool({ name: "search_tasks", arguments: { q: "ts client" } }));
  calls.update_task = outcome(await client.callTool({
    name: "update_task", arguments: { title: "review the ts client", changes: { due_at: null } },
  }));
  calls.complete_task = outcome(await client.callTool({ name: "complete_task", arguments: { task_id: id } }));
  calls.reopen_task = outcome(await client.callTool({ name: "reopen_task", arguments: { task_id: id } }));
  calls.delete_task = outcome(await client.callTool({ name: "delete_task", arguments: { task_id: id } }));
  out.errors = {};
  for (const [name, call] of [
    ["bad_arguments", { name: "update_task", arguments: { task_id: "not-a-uuid", changes: { priority: "top" } } }],
    ["unknown_tool", { name: "drop_tables", arguments: {} }],
  ]) {
    try {
      out.errors[name] = { result: outcome(await client.callTool(call)) };
    } catch (e) {
      out.errors[name] = { code: e.code, message: e.message, data: e.data ?? null };
    }
  }
}

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "todo-system-test", version: "1.0.0" });
try {
  await client.connect(transport);
  out.protocol_version = transport.protocolVersion ?? null;
  out.server = client.getServerVersion()?.name ?? null;
  await client.ping();
  out.ping = true;
  if (scenario === "tools") await tools(client);
  await client.close();
} catch (e) {
  out.failure = String(e);
  out.status = e.code ?? null;
}
console.log(JSON.stringify(out));

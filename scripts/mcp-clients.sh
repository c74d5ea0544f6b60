#!/usr/bin/env bash
# The official MCP SDK clients the system tests drive /api/mcp with: the
# Python SDK (PyPI "mcp") in a venv and the TypeScript SDK (npm
# "@modelcontextprotocol/sdk") in a folder of its own, both cached under
# ~/.cache/todo-suite and made once per pinned version. Prints two lines:
#   MCP_PYTHON=<the venv's python>
#   MCP_NODE_DIR=<the folder whose node_modules holds the SDK>
set -euo pipefail
MCP_PY_VERSION=2.3.0
MCP_TS_VERSION=1.32.2
CACHE="${TODO_CACHE:-$HOME/.cache/todo-suite}"
VENV="$CACHE/mcp-python-$MCP_PY_VERSION"
NODE_DIR="$CACHE/mcp-node-$MCP_TS_VERSION"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { echo "mcp-clients: $*" >&2; }

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import mcp' 2>/dev/null; then
  log "installing the MCP Python SDK $MCP_PY_VERSION into $VENV"
  if ! /usr/bin/python3 -m venv --help >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  rm -rf "$VENV.tmp"
  /usr/bin/python3 -m venv "$VENV.tmp"
  PIP_CACHE_DIR="$CACHE/pip" "$VENV.tmp/bin/pip" install -q --disable-pip-version-check \
    "mcp==$MCP_PY_VERSION" >&2
  rm -rf "$VENV"
  mv "$VENV.tmp" "$VENV"
  # The venv's scripts name their folder: made anew where it now lies.
  /usr/bin/python3 -m venv --upgrade "$VENV" >/dev/null
fi

if [ ! -f "$NODE_DIR/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
  log "installing the MCP TypeScript SDK $MCP_TS_VERSION into $NODE_DIR"
  if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  rm -rf "$NODE_DIR.tmp"
  mkdir -p "$NODE_DIR.tmp"
  (cd "$NODE_DIR.tmp" && echo '{"name":"todo-mcp-client","private":true,"type":"module"}' > package.json &&
    npm install --silent --no-audit --no-fund --cache "$CACHE/npm" \
      "@modelcontextprotocol/sdk@$MCP_TS_VERSION" >&2)
  rm -rf "$NODE_DIR"
  mv "$NODE_DIR.tmp" "$NODE_DIR"
fi

echo "MCP_PYTHON=$VENV/bin/python"
echo "MCP_NODE_DIR=$NODE_DIR"

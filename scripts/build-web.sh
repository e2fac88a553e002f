#!/usr/bin/env bash
# Builds the web app (packages/app, Expo's web export) into a folder a server can serve.
#
#   scripts/build-web.sh [OUT]           build into OUT (default packages/app/dist) unless it is current
#   scripts/build-web.sh --check [OUT]   exit 0 when OUT is current, 1 when it needs a build
#
# Current means OUT/index.html is newer than every source the bundle is made from (the app, core,
# the lockfile). Node 22 comes from scripts/ensure-node.sh; dependencies are installed with `npm ci`
# when they are missing. Expo runs offline (no telemetry, no registry lookups).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
check=false
if [[ ${1:-} == --check ]]; then check=true; shift; fi
out=${1:-$repo/packages/app/dist}
[[ $# -le 1 ]] || { echo "usage: build-web.sh [--check] [OUT]" >&2; exit 2; }
[[ $out == /* ]] || out=$PWD/$out

current() {
	[[ -f $out/index.html ]] || return 1
	local newer
	newer=$(find "$repo/packages/app/src" "$repo/packages/app/app.json" "$repo/packages/app/index.ts" \
		"$repo/packages/app/package.json" "$repo/packages/core/src" "$repo/package-lock.json" \
		-newer "$out/index.html" -print -quit 2>/dev/null)
	[[ -z $newer ]]
}

if $check; then current; exit; fi
if current; then
	echo "The web app in $out is up to date."
	exit 0
fi
PATH="$("$repo/scripts/ensure-node.sh"):$PATH"
export PATH
cd "$repo"
if [[ ! -d node_modules/expo || package-lock.json -nt node_modules/.package-lock.json ]]; then
	echo "Installing the dependencies (npm ci)..."
	npm ci --no-audit --no-fund
fi
echo "Building the web app into $out..."
(cd packages/app && EXPO_NO_TELEMETRY=1 EXPO_OFFLINE=1 CI=1 npx expo export --platform web --output-dir "$out" >/dev/null)
[[ -f $out/index.html ]] || { echo "build-web.sh: the export wrote no index.html" >&2; exit 1; }
# Brotli and gzip copies beside each text file, which Prosody's mod_hush_web and Caddy send.
node scripts/precompress-web.ts "$out" >/dev/null
echo "Built the web app into $out."

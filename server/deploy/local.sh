#!/usr/bin/env bash
# Run a complete Hush server on this machine, for trying Hush out and for development:
#
#   sudo bash server/deploy/local.sh          start (or keep running) and print two invite links
#   sudo bash server/deploy/local.sh stop     stop it
#
# It is the native installer (init.sh) in its sandbox mode: the same template, a private CA, Prosody
# from the distribution (installed when missing), everything kept below one folder (default
# .hush-local/ in this checkout; HUSH_LOCAL_DIR moves it), listening on 127.0.0.1 only. Ports:
# HUSH_C2S_PORT (5222), HUSH_C2S_TLS_PORT (5223), HUSH_HTTPS_PORT (5281). Clients trust the printed
# ca.crt. Re-running keeps accounts, history and keys. The web app is served at
# https://localhost:HTTPS_PORT/ when it has been built (npm run export:web -w @hush/app, into
# packages/app/dist; HUSH_WEB_DIR points elsewhere).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${HUSH_LOCAL_DIR:-$repo/.hush-local}
[[ $EUID -eq 0 ]] || { echo "local.sh: run it as root (sudo bash $0): it installs Prosody when missing" >&2; exit 2; }

pidfile="$state/run/prosody/prosody.pid"
if [[ ${1:-} == stop ]]; then
	if [[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null; then echo "Stopped."; else echo "Not running."; fi
	exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: local.sh [stop]" >&2; exit 2; }

mkdir -p "$state"
chmod 755 "$state"
https_port=${HUSH_HTTPS_PORT:-5281}
web=${HUSH_WEB_DIR:-$repo/packages/app/dist}
web_args=()
[[ ! -f $web/index.html ]] || web_args=(--web-dir "$web")
"$here/init.sh" --prefix "$state" --domain localhost --local-ca --interfaces 127.0.0.1 \
	--c2s-port "${HUSH_C2S_PORT:-5222}" --c2s-tls-port "${HUSH_C2S_TLS_PORT:-5223}" --https-port "$https_port" \
	"${web_args[@]}"

config="$state/etc/prosody/prosody.cfg.lua"
echo
echo "Invite for a second person:"
"$state/usr/local/bin/hush-server" --config "$config" invite
cat <<TXT

Hush runs on localhost:
  web app     $([[ ${#web_args[@]} -gt 0 ]] && echo "https://localhost:$https_port/" || echo "not built (npm ci && npm run export:web -w @hush/app, then run this again)")
  websocket   wss://localhost:$https_port/xmpp-websocket
  XMPP        localhost:${HUSH_C2S_PORT:-5222} (STARTTLS), localhost:${HUSH_C2S_TLS_PORT:-5223} (direct TLS)
  trust       $state/etc/prosody/local-ca/ca.crt   (e.g. NODE_EXTRA_CA_CERTS=... for the CLI)
  more        $state/usr/local/bin/hush-server --config $config invite|users|stats
  stop        sudo bash server/deploy/local.sh stop
TXT

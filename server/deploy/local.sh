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
# ca.crt. Re-running keeps accounts, history and keys. The web app is built (packages/app/dist) and
# served at https://localhost:HTTPS_PORT/; invites print an https link that opens it.
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
# The web app: a given build (HUSH_WEB_DIR), or this checkout's, built when missing or older than
# its sources (scripts/build-web.sh: Node 22 and npm ci when needed), as the checkout's owner rather
# than root. HUSH_WEB_DIR=none serves no web app.
web=${HUSH_WEB_DIR:-$repo/packages/app/dist}
if [[ -z ${HUSH_WEB_DIR:-} ]] && ! "$repo/scripts/build-web.sh" --check "$web"; then
	owner=$(stat -c %U "$repo")
	if [[ $owner == root ]]; then
		"$repo/scripts/build-web.sh" "$web" || echo "local.sh: the web app could not be built; serving without it" >&2
	else
		runuser -u "$owner" -- env HOME="$(getent passwd "$owner" | cut -d: -f6)" PATH="$PATH" \
			"$repo/scripts/build-web.sh" "$web" || echo "local.sh: the web app could not be built; serving without it" >&2
	fi
fi
web_args=()
[[ $web == none || ! -f $web/index.html ]] || web_args=(--web-dir "$web")
"$here/init.sh" --prefix "$state" --domain localhost --local-ca --interfaces 127.0.0.1 \
	--c2s-port "${HUSH_C2S_PORT:-5222}" --c2s-tls-port "${HUSH_C2S_TLS_PORT:-5223}" --https-port "$https_port" \
	"${web_args[@]}"

config="$state/etc/prosody/prosody.cfg.lua"
echo
echo "Invite for a second person:"
"$state/usr/local/bin/hush-server" --config "$config" invite
cat <<TXT

Hush runs on localhost:
  web app     $([[ ${#web_args[@]} -gt 0 ]] && echo "https://localhost:$https_port/ (trust ca.crt below in the browser, or import it)" || echo "not served")
  websocket   wss://localhost:$https_port/xmpp-websocket
  XMPP        localhost:${HUSH_C2S_PORT:-5222} (STARTTLS), localhost:${HUSH_C2S_TLS_PORT:-5223} (direct TLS)
  trust       $state/etc/prosody/local-ca/ca.crt   (e.g. NODE_EXTRA_CA_CERTS=... for the CLI)
  more        $state/usr/local/bin/hush-server --config $config invite|users|stats
  stop        sudo bash server/deploy/local.sh stop
TXT

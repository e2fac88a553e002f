#!/usr/bin/env bash
# Run a complete Hush server on this machine, for trying Hush out and for development. As root
# (on a minimal Debian without sudo: su -, then run it):
#
#   bash server/deploy/local.sh          start (or keep running) and print two invite links
#   bash server/deploy/local.sh stop     stop it
#
# It is the native installer (init.sh) in its sandbox mode: the same template, a private CA, Prosody
# 13 (installed when missing), everything kept below one folder (default .hush-local/ in this
# checkout; HUSH_LOCAL_DIR moves it), listening on 127.0.0.1 only. Ports: HUSH_C2S_PORT (5222),
# HUSH_C2S_TLS_PORT (5223), HUSH_HTTPS_PORT (5281), HUSH_PUSH_PORT (5347: the push gateway's
# component port on 127.0.0.1); a port another program holds is reported before
# anything starts, naming the setting that moves it, and the ports chosen are remembered for the next
# run (in .hush-local/ports). Clients trust the printed ca.crt. Re-running keeps accounts, history
# and keys. The web app is built (packages/app/dist) and served at https://localhost:HTTPS_PORT/;
# invites print an https link that opens it. The push gateway runs beside Prosody (init.sh --push);
# `stop` stops both.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${HUSH_LOCAL_DIR:-$repo/.hush-local}
[[ $EUID -eq 0 ]] || { echo "local.sh: run it as root (sudo bash $0, or su - first where sudo is missing): it installs Prosody when missing" >&2; exit 2; }

# Files on S3-compatible storage (init.sh --uploads s3): HUSH_UPLOADS=s3 with HUSH_S3_BUCKET,
# HUSH_S3_CREDENTIALS (a file of aws_access_key_id = ... and aws_secret_access_key = ... lines),
# HUSH_S3_ENDPOINT, HUSH_S3_REGION and HUSH_UPLOAD_PORT (5282): files then go through Hush's upload
# service at https://localhost:UPLOAD_PORT/upload/ into the bucket. HUSH_UPLOADS=disk (the default)
# keeps them in Prosody's data folder.
upload_args=()
upload_note="on disk, in $state/var/lib/prosody"
case ${HUSH_UPLOADS:-disk} in
disk) ;;
s3)
	upload_port=${HUSH_UPLOAD_PORT:-5282}
	upload_args=(--uploads s3 --s3-bucket "${HUSH_S3_BUCKET:-}" --s3-credentials "${HUSH_S3_CREDENTIALS:-}"
		--upload-port "$upload_port")
	[[ -z ${HUSH_S3_ENDPOINT:-} ]] || upload_args+=(--s3-endpoint "$HUSH_S3_ENDPOINT")
	[[ -z ${HUSH_S3_REGION:-} ]] || upload_args+=(--s3-region "$HUSH_S3_REGION")
	upload_note="bucket ${HUSH_S3_BUCKET:-}, through https://localhost:$upload_port/upload/"
	;;
*) echo "local.sh: HUSH_UPLOADS='$HUSH_UPLOADS' is not disk or s3" >&2; exit 2 ;;
esac

pidfile="$state/run/prosody/prosody.pid"
running_pid() { # this local server's Prosody, if it runs
	local pid
	pid=$(cat "$pidfile" 2>/dev/null || true)
	[[ $pid =~ ^[1-9][0-9]*$ ]] && grep -qs prosody "/proc/$pid/cmdline" && printf '%s' "$pid"
	return 0
}
if [[ ${1:-} == stop ]]; then
	upload=$(cat "$state/run/hush/upload-service.pid" 2>/dev/null || true)
	if [[ $upload =~ ^[1-9][0-9]*$ ]] && grep -qs upload-service "/proc/$upload/cmdline"; then
		kill "$upload" 2>/dev/null || true
	fi
	gateway=$(cat "$state/run/hush/push-gateway.pid" 2>/dev/null || true)
	if [[ $gateway =~ ^[1-9][0-9]*$ ]] && grep -qs hush-push-gateway "/proc/$gateway/cmdline"; then
		kill "$gateway" 2>/dev/null || true
	fi
	pid=$(running_pid)
	if [[ -n $pid ]] && kill "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		echo "Stopped."
	else
		echo "Not running."
	fi
	exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: local.sh [stop]" >&2; exit 2; }

mkdir -p "$state"
chmod 755 "$state"
# Ports: the environment's, else the last run's, else the defaults; remembered for the next run.
ports_file=$state/ports
# Nothing remembered on a first run: no file, and no failure (set -e would end the script).
remembered() { [[ ! -f $ports_file ]] || sed -n "s/^$1=\([0-9]*\)$/\1/p" "$ports_file" | head -n1; }
c2s_port=${HUSH_C2S_PORT:-$(remembered HUSH_C2S_PORT)}
c2s_tls_port=${HUSH_C2S_TLS_PORT:-$(remembered HUSH_C2S_TLS_PORT)}
https_port=${HUSH_HTTPS_PORT:-$(remembered HUSH_HTTPS_PORT)}
push_port=${HUSH_PUSH_PORT:-$(remembered HUSH_PUSH_PORT)}
c2s_port=${c2s_port:-5222} c2s_tls_port=${c2s_tls_port:-5223} https_port=${https_port:-5281} push_port=${push_port:-5347}
# A port another program listens on makes Prosody run without it: find that before anything starts.
# Ports this local server's own Prosody holds are fine (a re-run keeps it or restarts it).
own_pid=$(running_pid)
for setting in HUSH_C2S_PORT:$c2s_port HUSH_C2S_TLS_PORT:$c2s_tls_port HUSH_HTTPS_PORT:$https_port HUSH_PUSH_PORT:$push_port; do
	name=${setting%%:*} port=${setting#*:}
	[[ $port =~ ^[0-9]{1,5}$ && $port -ge 1 && $port -le 65535 ]] || { echo "local.sh: $name='$port' is not a port" >&2; exit 2; }
	holder=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -oE 'users:\(\("[^"]+",pid=[0-9]+' | head -n1 || true)
	if [[ -z $holder ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
	holder_pid=${holder##*pid=}
	[[ -z $own_pid || $holder_pid != "$own_pid" ]] || continue
	program=${holder#users:((\"}
	program=${program%%\"*}
	echo "local.sh: port $port is in use${program:+ by $program (pid $holder_pid)}, perhaps another XMPP server." >&2
	echo "Choose another with $name, e.g.: $name=$((port + 10000)) bash $0" >&2
	exit 2
done
printf 'HUSH_C2S_PORT=%s\nHUSH_C2S_TLS_PORT=%s\nHUSH_HTTPS_PORT=%s\nHUSH_PUSH_PORT=%s\n' "$c2s_port" "$c2s_tls_port" "$https_port" "$push_port" >"$ports_file"
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
	--c2s-port "$c2s_port" --c2s-tls-port "$c2s_tls_port" --https-port "$https_port" \
	--push --push-port "$push_port" "${web_args[@]}" "${upload_args[@]}"

operator="$state/usr/local/bin/hush-server"
echo
echo "Invite for a second person:"
"$operator" invite
cat <<TXT

Hush runs on localhost:
  web app     $([[ ${#web_args[@]} -gt 0 ]] && echo "https://localhost:$https_port/ (trust ca.crt below in the browser, or import it)" || echo "not served")
  websocket   wss://localhost:$https_port/xmpp-websocket
  XMPP        localhost:$c2s_port (STARTTLS), localhost:$c2s_tls_port (direct TLS)
  files       $upload_note
  push        push.localhost, on 127.0.0.1:$push_port
  trust       $state/etc/prosody/local-ca/ca.crt   (e.g. NODE_EXTRA_CA_CERTS=... for the CLI)
  operator    $operator invite|users|stats   (as root)
  stop        bash $0 stop
TXT

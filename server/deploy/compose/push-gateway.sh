#!/usr/bin/env bash
# The compose `push-init` and `push` services: Hush's push gateway (packages/push-gateway) from this
# checkout, mounted read-only at /hush/repo.
#
#   push-gateway.sh init   copies the sources (without node_modules) into the push-build volume,
#                          installs the gateway's dependencies there (npm ci, again only when the
#                          lockfile changed), and makes its component secret and VAPID keys in the
#                          push-state volume once. Prosody's container reads the secret from that
#                          volume (it and the gateway's are the only containers that mount it).
#   push-gateway.sh run    runs the gateway; it connects to prosody:5347 and retries until accepted.
set -euo pipefail
src=${HUSH_REPO:-/hush/repo}
work=${HUSH_PUSH_WORK:-/build/repo}
state=${HUSH_PUSH_STATE_DIR:-/state}
export HUSH_PUSH_STATE_DIR=$state
gateway=$work/packages/push-gateway/bin/hush-push-gateway.js
case "${1:-}" in
init)
	mkdir -p "$work"
	tar -C "$src" --exclude=node_modules --exclude=./packages/app/dist -cf - \
		package.json package-lock.json packages | tar -C "$work" -xf -
	stamp=$(sha256sum <"$work/package-lock.json")
	if [[ $(cat "$work/.push-stamp" 2>/dev/null) != "$stamp" ]]; then
		(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w @hush/push-gateway)
		echo "$stamp" >"$work/.push-stamp"
	fi
	node --disable-warning=ExperimentalWarning "$gateway" init >/dev/null
	# The prosody container runs as another user: it reads the secret, nothing else here.
	chmod 0755 "$state"
	chmod 0644 "$state/secret"
	echo "push-gateway: ready in $state"
	;;
run)
	exec node --disable-warning=ExperimentalWarning "$gateway" run
	;;
*)
	echo "usage: push-gateway.sh init|run" >&2
	exit 2
	;;
esac

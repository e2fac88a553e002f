#!/usr/bin/env bash
# Install and run Hush's push gateway (packages/push-gateway), the XEP-0357 app server that wakes
# closed apps through Expo, Web Push and UnifiedPush. init.sh runs it, as root, unless given
# --no-push:
#
#   push-gateway.sh --domain D [--component-port N] [--vapid-subject mailto:...|https://...]
#                   [--service systemd|none] [--prefix DIR]
#
# What it does, each step only when needed: puts Node 22 (scripts/ensure-node.sh) and the gateway
# with its dependencies (the versions package-lock.json pins, from this checkout's node_modules,
# installed with npm ci when missing) in /usr/local/lib/hush/push-gateway; makes its state folder
# /var/lib/hush-push (0700, the prosody user) with the component secret Prosody reads (secret) and
# the VAPID key pair (vapid.json), once (`hush-push-gateway init`); writes the settings to
# /etc/hush/push-gateway.env; runs the gateway as the prosody user (a systemd unit,
# hush-push.service, or directly with a pid file), restarted when any of that changed. It connects
# to Prosody's component port on this machine (127.0.0.1) and keeps retrying until Prosody accepts
# it. Prints the secret file's path on its last line, after "changed" when it changed something.
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
	echo "push-gateway.sh: $*" >&2
	exit 2
}

domain="" component_port=5347 vapid_subject="" service=systemd prefix=""
while [[ $# -gt 0 ]]; do
	[[ $# -ge 2 ]] || die "$1 needs a value"
	case "$1" in
	--domain) domain=$2 ;;
	--component-port) component_port=$2 ;;
	--vapid-subject) vapid_subject=$2 ;;
	--service) service=$2 ;;
	--prefix) prefix=${2%/} ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift 2
done
[[ -n $domain ]] || die "--domain is required"
[[ $component_port =~ ^[0-9]{1,5}$ && $component_port -ge 1 && $component_port -le 65535 ]] ||
	die "--component-port '$component_port' is not a port"
[[ -z $vapid_subject || $vapid_subject =~ ^(mailto:[^[:space:]]+@[^[:space:]]+|https://[^[:space:]]+)$ ]] ||
	die "--vapid-subject must be a mailto: or https: address"
[[ $service == systemd || $service == none ]] || die "--service must be systemd or none"

# shellcheck source=node-service.sh
. "$here/node-service.sh"
app=$lib/push-gateway
state=$prefix/var/lib/hush-push
unit=$prefix/etc/systemd/system/hush-push.service

# ---------- Node 22 and the gateway ----------
install_node
if [[ ! -f $repo/node_modules/@xmpp/component/package.json || ! -f $repo/node_modules/web-push/package.json ]]; then
	echo "Installing the push gateway's dependencies (npm ci)..." >&2
	(cd "$repo" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w @hush/push-gateway >&2)
fi
stamp=$({
	cat "$repo/package-lock.json" "$repo/packages/push-gateway/package.json" "$repo/packages/push-gateway/bin/hush-push-gateway.js"
	find "$repo/packages/push-gateway/src" -name '*.ts' ! -name '*.test.ts' -print0 | sort -z | xargs -0 cat
} | sha256sum | cut -d' ' -f1)
staged=$(mktemp -d)
trap 'rm -rf "$staged"' EXIT
if [[ $(cat "$app/.stamp" 2>/dev/null) != "$stamp" ]]; then
	mkdir -p "$staged/node_modules"
	cp -R "$repo/packages/push-gateway/bin" "$repo/packages/push-gateway/package.json" "$staged/"
	(cd "$repo/packages/push-gateway" && find src -name '*.ts' ! -name '*.test.ts' ! -name '*stand-in*' |
		while IFS= read -r file; do mkdir -p "$staged/$(dirname "$file")" && cp "$file" "$staged/$file"; done)
	stage_dependencies push-gateway "$staged"
	echo "$stamp" >"$staged/.stamp"
	replace_installed "$staged" "$app"
fi

# ---------- Settings and state ----------
settings=$(mktemp)
{
	echo "# Written by Hush's push-gateway.sh (init.sh); hush-push-gateway --help"
	echo "HUSH_PUSH_DOMAIN=$domain"
	echo "HUSH_PUSH_SERVICE=xmpp://127.0.0.1:$component_port"
	echo "HUSH_PUSH_STATE_DIR=$state"
	[[ -z $vapid_subject ]] || echo "HUSH_PUSH_VAPID_SUBJECT=$vapid_subject"
	echo "HUSH_PUSH_LOG_LEVEL=info"
} >"$settings"
put "$settings" "$etc/push-gateway.env" 0644 root
rm -f "$settings"
# gateway COMMAND: runs hush-push-gateway as the prosody user with the settings (replaces the shell:
# run it in a subshell).
gateway() {
	set -a
	# shellcheck disable=SC1091
	. "$etc/push-gateway.env"
	set +a
	exec setpriv --reuid="$user" --regid="$user" --init-groups -- \
		"$lib/node/node" --disable-warning=ExperimentalWarning "$app/bin/hush-push-gateway.js" "$1"
}
if [[ ! -s $state/secret || ! -s $state/vapid.json ]]; then
	install -d -m 0700 -o "$user" -g "$user" "$state"
	(gateway init) >/dev/null
	changed=true
fi

# ---------- Running it ----------
pid_file=$run_dir/push-gateway.pid
if [[ $service == systemd ]]; then
	run_as_unit hush-push "$unit" "$(service_unit "Hush push gateway (XEP-0357 app server)" \
		"wake-ups for closed apps (packages/push-gateway)" "$etc/push-gateway.env" \
		"$app/bin/hush-push-gateway.js run" "$state" prosody.service)"
else
	pid=$(stop_if_changed "$(running_pid hush-push hush-push-gateway "$pid_file")")
	if [[ -z $pid ]]; then
		install -d -m 0755 "$run_dir"
		(gateway run) </dev/null >>"$log_dir/push-gateway.log" 2>&1 &
		echo $! >"$pid_file"
		changed=true
	fi
fi
! $changed || echo changed
echo "$state/secret"

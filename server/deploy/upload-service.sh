#!/usr/bin/env bash
# Install and run Hush's upload service (packages/upload-service) for the S3 mode of a native
# install. init.sh runs it, as root, when given --uploads s3:
#
#   upload-service.sh --domain D --bucket B --credentials FILE [--endpoint URL] [--region R]
#                     [--port N] [--listen ADDRESS] [--cert FILE --key FILE] [--limit BYTES]
#                     [--expiry SECONDS] [--service systemd|none] [--prefix DIR]
#
# What it does, each step only when needed: puts Node 22 (scripts/ensure-node.sh) and the service
# with its dependencies (the versions package-lock.json pins, copied from this checkout's
# node_modules, installed with npm ci when missing) in /usr/local/lib/hush/; makes the HMAC secret
# Prosody shares with the service (/etc/hush/upload-secret, 0640 root:prosody) once; copies the S3
# credentials file (aws_access_key_id = ... / aws_secret_access_key = ... lines) to
# /etc/hush/s3-credentials (0640 root:prosody), so nothing secret is ever in this repository or the
# rendered configuration; writes the settings to /etc/hush/upload-service.env; runs the service as
# the prosody user (a systemd unit, hush-upload.service, or directly with a pid file), restarted when
# any of that changed. It serves https://DOMAIN:PORT/upload/ with Prosody's certificate and picks up
# a renewed one by itself. Prints "changed" when it changed something.
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
	echo "upload-service.sh: $*" >&2
	exit 2
}

domain="" bucket="" credentials="" endpoint="" region=us-east-1 port=5282 listen=:: cert="" key=""
limit=10485760 expiry=604800 service=systemd prefix=""
while [[ $# -gt 0 ]]; do
	[[ $# -ge 2 ]] || die "$1 needs a value"
	case "$1" in
	--domain) domain=$2 ;;
	--bucket) bucket=$2 ;;
	--credentials) credentials=$2 ;;
	--endpoint) endpoint=$2 ;;
	--region) region=$2 ;;
	--port) port=$2 ;;
	--listen) listen=$2 ;;
	--cert) cert=$2 ;;
	--key) key=$2 ;;
	--limit) limit=$2 ;;
	--expiry) expiry=$2 ;;
	--service) service=$2 ;;
	--prefix) prefix=${2%/} ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift 2
done
[[ -n $domain ]] || die "--domain is required"
[[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "--s3-bucket '$bucket' is not a bucket name"
[[ -z $endpoint || $endpoint =~ ^https?://[^[:space:]/]+/?$ ]] || die "--s3-endpoint '$endpoint' is not an http(s) URL"
[[ $region =~ ^[a-z0-9-]+$ ]] || die "--s3-region '$region' is not a region name"
[[ $port =~ ^[0-9]{1,5}$ && $port -ge 1024 && $port -le 65535 ]] || die "--upload-port '$port' is not a port from 1024 up"
[[ $limit =~ ^[0-9]+$ && $expiry =~ ^[0-9]+$ ]] || die "--limit and --expiry are numbers"
[[ $service == systemd || $service == none ]] || die "--service must be systemd or none"
[[ -r $credentials ]] || die "--s3-credentials: cannot read '$credentials'"
for name in aws_access_key_id aws_secret_access_key; do
	grep -Eq "^[[:space:]]*${name}[[:space:]]*=[[:space:]]*[^[:space:]]+" "$credentials" ||
		die "--s3-credentials '$credentials' needs aws_access_key_id = ... and aws_secret_access_key = ... lines"
done

# shellcheck source=node-service.sh
. "$here/node-service.sh"
app=$lib/upload-service
unit=$prefix/etc/systemd/system/hush-upload.service

# ---------- Node 22 and the service ----------
install_node
if [[ ! -f $repo/node_modules/@aws-sdk/client-s3/package.json ]]; then
	echo "Installing the upload service's dependencies (npm ci)..."
	(cd "$repo" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w @hush/upload-service >&2)
fi
# What the copy is made from: the service's sources and the lockfile's versions.
stamp=$(cat "$repo/package-lock.json" "$repo/packages/upload-service/package.json" \
	"$repo"/packages/upload-service/src/*.ts | sha256sum | cut -d' ' -f1)
staged=$(mktemp -d)
trap 'rm -rf "$staged"' EXIT
if [[ $(cat "$app/.stamp" 2>/dev/null) != "$stamp" ]]; then
	mkdir -p "$staged/src" "$staged/node_modules"
	cp "$repo/packages/upload-service/package.json" "$staged/"
	find "$repo/packages/upload-service/src" -maxdepth 1 -name '*.ts' ! -name '*.test.ts' -exec cp {} "$staged/src/" \;
	stage_dependencies upload-service "$staged"
	[[ -f $staged/node_modules/@aws-sdk/client-s3/package.json ]] || die "the service's dependencies are missing (npm ci in $repo)"
	echo "$stamp" >"$staged/.stamp"
	replace_installed "$staged" "$app"
fi

# ---------- Secrets and settings ----------
if [[ ! -s $etc/upload-secret ]]; then
	(umask 077 && openssl rand -hex 32 >"$etc/upload-secret")
	changed=true
fi
[[ $(stat -c '%a %G' "$etc/upload-secret") == "640 $user" ]] || { chown "root:$user" "$etc/upload-secret"; chmod 0640 "$etc/upload-secret"; }
put "$credentials" "$etc/s3-credentials" 0640 "$user"
settings=$(mktemp)
{
	echo "# Written by Hush's upload-service.sh (init.sh --uploads s3); packages/upload-service/src/config.ts"
	echo "HUSH_UPLOAD_LISTEN=$([[ $listen == *:* ]] && echo "[$listen]" || echo "$listen"):$port"
	[[ -z $cert ]] || echo "HUSH_UPLOAD_TLS_CERT=$cert"
	[[ -z $key ]] || echo "HUSH_UPLOAD_TLS_KEY=$key"
	echo "HUSH_UPLOAD_SECRET_FILE=$etc/upload-secret"
	echo "HUSH_UPLOAD_LIMIT=$limit"
	echo "HUSH_UPLOAD_EXPIRY=$expiry"
	echo "HUSH_S3_BUCKET=$bucket"
	[[ -z $endpoint ]] || echo "HUSH_S3_ENDPOINT=$endpoint"
	echo "HUSH_S3_REGION=$region"
	echo "HUSH_S3_CREDENTIALS_FILE=$etc/s3-credentials"
	[[ -z ${NODE_EXTRA_CA_CERTS:-} ]] || echo "NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS"
} >"$settings"
put "$settings" "$etc/upload-service.env" 0644 root
rm -f "$settings"

# ---------- Running it ----------
pid_file=$run_dir/upload-service.pid
if [[ $service == systemd ]]; then
	run_as_unit hush-upload "$unit" "$(service_unit "Hush upload service (files on S3-compatible storage)" \
		"files of the S3 mode (packages/upload-service)" "$etc/upload-service.env" "$app/src/main.ts")"
else
	pid=$(stop_if_changed "$(running_pid hush-upload upload-service "$pid_file")")
	if [[ -z $pid ]]; then
		install -d -m 0755 "$run_dir"
		(
			set -a
			# shellcheck disable=SC1091
			. "$etc/upload-service.env"
			set +a
			setpriv --reuid="$user" --regid="$user" --init-groups -- \
				"$lib/node/node" --disable-warning=ExperimentalWarning "$app/src/main.ts" \
				</dev/null >>"$log_dir/upload-service.log" 2>&1 &
			echo $! >"$pid_file"
		)
		changed=true
	fi
fi
host=$listen
[[ $host != '::' && $host != '0.0.0.0' ]] || host=127.0.0.1
for ((i = 0; ; i++)); do
	if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then break; fi
	[[ -n $(running_pid hush-upload upload-service "$pid_file") && $i -lt 600 ]] ||
		die "the upload service does not answer on port $port; see $log_dir/upload-service.log or journalctl -u hush-upload"
	sleep 0.1
done
! $changed || echo changed

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

user=prosody
lib=$prefix/usr/local/lib/hush
app=$lib/upload-service
etc=$prefix/etc/hush
run_dir=$prefix/run/hush
log_dir=$prefix/var/log/hush
unit=$prefix/etc/systemd/system/hush-upload.service
changed=false

# put SRC DEST MODE GROUP: install unless the same
put() {
	if [[ -f $2 ]] && cmp -s "$1" "$2" && [[ $(stat -c '%a %G' "$2") == "${3#0} $4" ]]; then return 0; fi
	install -m "$3" -o root -g "$4" "$1" "$2"
	changed=true
}

install -d -m 0755 "$lib" "$lib/node" "$etc" "$log_dir"
chown "$user" "$log_dir"

# ---------- Node 22 and the service ----------
node_dir=$("$repo/scripts/ensure-node.sh")
put "$node_dir/node" "$lib/node/node" 0755 root
PATH="$node_dir:$PATH"
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
	# Every package the service needs at run time (its dependencies and theirs, found as Node finds
	# them), at the version the lockfile pinned in this checkout.
	runtime_packages() {
		# shellcheck disable=SC2016 # JavaScript, not shell
		node -e '
	const fs = require("fs"), path = require("path");
	const seen = new Set();
	const find = (from, name) => {
	  for (let dir = from; ; dir = path.dirname(dir)) {
	    const candidate = path.join(dir, "node_modules", name);
	    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
	    if (path.dirname(dir) === dir) return undefined;
	  }
	};
	const walk = (dir) => {
	  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
	  const optional = pkg.optionalDependencies ?? {};
	  for (const name of Object.keys({ ...pkg.dependencies, ...optional })) {
	    const found = find(dir, name);
	    if (!found) {
	      if (name in optional) continue;
	      throw new Error(`${name}, needed by ${pkg.name}, is not installed`);
	    }
	    if (seen.has(fs.realpathSync(found))) continue;
	    seen.add(fs.realpathSync(found));
	    console.log(found);
	    walk(found);
	  }
	};
	walk(process.argv[1]);' "$repo/packages/upload-service"
	}
	packages=$(runtime_packages) || die "the service's dependencies are missing (npm ci in $repo)"
	while IFS= read -r dir; do
		rel=${dir#"$repo/node_modules/"}
		[[ $rel != "$dir" ]] || die "$dir is not in $repo/node_modules"
		mkdir -p "$staged/node_modules/$(dirname "$rel")"
		cp -RL "$dir" "$staged/node_modules/$rel"
	done <<<"$packages"
	[[ -f $staged/node_modules/@aws-sdk/client-s3/package.json ]] || die "the service's dependencies are missing (npm ci in $repo)"
	echo "$stamp" >"$staged/.stamp"
	if ! diff -r -q "$staged" "$app" >/dev/null 2>&1; then
		rm -rf "$app"
		cp -R "$staged" "$app"
		chmod -R u=rwX,go=rX "$app"
		changed=true
	fi
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
running_pid() {
	local pid
	if [[ $service == systemd ]]; then
		pid=$(systemctl show -p MainPID --value hush-upload 2>/dev/null || true)
	else
		pid=$(cat "$pid_file" 2>/dev/null || true)
		grep -qs upload-service "/proc/$pid/cmdline" || pid=""
	fi
	[[ $pid =~ ^[1-9][0-9]*$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
	return 0
}
if [[ $service == systemd ]]; then
	unit_text=$(mktemp)
	cat >"$unit_text" <<UNIT
# Installed by Hush's upload-service.sh: files of the S3 mode (packages/upload-service).
[Unit]
Description=Hush upload service (files on S3-compatible storage)
After=network-online.target
Wants=network-online.target

[Service]
User=$user
Group=$user
EnvironmentFile=$etc/upload-service.env
ExecStart=$lib/node/node --disable-warning=ExperimentalWarning $app/src/main.ts
Restart=on-failure
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
UNIT
	install -d -m 0755 "$(dirname "$unit")"
	put "$unit_text" "$unit" 0644 root
	rm -f "$unit_text"
	systemctl daemon-reload
	systemctl is-enabled --quiet hush-upload 2>/dev/null || systemctl enable --quiet hush-upload
	if $changed || [[ -z $(running_pid) ]]; then systemctl restart hush-upload; fi
else
	pid=$(running_pid)
	if [[ -n $pid ]] && $changed; then
		kill -TERM "$pid"
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		pid=""
	fi
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
	[[ -n $(running_pid) && $i -lt 600 ]] ||
		die "the upload service does not answer on port $port; see $log_dir/upload-service.log or journalctl -u hush-upload"
	sleep 0.1
done
! $changed || echo changed

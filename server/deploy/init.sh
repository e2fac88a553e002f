#!/usr/bin/env bash
# Install or update a Hush server (Prosody 13) on Debian 12 or 13. Run as root:
#
#   init.sh --domain chat.example.org --letsencrypt --email admin@example.org
#   init.sh --domain chat.example.org --cert fullchain.pem --key privkey.pem
#   init.sh --domain chat.lan --local-ca              # LAN/test: a private CA clients must trust
#
# What it does, each step only when needed: installs Prosody 13 and prosody-modules (Debian 13, or
# Debian 12's bookworm-backports suite, which it adds), qrencode and openssl (certbot with
# --letsencrypt) from the distribution; renders server/prosody/prosody.cfg.lua into
# /etc/prosody/prosody.cfg.lua (a differing old config is kept as prosody.cfg.lua.bak-TIME); puts the
# certificate at /etc/prosody/certs/DOMAIN.{crt,key}; installs Hush's Prosody modules
# (/usr/local/lib/hush/prosody-modules) and the operator command /usr/local/bin/hush-server; starts
# Prosody (systemd, or directly when systemd does not run); on the first install makes the first
# invite, stores it in /var/lib/prosody/hush/first-invite (0600) and prints it as a link and QR code.
# A re-run reprints it while no account exists (a fresh one if it expired), else points to
# `hush-server invite`. With --local-ca the CA is /etc/prosody/local-ca/ca.crt (its key never leaves).
#
# Re-running is safe: it never deletes data, and with the same arguments it changes nothing on disk
# and leaves the running server alone. A changed configuration restarts Prosody (ports and modules
# only take effect on a restart); a changed certificate alone reloads it.
#
# Ports: 5222 (STARTTLS) and 5223 (direct TLS) for XMPP clients, 443 for HTTPS (websocket for the web
# app, file uploads). Prosody runs as the prosody user; to bind 443 it gets CAP_NET_BIND_SERVICE (a
# systemd drop-in, or an ambient capability when started without systemd). Use --https-port 5281
# when another web server owns 443.
#
# Files on S3-compatible storage (--uploads s3): Prosody hands out the upload slots
# (mod_http_upload_external, with Hush's size limit and daily quota) and Hush's upload service
# (packages/upload-service, installed and run by upload-service.sh beside this script) streams the
# files into the bucket and back at https://DOMAIN:UPLOAD_PORT/upload/ (port 5282 by default: open
# it too). The credentials come from a file (aws_access_key_id = ... / aws_secret_access_key = ...
# lines), copied to /etc/hush/s3-credentials; the default, --uploads disk, keeps files in
# /var/lib/prosody.
#
# Push notifications (XEP-0357): Prosody's mod_cloud_notify, never with body or sender, and Hush's
# push gateway (packages/push-gateway, installed and run by push-gateway.sh beside this script), an
# XMPP component on 127.0.0.1:5347 that wakes closed apps through Expo, Web Push and UnifiedPush.
# Installed by default where systemd runs it (--push to have it without systemd, --no-push never).
#
# Sandbox (how the tests run it end to end on one machine, as root, with the real Prosody package):
#   --prefix DIR   relocates every path written: /etc/prosody, /var/lib/prosody, /var/log/prosody,
#                  /run/prosody, /usr/local/{bin,lib/hush}, /etc/letsencrypt (certbot's config, work
#                  and log dirs) all move below DIR. DIR must be reachable by the prosody user.
#                  Implies --service none; the package check still runs (a no-op when installed).
#   --service none starts Prosody directly in the background (pid file under run/prosody).
#   --interfaces 127.0.0.1 --c2s-port N --c2s-tls-port N --https-port N: loopback and free ports.
# Stop a sandboxed server with: kill "$(cat DIR/run/prosody/prosody.pid)".
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C
# Folders made on the way (/usr/local/lib/hush, the sandbox's) must stay reachable by the prosody
# user; files with secrets get their modes explicitly.
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_server=$(cd "$here/.." && pwd)

usage() {
	cat <<'TXT'
Usage: init.sh --domain DOMAIN CERTIFICATE [OPTIONS]

Certificate (one of; on a re-run it may be left out to keep the installed one):
  --cert FILE --key FILE        use this certificate chain and key (copied to /etc/prosody/certs)
  --letsencrypt --email ADDR    get one from Let's Encrypt (certbot --standalone: port 80 must be free
                                and reachable; renewals copy it and reload Prosody)
  --webroot DIR                 with --letsencrypt: answer the challenge from a running web server's DIR
  --local-ca                    make a private CA for LAN/test installs; clients must trust its ca.crt

Options:
  --retention-days N            days messages and uploaded files are kept on the server (default 7)
  --https-port N                HTTPS port for the web app's websocket and uploads (default 443)
  --c2s-port N                  XMPP STARTTLS port (default 5222)
  --c2s-tls-port N              XMPP direct TLS port (default 5223)
  --interfaces LIST             listen addresses, comma-separated (default *,:: = all)
  --web-dir DIR                 the built web app (npm run export:web -w @hush/app makes
                                packages/app/dist): copied and served at https://DOMAIN/
  --push, --no-push             the push gateway: default on where systemd runs (see the top)
  --push-port N                 the port it connects to on 127.0.0.1 (default 5347)
  --service auto|systemd|none   how Prosody runs (default auto: systemd when it runs)
  --prefix DIR                  sandbox: write everything below DIR (see the top of this script)

Files on S3-compatible storage (see the top of this script):
  --uploads disk|s3             where uploaded files live (default disk: Prosody's data directory)
  --s3-bucket NAME              the bucket (with --uploads s3)
  --s3-credentials FILE         aws_access_key_id = ... and aws_secret_access_key = ... lines
  --s3-endpoint URL             an S3-compatible server, e.g. https://s3.example.net (default: AWS)
  --s3-region NAME              the bucket's region (default us-east-1)
  --upload-port N               HTTPS port of the upload service (default 5282)
  -h, --help                    this text
TXT
}

die() {
	echo "init.sh: $*" >&2
	exit 2
}
say() { printf '%s\n' "$*"; }

# ---------- Push options (their own block; the rest are read below) ----------
push="" push_port=5347
args=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--push) push=true ;;
	--no-push) push=false ;;
	--push-port) [[ $# -ge 2 ]] || die "--push-port needs a value"; push_port=$2; shift ;;
	*) args+=("$1") ;;
	esac
	shift
done
set -- "${args[@]}"

# ---------- Arguments ----------
# The S3 options first (handled in their own block below), the rest by the loop that follows.
s3_args=()
rest=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--uploads | --s3-bucket | --s3-credentials | --s3-endpoint | --s3-region | --upload-port)
		[[ $# -ge 2 ]] || { echo "init.sh: $1 needs a value" >&2; exit 2; }
		s3_args+=("$1" "$2")
		shift 2
		;;
	*) rest+=("$1"); shift ;;
	esac
done
set -- "${rest[@]}"
domain="" cert_src="" key_src="" cert_mode="" email="" webroot="" prefix="" service=auto web_src=
retention_days=7 https_port=443 c2s_port=5222 c2s_tls_port=5223 interfaces='*,::'
set_cert_mode() {
	[[ -z $cert_mode || $cert_mode == "$1" ]] || die "choose one of --cert/--key, --letsencrypt, --local-ca"
	cert_mode=$1
}
while [[ $# -gt 0 ]]; do
	opt=$1
	case "$opt" in
	-h | --help) usage; exit 0 ;;
	--local-ca) set_cert_mode local-ca; shift; continue ;;
	--letsencrypt) set_cert_mode letsencrypt; shift; continue ;;
	--domain | --cert | --key | --email | --webroot | --retention-days | --https-port | --c2s-port | \
		--c2s-tls-port | --interfaces | --service | --prefix | --web-dir)
		[[ $# -ge 2 ]] || die "$opt needs a value"
		value=$2
		shift 2
		;;
	*) die "unknown argument '$opt' (init.sh --help)" ;;
	esac
	case "$opt" in
	--domain) domain=${value,,} ;;
	--cert) set_cert_mode files; cert_src=$value ;;
	--key) set_cert_mode files; key_src=$value ;;
	--email) email=$value ;;
	--webroot) webroot=$value ;;
	--retention-days) retention_days=$value ;;
	--https-port) https_port=$value ;;
	--c2s-port) c2s_port=$value ;;
	--c2s-tls-port) c2s_tls_port=$value ;;
	--interfaces) interfaces=$value ;;
	--service) service=$value ;;
	--prefix) prefix=${value%/} ;;
	--web-dir) web_src=${value%/} ;;
	esac
done

# Files on S3-compatible storage: these options are read here and left out of the loop above.
uploads=disk s3_bucket="" s3_credentials="" s3_endpoint="" s3_region=us-east-1 upload_port=5282
set -- "${s3_args[@]}"
while [[ $# -gt 0 ]]; do
	case "$1" in
	--uploads) uploads=$2 ;;
	--s3-bucket) s3_bucket=$2 ;;
	--s3-credentials) s3_credentials=$2 ;;
	--s3-endpoint) s3_endpoint=$2 ;;
	--s3-region) s3_region=$2 ;;
	--upload-port) upload_port=$2 ;;
	esac
	shift 2
done
[[ $uploads == disk || $uploads == s3 ]] || die "--uploads must be disk or s3"
if [[ $uploads == s3 ]]; then
	[[ -n $s3_bucket && -n $s3_credentials ]] || die "--uploads s3 needs --s3-bucket NAME and --s3-credentials FILE"
	[[ -r $s3_credentials ]] || die "--s3-credentials: cannot read '$s3_credentials'"
else
	[[ -z $s3_bucket$s3_credentials$s3_endpoint ]] || die "--s3-bucket, --s3-credentials and --s3-endpoint need --uploads s3"
fi
[[ -n $domain ]] || die "--domain is required, e.g. --domain chat.example.org (init.sh --help)"
[[ ${#domain} -le 253 && $domain =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$ ]] ||
	die "'$domain' is not a domain name (letters, digits, dots and hyphens, e.g. chat.example.org)"
for name in https_port c2s_port c2s_tls_port; do
	[[ ${!name} =~ ^[0-9]{1,5}$ && ${!name} -ge 1 && ${!name} -le 65535 ]] ||
		die "--${name//_/-} '${!name}' is not a port number"
done
[[ $(printf '%s\n' "$https_port" "$c2s_port" "$c2s_tls_port" | sort -u | wc -l) -eq 3 ]] ||
	die "--c2s-port, --c2s-tls-port and --https-port must differ"
[[ $retention_days =~ ^[0-9]+$ && $retention_days -ge 1 ]] || die "--retention-days '$retention_days' is not a number of days (1 or more)"
[[ -z $web_src || -f $web_src/index.html ]] || die "--web-dir '$web_src' has no index.html (build it: npm run export:web -w @hush/app)"
[[ $interfaces =~ ^(\*|[0-9A-Fa-f.:]+)(,(\*|[0-9A-Fa-f.:]+))*$ ]] || die "--interfaces '$interfaces' is not a list of addresses"
case "$cert_mode" in
files) [[ -n $cert_src && -n $key_src ]] || die "--cert and --key go together" ;;
letsencrypt) [[ $email =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] || die "--letsencrypt needs --email ADDRESS (Let's Encrypt's expiry notices)" ;;
esac
[[ -z $webroot || $cert_mode == letsencrypt ]] || die "--webroot only goes with --letsencrypt"
[[ -z $email || $cert_mode == letsencrypt ]] || die "--email only goes with --letsencrypt"
if [[ -n $prefix ]]; then
	[[ $prefix =~ ^/[A-Za-z0-9._/+-]*$ ]] || die "--prefix must be an absolute path of plain characters"
	[[ -d $prefix ]] || die "--prefix $prefix is not a directory"
	[[ $service == auto || $service == none ]] || die "--prefix runs Prosody directly: use --service none"
	service=none
fi
case "$service" in
auto) if [[ -d /run/systemd/system ]]; then service=systemd; else service=none; fi ;;
systemd | none) ;;
*) die "--service must be auto, systemd or none" ;;
esac
[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages, writes /etc/prosody and starts Prosody)"

# ---------- Paths (all below --prefix in the sandbox) ----------
etc_dir=$prefix/etc/prosody
cfg=$etc_dir/prosody.cfg.lua
cert_dir=$etc_dir/certs
# Not below certs/: Prosody indexes every file there and would pick the CA folder's copy.
ca_dir=$etc_dir/local-ca
cert=$cert_dir/$domain.crt
key=$cert_dir/$domain.key
data_dir=$prefix/var/lib/prosody
log_dir=$prefix/var/log/prosody
run_dir=$prefix/run/prosody
pid_file=$run_dir/prosody.pid
bin_dir=$prefix/usr/local/bin
module_dir=$prefix/usr/local/lib/hush/prosody-modules
web_dir=$prefix/usr/local/share/hush/web
dropin_dir=$prefix/etc/systemd/system/prosody.service.d
le_dir=$prefix/etc/letsencrypt
invite_file=$data_dir/hush/first-invite
user=prosody
hush_server=hush-server
[[ -z $prefix ]] || hush_server="$bin_dir/hush-server"

changed=()          # what this run changed on disk, for the summary
restart=false       # the configuration (or what it loads) changed
reload=false        # only certificates changed

# put_file SRC DEST MODE GROUP: installs SRC as DEST (owner root) unless it is already the same.
put_file() {
	local src=$1 dest=$2 mode=$3 group=$4
	if [[ -f $dest ]] && cmp -s "$src" "$dest" &&
		[[ $(stat -c '%a %U %G' "$dest") == "${mode#0} root $group" ]]; then
		return 1
	fi
	install -m "$mode" -o root -g "$group" "$src" "$dest"
	changed+=("$dest")
}

# ---------- Packages ----------
# Each command and the Debian package that brings it; installed only when the command is missing.
ensure_packages() {
	local -a missing=()
	local pair
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
	done
	[[ ${#missing[@]} -gt 0 ]] || return 0
	command -v apt-get >/dev/null || die "missing ${missing[*]}, and this is not a Debian/Ubuntu system (no apt-get)"
	say "Installing ${missing[*]} ..."
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	changed+=("packages: ${missing[*]}")
}
packages=(qrencode:qrencode openssl:openssl setpriv:util-linux)
[[ $cert_mode != letsencrypt ]] || packages+=(certbot:certbot)
ensure_packages "${packages[@]}"

# Prosody 13 with its community modules (SASL2, Bind 2, FAST): Debian 13 has them, Debian 12 gets
# them from Debian's own bookworm-backports suite (added here when missing). Other systems (Ubuntu
# 24.04 ships 0.12) are not supported unless Prosody 13 is already installed, e.g. from Prosody's
# own repository (https://prosody.im/download/package_repository).
prosody_version() { dpkg-query -W -f='${Version}' prosody 2>/dev/null || true; }
is_prosody_13() { dpkg --compare-versions "$1" ge 13~ && dpkg --compare-versions "$1" lt 14~; }
os_id="" os_version=""
if [[ -r /etc/os-release ]]; then
	os_id=$(sed -n 's/^ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)
	os_version=$(sed -n 's/^VERSION_ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)
fi
version=$(prosody_version)
install_prosody=false
if ! is_prosody_13 "$version"; then
	install_prosody=true
elif ! dpkg -s prosody-modules >/dev/null 2>&1 && [[ $os_id == debian ]]; then
	install_prosody=true
fi
if $install_prosody; then
	command -v apt-get >/dev/null || die "Hush needs Prosody 13, and this is not a Debian system (no apt-get)"
	from=()
	case "$os_id $os_version" in
	"debian 12")
		if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
			printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
				'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
				>/etc/apt/sources.list.d/bookworm-backports.sources
			changed+=("/etc/apt/sources.list.d/bookworm-backports.sources")
		fi
		from=(-t bookworm-backports)
		;;
	debian\ *) [[ ${os_version%%.*} -ge 13 ]] 2>/dev/null || die "Debian $os_version is not supported: use Debian 12 or 13" ;;
	*)
		die "Hush needs Prosody 13, which ${os_id:-this system} ${os_version} does not ship (Ubuntu 24.04 has 0.12)." \
			"Use Debian 12 or 13, or install Prosody 13 from Prosody's own repository" \
			"(https://prosody.im/download/package_repository) and run this again."
		;;
	esac
	say "Installing Prosody 13 and prosody-modules${from[*]:+ (${from[*]})} ..."
	apt-get update -qq
	# lua-unbound: Prosody's recommended DNS library; without it every prosodyctl call warns on stderr.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${from[@]}" \
		prosody prosody-modules lua-unbound >/dev/null
	changed+=("packages: prosody $(prosody_version), prosody-modules")
	version=$(prosody_version)
fi
is_prosody_13 "$version" || die "Prosody ${version:-(none)} is installed, but Hush needs Prosody 13"
getent passwd "$user" >/dev/null || die "the '$user' user is missing: is the prosody package installed correctly?"

# ---------- Directories ----------
install -d -m 0755 "$etc_dir"
[[ -d $cert_dir ]] || install -d -m 0750 -o root -g "$user" "$cert_dir"
for dir in "$data_dir" "$log_dir"; do
	[[ -d $dir ]] || install -d -m 0750 -o "$user" -g "$user" "$dir"
	[[ $(stat -c %U "$dir") == "$user" ]] || chown "$user" "$dir"
done
install -d -m 0700 "$data_dir/hush"
install -d -m 0755 "$bin_dir"
if ! setpriv --reuid="$user" --regid="$user" --init-groups -- test -w "$data_dir" -a -r "$etc_dir"; then
	die "the $user user cannot reach $data_dir or $etc_dir${prefix:+ (is $prefix or a folder above it private? chmod 755 it)}"
fi

# ---------- Hush's Prosody modules and the operator command ----------
# Copied, so the install does not depend on this checkout (nor on the prosody user reaching it).
modules_src=$repo_server/prosody/modules # git keeps no empty folder: it may be missing
modules_changed=false
if [[ -d $modules_src ]]; then
	diff -r -q "$modules_src" "$module_dir" >/dev/null 2>&1 || modules_changed=true
elif [[ ! -d $module_dir || -n $(ls -A "$module_dir") ]]; then
	modules_changed=true
fi
if $modules_changed; then
	rm -rf "$module_dir"
	install -d -m 0755 "$module_dir"
	[[ ! -d $modules_src ]] || cp -R "$modules_src/." "$module_dir/"
	chmod -R u=rwX,go=rX "$module_dir"
	changed+=("$module_dir")
	restart=true
fi
# The installed copy knows this install's configuration, so it never reads another server's.
operator=$(mktemp)
sed "s|^default_config=.*|default_config=$cfg|" "$here/hush-server" >"$operator"
put_file "$operator" "$bin_dir/hush-server" 0755 root || true
rm -f "$operator"

# ---------- Certificate ----------
ca_note=""
case "$cert_mode" in
files)
	[[ -r $cert_src && -r $key_src ]] || die "cannot read $cert_src or $key_src"
	cert_pub=$(openssl x509 -in "$cert_src" -noout -pubkey 2>/dev/null) || die "$cert_src is not a PEM certificate"
	key_pub=$(openssl pkey -in "$key_src" -pubout 2>/dev/null) || die "$key_src is not a PEM private key (without a passphrase)"
	[[ $cert_pub == "$key_pub" ]] || die "$key_src is not the key of $cert_src"
	openssl x509 -in "$cert_src" -noout -checkhost "$domain" 2>/dev/null | grep -q 'does match' ||
		say "Warning: $cert_src is not made out to $domain; clients will refuse it."
	openssl x509 -in "$cert_src" -noout -checkend 0 >/dev/null || say "Warning: $cert_src has expired."
	put_file "$cert_src" "$cert" 0644 "$user" && reload=true
	put_file "$key_src" "$key" 0640 "$user" && reload=true
	;;
local-ca)
	ca_before=$({ cat "$ca_dir/ca.crt" "$ca_dir/$domain.crt" 2>/dev/null || true; } | sha256sum)
	"$here/local-ca.sh" "$ca_dir" "$domain"
	[[ $(cat "$ca_dir/ca.crt" "$ca_dir/$domain.crt" | sha256sum) == "$ca_before" ]] || changed+=("$ca_dir")
	chmod 0700 "$ca_dir"
	put_file "$ca_dir/$domain.crt" "$cert" 0644 "$user" && reload=true
	put_file "$ca_dir/$domain.key" "$key" 0640 "$user" && reload=true
	ca_note="CA certificate (clients must trust it): $ca_dir/ca.crt"
	;;
letsencrypt)
	live=$le_dir/live/$domain
	certbot_dirs=()
	[[ -z $prefix ]] || certbot_dirs=(--config-dir "$le_dir" --work-dir "$prefix/var/lib/letsencrypt" --logs-dir "$prefix/var/log/letsencrypt")
	# Renewals are certbot's (its systemd timer or cron job); this hook hands each renewal to Prosody.
	hook=$(mktemp)
	trap 'rm -f "$hook"' EXIT
	{
		printf '#!/usr/bin/env bash\n# Installed by Hush init.sh: after certbot renews %s, install it for Prosody and reload.\n' "$domain"
		printf 'set -euo pipefail\n'
		printf 'live=%q cert=%q key=%q service=%q pid_file=%q\n' "$live" "$cert" "$key" "$service" "$pid_file"
		cat <<'HOOK'
[[ ${RENEWED_LINEAGE:-} == "$live" ]] || exit 0
install -m 0644 -o root -g prosody "$live/fullchain.pem" "$cert"
install -m 0640 -o root -g prosody "$live/privkey.pem" "$key"
if [[ $service == systemd ]]; then
	systemctl reload prosody
elif [[ -s $pid_file ]]; then
	kill -HUP "$(<"$pid_file")" 2>/dev/null || true
fi
HOOK
	} >"$hook"
	install -d -m 0755 "$le_dir/renewal-hooks/deploy"
	put_file "$hook" "$le_dir/renewal-hooks/deploy/hush-prosody" 0755 root || true
	if [[ ! -s $live/fullchain.pem ]]; then
		challenge=(--standalone)
		[[ -z $webroot ]] || challenge=(--webroot -w "$webroot")
		say "Asking Let's Encrypt for a certificate for $domain ..."
		certbot certonly --non-interactive --agree-tos --email "$email" --cert-name "$domain" -d "$domain" \
			"${challenge[@]}" "${certbot_dirs[@]}" ||
			die "certbot failed: $domain must resolve to this machine and port 80 be reachable (or use --webroot)"
		changed+=("$live")
	fi
	put_file "$live/fullchain.pem" "$cert" 0644 "$user" && reload=true
	put_file "$live/privkey.pem" "$key" 0640 "$user" && reload=true
	;;
"")
	[[ -s $cert && -s $key ]] || die "no certificate yet: give --cert FILE --key FILE, --letsencrypt --email ADDR or --local-ca"
	;;
esac

# ---------- Web app ----------
# A copy Prosody can read wherever the checkout lives; replaced only when the build changed.
if [[ -n $web_src ]] && ! diff -rq "$web_src" "$web_dir" >/dev/null 2>&1; then
	rm -rf "$web_dir"
	mkdir -p "$(dirname "$web_dir")"
	cp -r "$web_src" "$web_dir"
	chmod -R u=rwX,go=rX "$web_dir"
	changed+=("$web_dir")
	restart=true
fi

# ---------- Files on S3-compatible storage ----------
upload_settings=()
if [[ $uploads == s3 ]]; then
	secret_file=$prefix/etc/hush/upload-secret
	secret_before=$(sha256sum 2>/dev/null <"$secret_file" || true)
	listen=${interfaces%%,*}
	[[ $listen != '*' ]] || listen=::
	upload_args=(--domain "$domain" --bucket "$s3_bucket" --credentials "$s3_credentials" --region "$s3_region"
		--port "$upload_port" --listen "$listen" --cert "$cert" --key "$key"
		--expiry $((retention_days * 86400)) --service "$service")
	[[ -z $s3_endpoint ]] || upload_args+=(--endpoint "$s3_endpoint")
	[[ -z $prefix ]] || upload_args+=(--prefix "$prefix")
	upload_out=$("$here/upload-service.sh" "${upload_args[@]}")
	[[ -z $upload_out ]] || changed+=("upload service")
	# Prosody reads the shared secret when it loads its configuration.
	[[ $(sha256sum <"$secret_file") == "$secret_before" ]] || restart=true
	upload_url="https://$domain:$upload_port/upload/"
	upload_settings=(UPLOAD_STORAGE=s3 UPLOAD_URL="$upload_url" UPLOAD_SECRET_FILE="$secret_file")
fi

# ---------- Push gateway ----------
[[ -n $push ]] || { [[ $service == systemd ]] && push=true || push=false; }
push_settings=(COMPONENT_PORT="$push_port")
if $push; then
	push_args=(--domain "$domain" --component-port "$push_port" --service "$service")
	[[ -z $email ]] || push_args+=(--vapid-subject "mailto:$email")
	[[ -z $prefix ]] || push_args+=(--prefix "$prefix")
	push_out=$("$here/push-gateway.sh" "${push_args[@]}")
	[[ $push_out != changed* ]] || changed+=("push gateway")
	push_settings+=(PUSH_SECRET_FILE="${push_out##*$'\n'}")
fi

# ---------- Configuration ----------
rendered=$(mktemp)
trap 'rm -f "$rendered" "${hook:-}"' EXIT
# SASL2, Bind 2 and FAST come from Debian's prosody-modules (in Prosody's own module folder).
community_modules=false
[[ ! -f /usr/lib/prosody/modules/mod_sasl2/mod_sasl2.lua ]] || community_modules=true
"$repo_server/prosody/render.sh" DOMAIN="$domain" INTERFACES="$interfaces" C2S_PORT="$c2s_port" \
	C2S_TLS_PORT="$c2s_tls_port" HTTPS_PORT="$https_port" CERT="$cert" KEY="$key" DATA_DIR="$data_dir" \
	LOG_FILE="$log_dir/prosody.log" PID_FILE="$pid_file" PLUGIN_DIR="$module_dir" RUN_AS_ROOT=false \
	ARCHIVE_EXPIRY="${retention_days}d" UPLOAD_EXPIRY=$((retention_days * 86400)) \
	WEB_DIR="${web_src:+$web_dir}" COMMUNITY_MODULES="$community_modules" "${push_settings[@]}" "${upload_settings[@]}" >"$rendered"
if ! [[ -f $cfg ]] || ! cmp -s "$rendered" "$cfg"; then
	# Checked where Prosody will read it (the prosody user must be able to), then swapped in.
	# Prosody picks the parser by the file's extension, hence the name.
	new=$etc_dir/.prosody-new.cfg.lua
	install -m 0640 -o root -g "$user" "$rendered" "$new"
	if ! check=$(prosodyctl --config "$new" check config 2>&1); then
		rm -f "$new"
		die "the rendered configuration does not pass prosodyctl check config:"$'\n'"$check"
	fi
	if [[ -f $cfg ]]; then
		backup=$cfg.bak-$(date +%Y%m%d-%H%M%S)
		cp -p "$cfg" "$backup"
		say "Kept the previous configuration as $backup"
	fi
	mv -f "$new" "$cfg"
	changed+=("$cfg")
	restart=true
fi
[[ $(stat -c '%a %U %G' "$cfg") == "640 root $user" ]] || { chown "root:$user" "$cfg"; chmod 0640 "$cfg"; }

# ---------- Service ----------
low_ports=false
for port in "$https_port" "$c2s_port" "$c2s_tls_port"; do [[ $port -ge 1024 ]] || low_ports=true; done

running_pid() { # the pid of the Prosody this install runs, or nothing
	local pid
	if [[ $service == systemd ]]; then
		pid=$(systemctl show -p MainPID --value prosody 2>/dev/null || true)
	else
		pid=$(cat "$pid_file" 2>/dev/null || true)
		grep -qs prosody "/proc/$pid/cmdline" || pid=""
	fi
	[[ $pid =~ ^[1-9][0-9]*$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
	return 0
}

start_directly() {
	install -d -m 0755 -o "$user" -g "$user" "$run_dir"
	# As prosodyctl start would, but keeping the one capability Prosody needs for ports below 1024.
	local caps=()
	! $low_ports || caps=(--inh-caps=+net_bind_service --ambient-caps=+net_bind_service)
	(cd "$data_dir" && setpriv --reuid="$user" --regid="$user" --init-groups "${caps[@]}" -- \
		prosody --config "$cfg" -D </dev/null >>"$log_dir/prosody.err" 2>&1)
}

stop_directly() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Prosody keeps running when it cannot open a port, so "started" means every port answers.
wait_for_ports() {
	local host=${interfaces%%,*} port i
	[[ $host != '*' ]] || host=127.0.0.1
	[[ $host != '::' ]] || host=::1
	for port in "$c2s_port" "$c2s_tls_port" "$https_port"; do
		for ((i = 0; ; i++)); do
			if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then break; fi
			[[ $i -lt 100 ]] || die "Prosody does not answer on $host port $port; see $log_dir/prosody.log"
			sleep 0.1
		done
	done
}

pid_before=$(running_pid)
log_size=$(stat -c %s "$log_dir/prosody.log" 2>/dev/null || echo 0)
if [[ $service == systemd ]]; then
	if $low_ports; then
		dropin=$(mktemp)
		printf '%s\n' '# Installed by Hush init.sh: Prosody runs as the prosody user and serves ports below 1024.' \
			'[Service]' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' >"$dropin"
		install -d -m 0755 "$dropin_dir"
		put_file "$dropin" "$dropin_dir/hush.conf" 0644 root && restart=true
		rm -f "$dropin"
	elif [[ -e $dropin_dir/hush.conf ]]; then
		rm -f "$dropin_dir/hush.conf"
		changed+=("removed $dropin_dir/hush.conf")
		restart=true
	fi
	$restart && systemctl daemon-reload
	systemctl is-enabled --quiet prosody 2>/dev/null || systemctl enable --quiet prosody
	if [[ -z $pid_before ]] || $restart; then
		systemctl restart prosody || die "systemctl restart prosody failed; see journalctl -u prosody and $log_dir/prosody.log"
	elif $reload; then
		systemctl reload prosody
	fi
else
	if [[ -n $pid_before ]] && $restart; then
		stop_directly "$pid_before"
		pid_before=""
	fi
	if [[ -z $pid_before ]]; then
		start_directly
	elif $reload; then
		kill -HUP "$pid_before"
	fi
fi
for ((i = 0; ; i++)); do
	pid=$(running_pid)
	[[ -z $pid ]] || break
	[[ $i -lt 100 ]] || die "Prosody did not start; see $log_dir/prosody.log and $log_dir/prosody.err"
	sleep 0.1
done
wait_for_ports
# The admin shell (invites, hush-server) talks to Prosody through this socket.
for ((i = 0; i < 100; i++)); do
	[[ ! -S $data_dir/prosody.sock ]] || break
	sleep 0.1
done
if [[ $pid != "$pid_before" ]]; then
	# A port that another program holds is only an error line in the log; Prosody runs on without it.
	failed=$(tail -c +$((log_size + 1)) "$log_dir/prosody.log" 2>/dev/null | grep -m1 -o 'Failed to open server port.*' || true)
	if [[ -n $failed ]]; then
		# Stopped again (without systemd), so that the next run starts it afresh.
		stopped=""
		if [[ $service != systemd ]]; then
			stop_directly "$pid"
			stopped=" and was stopped again"
		fi
		die "Prosody could not open a port$stopped: $failed (see $log_dir/prosody.log)"
	fi
fi
if [[ $pid == "$pid_before" ]]; then
	server_note="Prosody keeps running (pid $pid)"
	! $reload || server_note="Prosody reloaded its certificate (pid $pid)"
else
	server_note="Prosody (re)started (pid $pid)"
fi

# ---------- The first invite ----------
# Prosody's file storage escapes every character but letters and digits as %xx.
store_name() {
	local s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [[ $c == [A-Za-z0-9] ]]; then out+=$c; else printf -v c '%%%02x' "'$c" && out+=$c; fi
	done
	printf '%s' "$out"
}
host_dir=$data_dir/$(store_name "$domain")
# An unused invite is still in mod_invites' store, with its expiry time.
invite_usable() {
	local token=${1##*preauth=} expires
	expires=$(awk -v t="$token" 'index($0, "[\"" t "\"] = {") { found = 1; next }
		found && /\["expires"\] = [0-9]+;/ { gsub(/[^0-9]/, ""); print; exit }
		found && /^\t};/ { exit }' "$host_dir/invite_token.dat" 2>/dev/null || true)
	[[ -n $expires && $expires -gt $(($(date +%s) + 3600)) ]]
}
show_invite() {
	# With the web app served here, the same invite as an https link opens it in a browser.
	local web="" token=${2##*preauth=}
	if [[ -n $web_src && $token =~ ^[A-Za-z0-9_-]+$ ]]; then
		web="https://$domain$([[ $https_port == 443 ]] || echo ":$https_port")/invite?$token"
	fi
	say "$1"
	say ""
	say "    $2"
	[[ -z $web ]] || say "    $web"
	say ""
	qrencode -t ANSIUTF8 -m 2 "${web:-$2}" || true
	say "Open the link on a phone with Hush (or any XMPP app that supports invites)${web:+ or the https link in a browser}, or scan the code."
	say "It works once, for one account."
}

accounts=("$host_dir"/accounts/*.dat)
[[ -e ${accounts[0]} ]] && has_accounts=true || has_accounts=false
say ""
if $has_accounts; then
	say "Accounts exist on $domain. Invite someone else with: $hush_server invite"
elif [[ -s $invite_file ]] && invite_usable "$(<"$invite_file")"; then
	show_invite "No account yet. The first invite, made at install time and not used yet:" "$(<"$invite_file")"
else
	out=$(prosodyctl --config "$cfg" shell invite create_account "$domain" 2>&1) || die "could not make an invite: $out"
	uri=$(grep -oE 'xmpp:[^[:space:]]+' <<<"$out" | head -n1) || die "prosodyctl printed no invite: $out"
	why="The first invite"
	[[ ! -s $invite_file ]] || why="The stored first invite has expired or was withdrawn; a new one"
	(umask 077 && printf '%s\n' "$uri" >"$invite_file")
	changed+=("$invite_file")
	show_invite "$why (also in $invite_file):" "$uri"
fi

# ---------- Summary ----------
say ""
if [[ ${#changed[@]} -eq 0 && $pid == "$pid_before" ]]; then
	say "Nothing changed: configuration, certificates and data are as they were. $server_note."
else
	say "Changed: ${changed[*]:-nothing on disk}"
	say "$server_note."
fi
say "Hush server for $domain"
say "  configuration   $cfg"
say "  certificate     $cert"
[[ -z $ca_note ]] || say "  $ca_note"
say "  ports           $c2s_port (XMPP, STARTTLS), $c2s_tls_port (XMPP, direct TLS), $https_port (HTTPS: websocket, uploads)"
say "  data            $data_dir (history kept $retention_days days)"
! $push || say "  push            push.$domain (Expo, Web Push, UnifiedPush), on 127.0.0.1:$push_port"
[[ $uploads != s3 ]] || say "  files           bucket $s3_bucket${s3_endpoint:+ at $s3_endpoint}, through $upload_url (kept $retention_days days)"
[[ $service == systemd ]] || say "  started without systemd: re-run this script after a reboot, or stop it with kill \$(cat $pid_file)"
say "  operator tasks  $hush_server help"

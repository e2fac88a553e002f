#!/usr/bin/env bash
# Render server/prosody/prosody.cfg.lua for one deployment.
#
#   render.sh [NAME=VALUE ...] > prosody.cfg.lua
#
# Every value is checked before it is written into the Lua file, so a rendered config can never carry
# a quote, a newline or a stray placeholder. Names and defaults (production values):
usage() {
	cat <<'TXT'
  DOMAIN              the XMPP domain (required), e.g. chat.example.org
  PUBLIC_URL          https base URL of the HTTP service      default https://DOMAIN:HTTPS_PORT/ (no port when 443)
  BEHIND_PROXY        true when a TLS proxy fronts HTTP        default false
  TRUSTED_PROXIES     proxy addresses, comma-separated         default 127.0.0.1,::1
  INTERFACES          c2s listen addresses, comma-separated    default *,::
  HTTP_INTERFACES     HTTP(S) listen addresses                 default INTERFACES
  C2S_PORT            STARTTLS port                            default 5222
  C2S_TLS_PORT        direct TLS port                          default 5223
  HTTPS_PORT          HTTPS port (websocket, uploads), or ""   default 5281
  HTTP_PORT           plain HTTP port, only behind a proxy     default "" (none)
  CERT, KEY           certificate chain and key files          default /etc/prosody/certs/DOMAIN.{crt,key}
  DATA_DIR            Prosody's data directory                 default /var/lib/prosody
  LOG_FILE            log file, or "console"                   default /var/log/prosody/prosody.log
  LOG_LEVEL           debug|info|warn|error                    default info
  PID_FILE            pid file                                 default /run/prosody/prosody.pid
  PLUGIN_DIR          Hush's own Prosody modules               default the modules/ folder beside this script
  RUN_AS_ROOT         true|false                               default false
  WEB_DIR             the web app's files (packages/app/dist), served at the domain root
                                                               default empty: not served
  WEB_APP             true when the web app answers at PUBLIC_URL (served by Prosody from WEB_DIR, or
                      by the proxy in front); invites then also print an https link
                                                               default true with WEB_DIR, else false
  INVITE_EXPIRY       seconds an invite stays valid            default 604800 (7 days)
  ARCHIVE_EXPIRY      message archive retention: seconds, or a Prosody period (1d, 1w, 1m, 1y), or never
                                                               default 1w
  UPLOAD_LIMIT        largest upload in bytes                  default 10485760 (10 MB)
  UPLOAD_EXPIRY       seconds an uploaded file is kept         default 604800 (7 days)
  UPLOAD_DAILY_QUOTA  bytes one user may upload per day        default 104857600 (100 MB)
  UPLOAD_GLOBAL_QUOTA bytes of uploads the server keeps        default 10737418240 (10 GB)
  UPLOAD_STORAGE      disk: files in DATA_DIR (mod_http_file_share); s3: in a bucket, through Hush's
                      upload service (mod_http_upload_external)    default disk
  UPLOAD_URL          s3: the upload service's https base URL, ending in /   default PUBLIC_URL's
                      host on port 5282, path /upload/
  UPLOAD_SECRET_FILE  s3: file whose first line is the HMAC secret Prosody shares with the upload
                      service                                  default /etc/hush/upload-secret
  C2S_RATE            per-connection read rate                 default 1mb/s
  C2S_BURST           seconds of burst above the rate          default 4s
  NETWORK_READ_SIZE   bytes read from a socket at once         default 65536 (Prosody's own: 4096)
  COMMUNITY_MODULES   true: offer SASL2, Bind 2 and FAST from prosody-modules (installed beside Prosody)
                                                               default true
  AUTH_TIMEOUT        seconds a connection may take to log in  default 60
  AUTH_FAILURE_DELAY  seconds before a failed login is answered (doubles per failure, up to 8)
                                                               default 1
  AUTH_ADDRESS_FAILURES  failed logins from one address before it is blocked for 15 minutes
                                                               default 10
  AUTH_ACCOUNT_FAILURES  failed logins on one account before it is blocked for 15 minutes (for
                      addresses that never logged into it)     default 20
  CONNECTIONS_PER_ADDRESS  open connections from one address   default 50
  HSTS_MAX_AGE        Strict-Transport-Security max-age in seconds, 0 for none
                                                               default 31536000 (1 year), 0 for localhost
  UNAUTHENTICATED_CONNECTIONS  XMPP connections not logged in yet, server-wide
                                                               default 500
  PUSH                true: push notifications (XEP-0357, mod_cloud_notify), never with body or sender
                                                               default true
  PUSH_SECRET_FILE    file whose first line is the push gateway component's secret (made by
                      hush-push-gateway init); empty: no push gateway on this server   default empty
  COMPONENT_PORT      port components (the push gateway) connect to   default 5347
  COMPONENT_INTERFACES  addresses that port listens on        default 127.0.0.1,::1
TXT
}
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
template="$here/prosody.cfg.lua"

declare -A v=(
	[BEHIND_PROXY]=false [TRUSTED_PROXIES]="127.0.0.1,::1" [INTERFACES]="*,::"
	[C2S_PORT]=5222 [C2S_TLS_PORT]=5223 [HTTPS_PORT]=5281 [HTTP_PORT]=""
	[DATA_DIR]=/var/lib/prosody [LOG_FILE]=/var/log/prosody/prosody.log [LOG_LEVEL]=info
	[PID_FILE]=/run/prosody/prosody.pid [PLUGIN_DIR]="$here/modules" [RUN_AS_ROOT]=false [WEB_DIR]=""
	[INVITE_EXPIRY]=604800 [ARCHIVE_EXPIRY]=1w
	[UPLOAD_LIMIT]=10485760 [UPLOAD_EXPIRY]=604800 [UPLOAD_DAILY_QUOTA]=104857600
	[UPLOAD_GLOBAL_QUOTA]=10737418240 [C2S_RATE]=1mb/s [C2S_BURST]=4s [NETWORK_READ_SIZE]=65536
	[COMMUNITY_MODULES]=true [AUTH_TIMEOUT]=60 [AUTH_FAILURE_DELAY]=1 [AUTH_ADDRESS_FAILURES]=10
	[AUTH_ACCOUNT_FAILURES]=20 [CONNECTIONS_PER_ADDRESS]=50 [UNAUTHENTICATED_CONNECTIONS]=500
)
# Push (XEP-0357): mod_cloud_notify and the gateway component.
v+=([PUSH]=true [PUSH_SECRET_FILE]="" [COMPONENT_PORT]=5347 [COMPONENT_INTERFACES]="127.0.0.1,::1")
# Upload storage: disk (Prosody) or s3 (Hush's upload service in front of a bucket).
v+=([UPLOAD_STORAGE]=disk [UPLOAD_SECRET_FILE]=/etc/hush/upload-secret)
for arg in "$@"; do
	case "$arg" in
	-h | --help) usage; exit 0 ;;
	*=*) v[${arg%%=*}]=${arg#*=} ;;
	*) echo "render.sh: expected NAME=VALUE, got '$arg'" >&2; exit 2 ;;
	esac
done

fail() { echo "render.sh: $1" >&2; exit 2; }
need() { # need NAME REGEX WHAT
	[[ -v v[$1] ]] || fail "$1 is required"
	[[ ${v[$1]} =~ $2 ]] || fail "$1='${v[$1]}' is not $3"
}
[[ -v v[DOMAIN] ]] || fail "DOMAIN is required (render.sh --help)"
v[DOMAIN]=${v[DOMAIN],,}
need DOMAIN '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' "a domain name"
[[ -v v[CERT] ]] || v[CERT]=/etc/prosody/certs/${v[DOMAIN]}.crt
[[ -v v[KEY] ]] || v[KEY]=/etc/prosody/certs/${v[DOMAIN]}.key
[[ -v v[HTTP_INTERFACES] ]] || v[HTTP_INTERFACES]=${v[INTERFACES]}
if [[ ! -v v[HSTS_MAX_AGE] ]]; then
	if [[ ${v[DOMAIN]} == localhost ]]; then v[HSTS_MAX_AGE]=0; else v[HSTS_MAX_AGE]=31536000; fi
fi
if [[ ! -v v[WEB_APP] ]]; then
	if [[ -n ${v[WEB_DIR]} ]]; then v[WEB_APP]=true; else v[WEB_APP]=false; fi
fi
if [[ ! -v v[PUBLIC_URL] ]]; then
	port=${v[HTTPS_PORT]}
	if [[ -z $port || $port == 443 ]]; then v[PUBLIC_URL]="https://${v[DOMAIN]}/"; else v[PUBLIC_URL]="https://${v[DOMAIN]}:$port/"; fi
fi

if [[ ! -v v[UPLOAD_URL] ]]; then
	v[UPLOAD_URL]=$(sed -E 's#^(https://[^/:]+)(:[0-9]+)?/.*$#\1:5282/upload/#' <<<"${v[PUBLIC_URL]}")
fi
path='^/[A-Za-z0-9._/+-]*$'
port='^[0-9]{1,5}$'
optport='^([0-9]{1,5})?$'
addrs='^(\*|[0-9A-Fa-f.:]+)(,(\*|[0-9A-Fa-f.:]+))*$'
bool='^(true|false)$'
count='^[0-9]+$'
need PUBLIC_URL '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/([A-Za-z0-9._~/-]*/)?$' "an https URL ending in /"
need BEHIND_PROXY "$bool" "true or false"
need TRUSTED_PROXIES "$addrs" "a list of addresses"
need INTERFACES "$addrs" "a list of addresses"
need HTTP_INTERFACES "$addrs" "a list of addresses"
need C2S_PORT "$port" "a port"
need C2S_TLS_PORT "$port" "a port"
need HTTPS_PORT "$optport" "a port or empty"
need HTTP_PORT "$optport" "a port or empty"
need CERT "$path" "an absolute path"
need KEY "$path" "an absolute path"
need DATA_DIR "$path" "an absolute path"
need PID_FILE "$path" "an absolute path"
need PLUGIN_DIR "$path" "an absolute path"
[[ -z ${v[WEB_DIR]} ]] || need WEB_DIR "$path" "an absolute path, or empty"
[[ ${v[LOG_FILE]} == console ]] || need LOG_FILE "$path" "an absolute path or console"
need LOG_LEVEL '^(debug|info|warn|error)$' "debug, info, warn or error"
need RUN_AS_ROOT "$bool" "true or false"
need WEB_APP "$bool" "true or false"
need COMMUNITY_MODULES "$bool" "true or false"
positive='^[1-9][0-9]*$'
need AUTH_TIMEOUT "$positive" "a number of seconds (1 or more)"
need AUTH_FAILURE_DELAY '^[0-9]+(\.[0-9]+)?$' "a number of seconds"
need AUTH_ADDRESS_FAILURES "$positive" "a count (1 or more)"
need AUTH_ACCOUNT_FAILURES "$positive" "a count (1 or more)"
need CONNECTIONS_PER_ADDRESS "$positive" "a count (1 or more)"
need UNAUTHENTICATED_CONNECTIONS "$positive" "a count (1 or more)"
need HSTS_MAX_AGE "$count" "a number of seconds"
need INVITE_EXPIRY "$count" "a number of seconds"
need ARCHIVE_EXPIRY '^([0-9]+[dwmy]?|never)$' "seconds, a period such as 1w, or never"
need UPLOAD_LIMIT "$count" "a number of bytes"
need UPLOAD_EXPIRY "$count" "a number of seconds"
need UPLOAD_DAILY_QUOTA "$count" "a number of bytes"
need UPLOAD_GLOBAL_QUOTA "$count" "a number of bytes"
need C2S_RATE '^[0-9]+(\.[0-9]+)?[kmg]?b/s$' "a rate such as 64kb/s"
need NETWORK_READ_SIZE "$count" "a number of bytes"
need C2S_BURST '^[0-9]+(\.[0-9]+)?s$' "a duration such as 4s"
need PUSH "$bool" "true or false"
[[ -z ${v[PUSH_SECRET_FILE]} ]] || need PUSH_SECRET_FILE "$path" "an absolute path, or empty"
need COMPONENT_PORT "$port" "a port"
need COMPONENT_INTERFACES "$addrs" "a list of addresses"
need UPLOAD_STORAGE '^(disk|s3)$' "disk or s3"
need UPLOAD_URL '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/([A-Za-z0-9._~-]+/)*$' "an https URL ending in /"
need UPLOAD_SECRET_FILE "$path" "an absolute path"
if [[ ${v[BEHIND_PROXY]} == false && -n ${v[HTTP_PORT]} ]]; then
	fail "HTTP_PORT is only for a deployment behind a TLS proxy (BEHIND_PROXY=true)"
fi

lua_list() { # a,b -> "a", "b"
	local out="" item
	IFS=, read -ra items <<<"$1"
	for item in "${items[@]}"; do out+="${out:+, }\"$item\""; done
	printf '%s' "$out"
}
for name in INTERFACES HTTP_INTERFACES TRUSTED_PROXIES COMPONENT_INTERFACES; do v[$name]=$(lua_list "${v[$name]}"); done

out=$(<"$template")
for name in "${!v[@]}"; do out=${out//@$name@/${v[$name]}}; done
if grep -qE '@[A-Z_]+@' <<<"$out"; then
	fail "template placeholders left unrendered: $(grep -oE '@[A-Z_]+@' <<<"$out" | sort -u | tr '\n' ' ')"
fi
printf '%s\n' "$out"

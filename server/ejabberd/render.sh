#!/usr/bin/env bash
# Render server/ejabberd/ejabberd.yml for one deployment (every node of a cluster uses the same file).
#
#   render.sh [NAME=VALUE ...] > ejabberd.yml
#
# Takes the settings of server/prosody/render.sh, so one settings file renders either server. Every
# value is checked before it is written into the YAML file, so a rendered config can never carry a
# quote, a newline or a stray placeholder. Names and defaults (production values):
usage() {
	cat <<'TXT'
  DOMAIN              the XMPP domain (required), e.g. chat.example.org
  PUBLIC_URL          https base URL of the HTTP service (uploads answer at PUBLIC_URL/upload)
                                                               default https://DOMAIN:HTTPS_PORT/ (no port when 443)
  INTERFACES          the address to listen on: one address, or * (or *,::) for all, IPv4 and IPv6
                                                               default *,::
  C2S_PORT            STARTTLS port                            default 5222
  C2S_TLS_PORT        direct TLS port                          default 5223
  HTTPS_PORT          HTTPS port (websocket, uploads)          default 5281
  PROXY_PROTOCOL      true when a load balancer in front sends the PROXY protocol (every port)
                                                               default false
  CERT, KEY           certificate chain and key files          default /etc/ejabberd/certs/DOMAIN.{crt,key}
  UPLOAD_DIR          uploaded files (shared by all nodes)     default /var/lib/ejabberd/upload
  LOG_LEVEL           debug|info|warn|error                    default info
  ARCHIVE_EXPIRY      message archive retention: seconds, or a period (1d, 1w, 1m, 1y), or never;
                      whole days, applied by `hush-ejabberd expire` (daily)   default 1w
  UPLOAD_LIMIT        largest upload in bytes                  default 10485760 (10 MB)
  UPLOAD_EXPIRY       seconds an uploaded file is kept (rounded up to days)   default 604800 (7 days)
  UPLOAD_DAILY_QUOTA  bytes one user may upload per day; ejabberd counts what a user keeps, so the
                      quota is this times the days a file is kept, in MiB     default 104857600 (100 MB)
  C2S_RATE            per-connection read rate                 default 1mb/s
  C2S_BURST           seconds of burst above the rate          default 4s
  AUTH_TIMEOUT        seconds a connection may take to log in  default 60
  AUTH_ADDRESS_FAILURES  failed logins from one address before it is blocked for 15 minutes
                                                               default 10
  NET_TICKTIME        seconds before a cluster node that stopped answering counts as down (Erlang's
                      net_ticktime: it is declared down after 0.75-1.25 times this); until then
                      its users' sessions are still routed to it         default 20
  DB_TYPE             mnesia (ejabberd's own, replicated across the cluster) or pgsql (on Debian
                      also install erlang-p1-pgsql, which ejabberd only suggests)
                                                               default mnesia
  SQL_SERVER, SQL_PORT, SQL_DATABASE, SQL_USERNAME, SQL_PASSWORD
                      PostgreSQL, with DB_TYPE=pgsql; ejabberd creates and updates its schema
                                                               default localhost, 5432, ejabberd, ejabberd, (required)

Prosody settings accepted and not used, because ejabberd 24.12 has no equivalent (or Hush does not
need one there): BEHIND_PROXY, TRUSTED_PROXIES, HTTP_INTERFACES, HTTP_PORT, DATA_DIR (the node's
Mnesia folder is given when it starts), LOG_FILE, PID_FILE, PLUGIN_DIR, RUN_AS_ROOT, WEB_DIR,
WEB_APP, INVITE_EXPIRY (no invites: accounts are made by the operator), UPLOAD_GLOBAL_QUOTA,
NETWORK_READ_SIZE, COMMUNITY_MODULES (SASL2, Bind 2 and FAST are built in), AUTH_FAILURE_DELAY,
AUTH_ACCOUNT_FAILURES, CONNECTIONS_PER_ADDRESS, UNAUTHENTICATED_CONNECTIONS.
TXT
}
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
template="$here/ejabberd.yml"

declare -A v=(
	[INTERFACES]="*,::" [C2S_PORT]=5222 [C2S_TLS_PORT]=5223 [HTTPS_PORT]=5281 [PROXY_PROTOCOL]=false
	[UPLOAD_DIR]=/var/lib/ejabberd/upload [LOG_LEVEL]=info [ARCHIVE_EXPIRY]=1w
	[UPLOAD_LIMIT]=10485760 [UPLOAD_EXPIRY]=604800 [UPLOAD_DAILY_QUOTA]=104857600
	[C2S_RATE]=1mb/s [C2S_BURST]=4s [AUTH_TIMEOUT]=60 [AUTH_ADDRESS_FAILURES]=10
	[NET_TICKTIME]=20 [DB_TYPE]=mnesia [SQL_SERVER]=localhost [SQL_PORT]=5432 [SQL_DATABASE]=ejabberd
	[SQL_USERNAME]=ejabberd
)
prosody_only=" BEHIND_PROXY TRUSTED_PROXIES HTTP_INTERFACES HTTP_PORT DATA_DIR LOG_FILE PID_FILE PLUGIN_DIR RUN_AS_ROOT WEB_DIR WEB_APP INVITE_EXPIRY UPLOAD_GLOBAL_QUOTA NETWORK_READ_SIZE COMMUNITY_MODULES AUTH_FAILURE_DELAY AUTH_ACCOUNT_FAILURES CONNECTIONS_PER_ADDRESS UNAUTHENTICATED_CONNECTIONS "
known=" DOMAIN PUBLIC_URL CERT KEY SQL_PASSWORD ${!v[*]} "
for arg in "$@"; do
	case "$arg" in
	-h | --help) usage; exit 0 ;;
	*=*)
		name=${arg%%=*}
		if [[ $prosody_only == *" $name "* ]]; then continue; fi
		[[ $known == *" $name "* ]] || { echo "render.sh: unknown setting '$name' (render.sh --help)" >&2; exit 2; }
		v[$name]=${arg#*=}
		;;
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
[[ -v v[CERT] ]] || v[CERT]=/etc/ejabberd/certs/${v[DOMAIN]}.crt
[[ -v v[KEY] ]] || v[KEY]=/etc/ejabberd/certs/${v[DOMAIN]}.key
if [[ ! -v v[PUBLIC_URL] ]]; then
	p=${v[HTTPS_PORT]}
	if [[ $p == 443 ]]; then v[PUBLIC_URL]="https://${v[DOMAIN]}/"; else v[PUBLIC_URL]="https://${v[DOMAIN]}:$p/"; fi
fi

path='^/[A-Za-z0-9._/+-]*$'
port='^[0-9]{1,5}$'
bool='^(true|false)$'
positive='^[1-9][0-9]*$'
need PUBLIC_URL '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/([A-Za-z0-9._~/-]*/)?$' "an https URL ending in /"
need INTERFACES '^(\*|[0-9A-Fa-f.:]+)(,(\*|[0-9A-Fa-f.:]+))*$' "a list of addresses"
need C2S_PORT "$port" "a port"
need C2S_TLS_PORT "$port" "a port"
need HTTPS_PORT "$port" "a port"
need PROXY_PROTOCOL "$bool" "true or false"
need CERT "$path" "an absolute path"
need KEY "$path" "an absolute path"
need UPLOAD_DIR "$path" "an absolute path"
need LOG_LEVEL '^(debug|info|warn|error)$' "debug, info, warn or error"
need ARCHIVE_EXPIRY '^([0-9]+[dwmy]?|never)$' "seconds, a period such as 1w, or never"
need UPLOAD_LIMIT "$positive" "a number of bytes"
need UPLOAD_EXPIRY "$positive" "a number of seconds"
need UPLOAD_DAILY_QUOTA "$positive" "a number of bytes"
need C2S_RATE '^[0-9]+(\.[0-9]+)?[kmg]?b/s$' "a rate such as 64kb/s"
need C2S_BURST '^[0-9]+(\.[0-9]+)?s$' "a duration such as 4s"
need AUTH_TIMEOUT "$positive" "a number of seconds (1 or more)"
need AUTH_ADDRESS_FAILURES "$positive" "a count (1 or more)"
need NET_TICKTIME "$positive" "a number of seconds (1 or more)"
need DB_TYPE '^(mnesia|pgsql)$' "mnesia or pgsql"

# One listening address: ejabberd takes one per port; * (alone or with ::) is "::", every address.
IFS=, read -ra addresses <<<"${v[INTERFACES]}"
wild=true
for a in "${addresses[@]}"; do [[ $a == '*' || $a == '::' ]] || wild=false; done
if $wild; then
	v[INTERFACE]="::"
elif [[ ${#addresses[@]} -eq 1 ]]; then
	v[INTERFACE]=${addresses[0]}
else
	fail "INTERFACES='${v[INTERFACES]}': ejabberd listens on one address per port (give one, or * for all)"
fi

# Periods in whole days.
days_of() { # seconds or Nd/Nw/Nm/Ny -> days, rounded up
	local n=${1%[dwmy]}
	case $1 in
	*d) echo "$n" ;; *w) echo $((n * 7)) ;; *m) echo $((n * 30)) ;; *y) echo $((n * 365)) ;;
	*) echo $(((n + 86399) / 86400)) ;;
	esac
}
if [[ ${v[ARCHIVE_EXPIRY]} == never ]]; then v[ARCHIVE_DAYS]=never; else
	v[ARCHIVE_DAYS]=$(days_of "${v[ARCHIVE_EXPIRY]}")
	[[ ${v[ARCHIVE_DAYS]} -ge 1 ]] || fail "ARCHIVE_EXPIRY='${v[ARCHIVE_EXPIRY]}' is less than a day"
fi
v[UPLOAD_DAYS]=$(days_of "${v[UPLOAD_EXPIRY]}")
mib=$((1024 * 1024))
v[UPLOAD_QUOTA_MIB]=$(((v[UPLOAD_DAILY_QUOTA] * v[UPLOAD_DAYS] + mib - 1) / mib))
v[UPLOAD_SOFT_QUOTA_MIB]=$(((v[UPLOAD_QUOTA_MIB] * 9 + 9) / 10))

# Rates in bytes per second (k, m, g are powers of 1024, as in Prosody), fractions dropped.
rate=${v[C2S_RATE]%b/s}
case $rate in
*k) factor=1024 ;; *m) factor=$mib ;; *g) factor=$((mib * 1024)) ;; *) factor=1 ;;
esac
rate=${rate%[kmg]}
v[C2S_RATE_BYTES]=$(awk -v r="$rate" -v f="$factor" 'BEGIN { printf "%d", r * f }')
v[C2S_BURST_BYTES]=$(awk -v r="${v[C2S_RATE_BYTES]}" -v s="${v[C2S_BURST]%s}" 'BEGIN { printf "%d", r * s }')
[[ ${v[C2S_RATE_BYTES]} -ge 1 ]] || fail "C2S_RATE='${v[C2S_RATE]}' is less than a byte a second"

# ejabberd spells warn in full.
[[ ${v[LOG_LEVEL]} != warn ]] || v[LOG_LEVEL]=warning

if [[ ${v[DB_TYPE]} == mnesia ]]; then
	v[DATABASE]='# Mnesia, ejabberd'"'"'s own database, on every node (join_cluster replicates it).
default_db: mnesia
auth_method: mnesia'
else
	need SQL_SERVER '^[A-Za-z0-9.:-]+$' "a host name or address"
	need SQL_PORT "$port" "a port"
	need SQL_DATABASE '^[A-Za-z_][A-Za-z0-9_]*$' "a database name"
	need SQL_USERNAME '^[A-Za-z_][A-Za-z0-9_]*$' "a user name"
	need SQL_PASSWORD '^[A-Za-z0-9._~+/=-]{12,}$' "a password of 12 or more letters, digits or ._~+/=-"
	v[DATABASE]="# One PostgreSQL for every node: accounts, rosters, archives, PEP. Sessions and routes stay in
# Mnesia, in memory, shared by the nodes of the cluster. ejabberd creates and updates its schema.
sql_type: pgsql
sql_server: \"${v[SQL_SERVER]}\"
sql_port: ${v[SQL_PORT]}
sql_database: \"${v[SQL_DATABASE]}\"
sql_username: \"${v[SQL_USERNAME]}\"
sql_password: \"${v[SQL_PASSWORD]}\"
sql_pool_size: 10
update_sql_schema: true
default_db: sql
auth_method: sql"
fi

out=$(<"$template")
for name in "${!v[@]}"; do out=${out//@$name@/${v[$name]}}; done
if grep -qE '@[A-Z_]+@' <<<"$out"; then
	fail "template placeholders left unrendered: $(grep -oE '@[A-Z_]+@' <<<"$out" | sort -u | tr '\n' ' ')"
fi
printf '%s\n' "$out"

#!/usr/bin/env bash
# A private certificate authority for LAN, local and test servers.
#
#   local-ca.sh DIR DOMAIN [SAN ...]
#
# Makes (once) DIR/ca.crt + DIR/ca.key, and a server certificate DIR/DOMAIN.crt + DIR/DOMAIN.key
# signed by it for DOMAIN, upload.DOMAIN and any extra SAN (DNS:name or IP:address). Clients trust
# DIR/ca.crt. Re-running keeps what is there while it is still valid for 30 days and covers the same
# names, so a second run changes nothing. EC P-256 keys; the CA key never leaves DIR (mode 0600).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: local-ca.sh DIR DOMAIN [SAN ...]" >&2; exit 2; }
dir=$1 domain=$2
shift 2
[[ $domain =~ ^[A-Za-z0-9.-]+$ ]] || { echo "local-ca.sh: bad domain '$domain'" >&2; exit 2; }
sans="DNS:$domain,DNS:upload.$domain"
for san in "$@"; do
	[[ $san =~ ^(DNS:[A-Za-z0-9.*-]+|IP:[0-9A-Fa-f.:]+)$ ]] || { echo "local-ca.sh: bad SAN '$san'" >&2; exit 2; }
	sans+=",$san"
done
mkdir -p "$dir"
umask 077
ca_crt="$dir/ca.crt" ca_key="$dir/ca.key" crt="$dir/$domain.crt" key="$dir/$domain.key"
valid_for_30_days() { openssl x509 -in "$1" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; }

if ! [[ -s $ca_crt && -s $ca_key ]] || ! valid_for_30_days "$ca_crt"; then
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days 3650 \
		-keyout "$ca_key" -out "$ca_crt" -subj "/CN=Hush local CA for $domain" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	rm -f "$crt"
fi

# The names a certificate was made for are kept beside it: openssl prints them in another form.
names="$dir/$domain.names"
if [[ -s $crt && -s $key && -s $names ]] && valid_for_30_days "$crt" && [[ $(<"$names") == "$sans" ]] &&
	openssl verify -CAfile "$ca_crt" "$crt" >/dev/null 2>&1; then
	exit 0
fi
csr=$(mktemp)
ext=$(mktemp)
trap 'rm -f "$csr" "$ext"' EXIT
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$key" -out "$csr" -subj "/CN=$domain" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$sans" >"$ext"
openssl x509 -req -in "$csr" -CA "$ca_crt" -CAkey "$ca_key" -CAcreateserial -days 397 -sha256 -extfile "$ext" -out "$crt" 2>/dev/null
rm -f "$dir/ca.srl"
printf '%s\n' "$sans" >"$names"
chmod 0644 "$ca_crt" "$crt" "$names"

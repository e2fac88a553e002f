#!/usr/bin/env bash
# Entrypoint of the compose `prosody` service.
#
#   prosody-start.sh prosody -F      install Caddy's certificate for DOMAIN, then start Prosody
#   prosody-start.sh --install-cert  only install (or refresh) it: exit 0 when CERT and KEY are in
#                                    place, 1 when Caddy has none yet, 2 when copying failed
#
# Why: Caddy obtains and renews the certificate for DOMAIN (ACME); Prosody needs the same one for
# client TLS (5222 STARTTLS, 5223 direct TLS). Caddy keeps its keys root-only (0600) in its data
# volume, mounted read-only here, and Prosody runs as the unprivileged user prosody (the image's
# entrypoint drops root), so it cannot read them in place. This script still runs as root: it copies
# the pair to CERT and KEY (the paths render.sh wrote into the config; the key readable by the group
# prosody only), waits for it on the first start (Caddy needs a moment to get it), then starts
# Prosody through the image's own /entrypoint.sh. A background loop looks for a renewed certificate
# every CERT_CHECK_SECONDS; a new one is copied and Prosody reloaded (prosodyctl reload: Prosody
# re-reads its certificates, connections stay up).
#
# Environment: DOMAIN, CERT, KEY (the values render.sh got: docker-compose.yml passes the same
# strings to both), CADDY_CERTIFICATES (Caddy's certificates folder), CERT_GROUP (group allowed to
# read the key), CERT_CHECK_SECONDS.
set -euo pipefail
: "${DOMAIN:?}" "${CERT:?}" "${KEY:?}"
domain=${DOMAIN,,} # Caddy names its folders in lower case, as render.sh writes the domain
caddy_certs=${CADDY_CERTIFICATES:-/caddy-data/caddy/certificates}
group=${CERT_GROUP:-prosody}
every=${CERT_CHECK_SECONDS:-3600}

say() { echo "prosody-start: $*" >&2; }

# Caddy stores FOLDER/<issuer>/<domain>/<domain>.crt (the full chain) and .key beside it. The issuer
# folder depends on the CA (Let's Encrypt, or ZeroSSL when Caddy falls back): take the newest.
caddy_cert() {
	{ find "$caddy_certs" -mindepth 3 -maxdepth 3 -type f -path "*/$domain/$domain.crt" \
		-printf '%T@ %p\n' 2>/dev/null || true; } | sort -rn | head -n 1 | cut -d ' ' -f 2-
}

# Sets installed_new=true when it copied a new pair.
installed_new=false
install_cert() {
	installed_new=false
	local crt key
	crt=$(caddy_cert)
	if [[ -z $crt ]]; then
		[[ -s $CERT && -s $KEY ]] # an earlier copy serves until Caddy has one again
		return
	fi
	key=${crt%.crt}.key
	if cmp -s "$crt" "$CERT" && cmp -s "$key" "$KEY"; then return 0; fi
	mkdir -p "$(dirname "$CERT")" "$(dirname "$KEY")"
	# Each file is replaced atomically; Prosody reloads only after both are in place.
	if ! { install -m 0640 -g "$group" "$key" "$KEY.new" && mv -f "$KEY.new" "$KEY" &&
		install -m 0644 "$crt" "$CERT.new" && mv -f "$CERT.new" "$CERT"; }; then
		say "could not copy $crt and its key to $CERT and $KEY"
		return 2
	fi
	installed_new=true
	say "installed $crt as $CERT"
}

if [[ ${1-} == --install-cert ]]; then
	install_cert
	exit
fi

waited=0
until install_cert; do
	if ((waited % 300 == 0)); then
		say "waiting for Caddy's certificate for $domain in $caddy_certs (Caddy gets it once" \
			"https://$domain/ is reachable from the internet on ports 80 and 443)"
	fi
	sleep 10
	waited=$((waited + 10))
done

# Caddy renews about 30 days before expiry: an hourly look is plenty.
(
	while sleep "$every"; do
		if install_cert && [[ $installed_new == true ]]; then
			prosodyctl --root reload || say "prosodyctl reload failed; restart the prosody service"
		fi
	done
) &

# The image's entrypoint adapts the prosody user to the data volume's owner, drops root and runs
# the command (prosody -F).
exec /entrypoint.sh "$@"

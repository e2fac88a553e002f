#!/usr/bin/env bash
# The compose `config` service: render the production template with the NAME=VALUE arguments that
# docker-compose.yml gives it, and install the result as Prosody's configuration.
#
#   render-config.sh NAME=VALUE ...
#
# Writes /etc/prosody/prosody.cfg.lua (the prosody-config volume), or $HUSH_PROSODY_CONFIG: the test
# (compose.test.ts) renders the very same arguments through this script into a temporary file.
# The file is replaced atomically and only when render.sh accepted every value, so a bad .env keeps
# the last good configuration in place and fails this service, and compose does not start prosody.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${HUSH_PROSODY_CONFIG:-/etc/prosody/prosody.cfg.lua}
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# The push gateway's component, once push-init has made its secret (Prosody reads the file).
if [[ -n ${HUSH_PUSH_SECRET_FILE:-} && -s $HUSH_PUSH_SECRET_FILE ]]; then
	set -- "$@" PUSH_SECRET_FILE="$HUSH_PUSH_SECRET_FILE"
fi
# Files on S3-compatible storage (UPLOAD_STORAGE=s3): the HMAC secret Prosody shares with the upload
# service, made once in the file UPLOAD_SECRET_FILE names (the upload-state volume); both read it
# from there, so it is in no configuration and in no environment.
storage=disk secret_file=""
for arg in "$@"; do
	case $arg in
	UPLOAD_STORAGE=*) storage=${arg#*=} ;;
	UPLOAD_SECRET_FILE=*) secret_file=${arg#*=} ;;
	esac
done
if [[ $storage == s3 && -n $secret_file && ! -s $secret_file ]]; then
	mkdir -p "$(dirname "$secret_file")"
	secret=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	[[ ${#secret} -eq 64 ]] || { echo "render-config: could not make a secret" >&2; exit 1; }
	(umask 022 && printf '%s\n' "$secret" >"$secret_file.new")
	mv -f "$secret_file.new" "$secret_file"
	echo "render-config: made the upload secret in $secret_file"
fi
bash "$here/../../prosody/render.sh" "$@" >"$tmp"
# Prosody runs as the user prosody and must read it; it holds no secrets.
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "render-config: wrote $out"

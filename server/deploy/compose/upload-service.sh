#!/usr/bin/env bash
# The compose `upload` service: Hush's upload service (packages/upload-service) from this checkout,
# mounted read-only at /hush/repo, for files on S3-compatible storage (UPLOAD_STORAGE=s3 in .env).
#
# UPLOAD_STORAGE=s3: copies the sources (without node_modules) into the upload-build volume,
# installs the service's dependencies there at the versions package-lock.json pins (npm ci, again
# only when the lockfile changed), and runs the service on plain HTTP (HUSH_UPLOAD_LISTEN) for
# Caddy, which serves it at https://DOMAIN/upload/. The HMAC secret it shares with Prosody is made
# by the config service (compose/render-config.sh); the bucket's credentials are a compose secret.
# UPLOAD_STORAGE=disk: Prosody keeps the files and this service only waits.
set -euo pipefail
src=${HUSH_REPO:-/hush/repo}
work=${HUSH_UPLOAD_WORK:-/build/repo}
say() { echo "upload-service: $*" >&2; }
case ${UPLOAD_STORAGE:-disk} in
disk)
	say "UPLOAD_STORAGE=disk: Prosody keeps the files, nothing to do here"
	exec sleep infinity
	;;
s3) ;;
*)
	say "UPLOAD_STORAGE='$UPLOAD_STORAGE' is not disk or s3"
	exit 2
	;;
esac
[[ -n ${HUSH_S3_BUCKET:-} ]] || {
	say "UPLOAD_STORAGE=s3 needs HUSH_S3_BUCKET in .env (see .env.example)"
	exit 2
}
credentials=${HUSH_S3_CREDENTIALS_FILE:?}
grep -q aws_secret_access_key "$credentials" 2>/dev/null || {
	say "UPLOAD_STORAGE=s3 needs HUSH_S3_CREDENTIALS in .env: a file of" \
		"aws_access_key_id = ... and aws_secret_access_key = ... lines"
	exit 2
}
[[ -s ${HUSH_UPLOAD_SECRET_FILE:?} ]] || {
	say "no secret in $HUSH_UPLOAD_SECRET_FILE: the config service makes it (docker compose up -d)"
	exit 2
}
mkdir -p "$work"
tar -C "$src" --exclude=node_modules --exclude=./packages/app/dist -cf - \
	package.json package-lock.json packages | tar -C "$work" -xf -
stamp=$(sha256sum <"$work/package-lock.json")
if [[ $(cat "$work/.upload-stamp" 2>/dev/null) != "$stamp" ]]; then
	(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w @hush/upload-service >&2)
	echo "$stamp" >"$work/.upload-stamp"
fi
exec node --disable-warning=ExperimentalWarning "$work/packages/upload-service/src/main.ts"

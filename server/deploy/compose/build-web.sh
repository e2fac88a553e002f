#!/usr/bin/env bash
# The compose `web` service: builds the web app from this checkout (mounted read-only at /hush/repo)
# into the `web` volume, which Caddy serves at https://DOMAIN/.
#
# The sources are copied, without node_modules, into the `web-build` volume, which keeps the
# installed dependencies between runs; scripts/build-web.sh then builds only when the sources are
# newer than the last build (tar keeps their times), so `docker compose up -d` after a `git pull`
# rebuilds, and one without changes takes seconds.
set -euo pipefail
src=${HUSH_REPO:-/hush/repo}
work=${HUSH_WEB_WORK:-/build/repo}
out=${HUSH_WEB_OUT:-/web}
mkdir -p "$work" "$out"
tar -C "$src" --exclude=./.git --exclude=node_modules --exclude=./packages/app/dist \
	--exclude=./.hush-local -cf - . | tar -C "$work" -xf -
bash "$work/scripts/build-web.sh" "$out"

# The compose `prosody` image: the official Prosody image with the one community module Hush's S3
# mode needs, mod_http_upload_external (Prosody hands out upload slots for Hush's upload service).
# The official image has no community modules. The module comes from Debian's prosody-modules, the
# package the native install and the test suite use, at the same snapshot of prosody-modules
# (hg 2025-04-02, f315edc39f3d); compose.test.ts checks that this pin matches the package the tests
# run. Only the module's files are copied: the image keeps its own Prosody build. Without
# UPLOAD_STORAGE=s3 the module is never loaded.
FROM debian:trixie-slim AS community-modules
ARG PROSODY_MODULES_VERSION=0.0~hg20250402.f315edc39f3d+dfsg-2
RUN apt-get update \
	&& cd /tmp \
	&& apt-get download "prosody-modules=${PROSODY_MODULES_VERSION}" \
	&& dpkg-deb -x prosody-modules_*.deb /tmp/prosody-modules \
	&& test -f /tmp/prosody-modules/usr/lib/prosody/modules/mod_http_upload_external/mod_http_upload_external.lua

FROM prosodyim/prosody:13.0.1
COPY --from=community-modules /tmp/prosody-modules/usr/lib/prosody/modules/mod_http_upload_external/ /usr/lib/prosody/modules/mod_http_upload_external/

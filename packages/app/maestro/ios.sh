#!/usr/bin/env bash
# Runs the Maestro flows on an iOS simulator: boots DEVICE, trusts the throwaway server's CA in
# its keychain, installs the Release simulator app (JS bundled, no Metro) and runs the flows. The
# simulator shares the Mac's network, so wss://localhost:PORT reaches the server.
#   ios.sh ENV.json APP DEVICE
set -euo pipefail
env_file=$1 app=$2 device=$3
field() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$env_file','utf8'))['$1']))"; }

xcrun simctl boot "$device" || true
xcrun simctl bootstatus "$device" -b
xcrun simctl keychain "$device" add-root-cert "$(field CA_FILE)"
xcrun simctl install "$device" "$app"
xcrun simctl privacy "$device" grant microphone org.hush.app
maestro test --format junit --output maestro-ios.xml \
	-e INVITE="$(field INVITE)" -e SERVICE="$(field SERVICE)" -e CONTROL="$(field CONTROL)" \
	"$(dirname "$0")"

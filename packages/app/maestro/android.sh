#!/usr/bin/env bash
# Runs the Maestro flows on the booted Android emulator (API 33 google_apis, started with
# -writable-system): the throwaway server's CA goes into the system store (the app trusts only
# system CAs), the server's HTTPS port is reversed so that wss://localhost:PORT on the emulator
# reaches it, and the release APK (JS bundled, no Metro) is installed.
#   android.sh ENV.json APK
set -euo pipefail
env_file=$1 apk=$2
field() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$env_file','utf8'))['$1']))"; }
ca=$(field CA_FILE)
port=$(field HTTPS_PORT)

hash=$(openssl x509 -inform PEM -subject_hash_old -noout -in "$ca")
cp "$ca" "/tmp/$hash.0"
adb root
adb wait-for-device
adb shell avbctl disable-verification || true
adb reboot
adb wait-for-device
until [ "$(adb shell getprop sys.boot_completed | tr -d '\r')" = 1 ]; do sleep 2; done
adb root
adb wait-for-device
adb remount
adb push "/tmp/$hash.0" "/system/etc/security/cacerts/$hash.0"
adb shell chmod 644 "/system/etc/security/cacerts/$hash.0"
adb reboot
adb wait-for-device
until [ "$(adb shell getprop sys.boot_completed | tr -d '\r')" = 1 ]; do sleep 2; done

adb reverse "tcp:$port" "tcp:$port"
adb install -r "$apk"
maestro test --format junit --output maestro-android.xml \
	-e INVITE="$(field INVITE)" -e SERVICE="$(field SERVICE)" -e CONTROL="$(field CONTROL)" \
	"$(dirname "$0")"

#!/usr/bin/env bash
# Runs every test of CityVitals on a fresh machine: starts (or installs) the
# services the tests talk to, checks formatting and static analysis, then
# runs the whole suite with the race detector. This is the README's test
# command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

# port_open HOST PORT: true if something listens there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

apt_install() {
	if [ -z "${APT_UPDATED:-}" ]; then
		apt-get update -qq >/dev/null
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The MQTT bridge tests need an external broker; this machine kind runs
# Mosquitto on 127.0.0.1:1883. Start it, or install it, when it is absent.
ensure_mosquitto() {
	export CITYVITALS_TEST_MQTT_URL="${CITYVITALS_TEST_MQTT_URL:-tcp://127.0.0.1:1883}"
	if port_open 127.0.0.1 1883; then return; fi
	log "Mosquitto is not running on 127.0.0.1:1883: starting it"
	command -v mosquitto >/dev/null || apt_install mosquitto
	if [ -f /etc/mosquitto/mosquitto.conf ]; then
		mosquitto -d -c /etc/mosquitto/mosquitto.conf
	else
		mosquitto -d -p 1883
	fi
	for _ in $(seq 50); do port_open 127.0.0.1 1883 && return; sleep 0.2; done
	echo "Mosquitto did not start on 127.0.0.1:1883" >&2
	exit 1
}

# The CAP feed tests validate every document against the OASIS schema with
# xmllint; install it when it is absent.
ensure_xmllint() {
	command -v xmllint >/dev/null || apt_install libxml2-utils
}

# The dashboard's browser test (dashboard/e2e_test.go) drives Debian's
# Chromium with playwright-core from web/node_modules; it never downloads
# a browser.
ensure_chromium() {
	[ -x /usr/bin/chromium ] || apt_install chromium
	# Chinese labels need a CJK font (the dashboard uses system fonts only).
	[ -d /usr/share/fonts/opentype/noto ] || apt_install fonts-noto-cjk
}

ensure_web_packages() {
	command -v npm >/dev/null || apt_install nodejs npm
	# npm install, not npm ci: npm 11's ci refuses this lock file over a
	# Windows-only optional dependency of vite that install rightly skips.
	[ -d web/node_modules/playwright-core ] || (cd web && npm install --no-audit --no-fund --no-save --loglevel=error >/dev/null)
}

ensure_staticcheck() {
	STATICCHECK="$(go env GOPATH)/bin/staticcheck"
	[ -x "$STATICCHECK" ] || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
}

ensure_mosquitto
ensure_xmllint
ensure_chromium
ensure_web_packages
ensure_staticcheck

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
log "go vet"
go vet ./...
log "staticcheck"
"$STATICCHECK" ./...
log "go test -race"
go test -race -count=1 -timeout 25m ./...

#!/usr/bin/env bash
# Install the Debian packages the test suite runs for real: promtool and the Prometheus server
# (package `prometheus`), amtool and Alertmanager (package `prometheus-alertmanager`), and openssl
# (self-signed certificates for the SMTP TLS tests) and chromium (the dashboard browser test).
# Idempotent: a package whose command is already on PATH is skipped, and when nothing is missing
# nothing is touched (no apt-get update). Runs as root (CI containers) or through sudo.
# Exits non-zero when a package cannot be installed or its command is still missing afterwards.
# Usage: bash scripts/install-system-deps.sh
set -euo pipefail

# command that proves the package is installed : Debian package providing it
REQUIRED=(
  "promtool:prometheus"
  "prometheus:prometheus"
  "amtool:prometheus-alertmanager"
  "prometheus-alertmanager:prometheus-alertmanager"
  "openssl:openssl"
  "chromium:chromium"
)

missing=()
for pair in "${REQUIRED[@]}"; do
  command_name="${pair%%:*}"
  package="${pair#*:}"
  if ! command -v "$command_name" >/dev/null 2>&1; then
    case " ${missing[*]-} " in
      *" $package "*) ;;
      *) missing+=("$package") ;;
    esac
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system dependencies present: $(command -v promtool amtool | tr '\n' ' ')"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-system-deps: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

status=0
for pair in "${REQUIRED[@]}"; do
  command_name="${pair%%:*}"
  if ! command -v "$command_name" >/dev/null 2>&1; then
    echo "install-system-deps: '$command_name' is still missing after installing ${pair#*:}" >&2
    status=1
  fi
done
exit "$status"

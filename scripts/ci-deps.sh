#!/usr/bin/env bash
# Install the Debian packages the test suite and benchmark need. Idempotent:
# apt is not touched when everything is already present. Needs root (or sudo).
set -euo pipefail

# command or file that proves each package is installed
declare -A PROVIDES=(
    [python3-venv]="python3 -c 'import ensurepip, venv'"
    [make]="command -v make"
    [chromium]="test -x /usr/bin/chromium"
    [postgresql]="bash $(dirname "$0")/pg.sh available"
    [redis-server]="command -v redis-server"
    [wrk]="command -v wrk"
    [fonts-dejavu-core]="test -d /usr/share/fonts/truetype/dejavu"
    [util-linux]="command -v runuser"
)

missing=()
for pkg in "${!PROVIDES[@]}"; do
    if ! eval "${PROVIDES[$pkg]}" >/dev/null 2>&1; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "ci-deps: all system packages present"
    exit 0
fi

echo "ci-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

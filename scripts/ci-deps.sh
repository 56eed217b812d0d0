#!/usr/bin/env bash
# Install the Debian packages the test suite and benchmark need (`make test`
# runs this first). Idempotent: apt is not touched when everything is already
# present. Installing needs root or passwordless sudo; without either it
# installs nothing and prints the one command to run, exiting 1.
#
#   scripts/ci-deps.sh              every package below
#   scripts/ci-deps.sh PACKAGE...   only these (e.g. python3-venv for `make run`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# command or file that proves each package is installed
declare -A PROVIDES=(
    [python3-venv]="python3 -c 'import ensurepip, venv'"
    [make]="command -v make"
    [chromium]="test -x /usr/bin/chromium"
    [postgresql]="bash '$here/pg.sh' available"
    [redis-server]="command -v redis-server"
    [wrk]="command -v wrk"
    [fonts-dejavu-core]="test -d /usr/share/fonts/truetype/dejavu"
    [util-linux]="command -v runuser"
)

wanted=("$@")
if [[ ${#wanted[@]} -eq 0 ]]; then
    wanted=("${!PROVIDES[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
    if [[ -z "${PROVIDES[$pkg]:-}" ]]; then
        echo "ci-deps: unknown package $pkg (known: ${!PROVIDES[*]})" >&2
        exit 2
    fi
    if ! eval "${PROVIDES[$pkg]}" >/dev/null 2>&1; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "ci-deps: system packages present"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        {
            echo "ci-deps: missing system packages: ${missing[*]}"
            echo "ci-deps: installing them needs root. Run this once, then try again:"
            echo
            if command -v sudo >/dev/null 2>&1; then
                echo "    sudo bash $here/ci-deps.sh${*:+ $*}"
            else
                echo "    su -c 'bash $here/ci-deps.sh${*:+ $*}'"
            fi
            echo
        } >&2
        exit 1
    fi
fi

echo "ci-deps: installing ${missing[*]}"
# Through env: sudo resets the environment, so an exported variable is lost.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
"${apt[@]}" update -q
"${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"

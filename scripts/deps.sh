#!/bin/sh
# Install the Debian packages crossdock needs, only those missing.
# Idempotent; needs root (or sudo) only when something is missing.
set -eu

PKGS="build-essential pkg-config libxml2-dev libxml2-utils libsqlite3-dev \
sqlite3 libcsv-dev libssh2-1-dev libssl-dev libcmocka-dev openssh-server \
openssh-client tzdata locales python3 procps time"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: need root to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"

#!/bin/sh
# Installs the Debian packages Crema builds and trains with, when they are missing.
# Safe to run again: it does nothing when everything is there.
set -eu
packages="pkg-config libopenblas-dev libopenblas0-openmp libdnnl-dev liblmdb-dev libpng-dev libjpeg-dev zlib1g-dev dataset-fashion-mnist openmpi-bin libopenmpi-dev libleveldb1d"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "Installing Debian packages:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "Swift 6 is needed: install it from swift.org (or use a machine that has it) and run again." >&2
    exit 1
fi

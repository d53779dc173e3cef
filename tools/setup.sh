#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what is missing (Debian 12), reserve hugepages, build.
#   tools/setup.sh [--no-build] [BUILD_DIR]
# Idempotent: packages already present are not reinstalled; an existing build
# directory is reused.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=build
DO_BUILD=1
for a in "$@"; do
    case $a in
        --no-build) DO_BUILD=0 ;;
        *) BUILD_DIR=$a ;;
    esac
done

PACKAGES=(gcc pkg-config meson ninja-build python3
          dpdk dpdk-dev libdpdk-dev libnuma-dev libpcap-dev libjansson-dev libcunit1-dev
          nginx-light wrk curl iproute2 ethtool iputils-ping procps redis-server redis-tools
          clang libclang-rt-14-dev prometheus python3-prometheus-client
          haproxy nftables libnginx-mod-stream bird2)

say() { printf 'aces-setup: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
    say "run as root (packages, hugepages, network namespaces need it)"
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Hugepages: 512 x 2 MiB, mounted at /dev/hugepages.
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ "$(cat "$hp")" -lt 512 ]; then
    echo 512 > "$hp"
fi
if [ "$(cat "$hp")" -lt 512 ]; then
    say "could reserve only $(cat "$hp") hugepages of the 512 wanted"
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages

if [ "$DO_BUILD" = 1 ]; then
    cd "$ROOT"
    if [ -d "$BUILD_DIR" ]; then
        meson setup --reconfigure "$BUILD_DIR" -Dwerror=true >/dev/null
    else
        meson setup "$BUILD_DIR" -Dwerror=true >/dev/null
    fi
    ninja -C "$BUILD_DIR"
fi

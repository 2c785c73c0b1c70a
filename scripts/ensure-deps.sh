#!/bin/sh
# Installs what the test suite needs on a fresh machine: the Debian packages the tests drive (a C
# compiler for the look-alike miner, ps and ss for the benchmark's peer) and the npm packages when
# node_modules is missing or older than the lock file. Does nothing when all is there.
set -e
cd "$(dirname "$0")/.."
need=""
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v ps >/dev/null 2>&1 || need="$need procps"
command -v ss >/dev/null 2>&1 || need="$need iproute2"
command -v yara >/dev/null 2>&1 || need="$need yara"
command -v 7z >/dev/null 2>&1 || need="$need p7zip-full"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v pdftotext >/dev/null 2>&1 || need="$need poppler-utils"
command -v unshare >/dev/null 2>&1 || need="$need util-linux"
command -v find >/dev/null 2>&1 || need="$need findutils"
command -v mount >/dev/null 2>&1 || need="$need mount"
dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || need="$need fonts-wqy-zenhei"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v nft >/dev/null 2>&1 || need="$need nftables"
command -v iptables-save >/dev/null 2>&1 || need="$need iptables"
command -v chattr >/dev/null 2>&1 || need="$need e2fsprogs"
# Container images and running containers (issue 13): podman with runc (crun fails on this
# machine kind's hybrid cgroups), skopeo/umoci for image formats, zstd for zstd layers.
command -v podman >/dev/null 2>&1 || need="$need podman"
command -v runc >/dev/null 2>&1 || need="$need runc"
command -v skopeo >/dev/null 2>&1 || need="$need skopeo"
command -v umoci >/dev/null 2>&1 || need="$need umoci"
command -v zstd >/dev/null 2>&1 || need="$need zstd"
# rpm-based roots (issue 23): Debian's rpm/rpmbuild build test roots; db5.3_load makes a BDB Packages.
command -v rpmbuild >/dev/null 2>&1 || need="$need rpm"
command -v db5.3_load >/dev/null 2>&1 || need="$need db5.3-util"
# Windows registry hives (issue 14): hivexregedit builds test hives from .reg text and is, with
# hivexml, the oracle and the benchmark's peer for our own hive reader.
command -v hivexregedit >/dev/null 2>&1 || need="$need libwin-hivex-perl"
command -v hivexml >/dev/null 2>&1 || need="$need libhivex-bin"
# Alert sinks and fleet routes (issue 16): rsyslog with TLS receives watch alerts in tests, openssl
# makes the test CA, Ansible runs deploy/ansible against localhost.
command -v rsyslogd >/dev/null 2>&1 || need="$need rsyslog"
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || dpkg -s rsyslog-gnutls >/dev/null 2>&1 || need="$need rsyslog-gnutls"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
command -v ansible-playbook >/dev/null 2>&1 || need="$need ansible"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing Debian packages:$need" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >&2
  else
    echo "ensure-deps: missing system packages:$need — install them as root (apt-get install$need)" >&2
    exit 1
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
# An older userland for the single executable (issue 17): Debian 11's C and C++ runtimes (glibc 2.31,
# GCC 10's libstdc++), older than this machine's, unpacked into a directory test/e2e/binary.test.ts
# chroots into. Fetched with apt from Debian's signed bullseye index; without network the test skips.
old=/var/cache/minehunter-tests/debian-11-runtime
if [ ! -e "$old/root/lib/x86_64-linux-gnu/libc.so.6" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-deps: fetching Debian 11's libc6, libstdc++6 and libgcc-s1 into $old" >&2
  rm -rf "$old" && mkdir -p "$old/lists/partial" "$old/cache" "$old/debs" "$old/root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main" >"$old/sources.list"
  set -- -qq -o "Dir::Etc::SourceList=$old/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o "Dir::State::Lists=$old/lists" -o "Dir::Cache=$old/cache" -o Dir::State::Status=/dev/null
  if apt-get "$@" update && (cd "$old/debs" && apt-get "$@" download libc6 libstdc++6 libgcc-s1 2>/dev/null); then
    for deb in "$old"/debs/*.deb; do dpkg-deb -x "$deb" "$old/root"; done
    rm -rf "$old/lists" "$old/cache"
  else
    echo "ensure-deps: could not fetch Debian 11's runtime; the older-userland test of the executable will skip" >&2
    rm -rf "$old"
  fi
fi

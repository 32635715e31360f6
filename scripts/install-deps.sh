#!/bin/sh
# Installs the Debian packages pcscspy-top needs, for one purpose:
#   install-deps.sh build   compile the three programs and the interposer
#   install-deps.sh demo    build, plus the PC/SC test bed the demo runs on
#   install-deps.sh         everything: demo, plus the tests and fuzzers (CI)
# Idempotent: does nothing (no apt-get update) when everything is already there.
# --missing: only print the packages that are missing (one line), install nothing.
set -eu

only_list=""
[ "${1:-}" = "--missing" ] && { only_list=1; shift; }
purpose="${1:-test}"

# The monitor's system-wide capture compiles its BPF program with clang and
# bpftool (configure with -DPCSCSPY_WITH_EBPF=OFF to build without them).
BUILD="
  build-essential cmake pkg-config
  clang libbpf-dev bpftool
  libpcsclite-dev
  prometheus-cpp-dev
  libncurses-dev
  nlohmann-json3-dev
  libsimdjson-dev
"
DEMO="$BUILD
  pcscd vsmartcard-vpcd vsmartcard-vpicc python3 python3-pycryptodome
  python3-pyscard opensc pcsc-tools
"
TEST="$DEMO
  git
  libclang-rt-14-dev
  doctest-dev
  socat tmux procps time
  tshark gpg gpg-agent scdaemon
  prometheus systemd lintian
"

case "$purpose" in
  build) PACKAGES="$BUILD" ;;
  demo) PACKAGES="$DEMO" ;;
  test) PACKAGES="$TEST" ;;
  *) echo "usage: $0 [--missing] [build|demo|test]" >&2; exit 2 ;;
esac

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$only_list" ]; then
  echo $missing
  exit 0
fi
if [ -z "$missing" ]; then
  echo "install-deps: all packages present ($purpose)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common (pulled by tshark, which reads the tests' --pcap captures) asks
# whether non-root users may capture packets: answered beforehand (no; the tests
# only read files), so that apt never stops at a question.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing

#!/bin/sh
# Installs every Debian package pcscspy-top, its tests and its demo need.
# Idempotent: does nothing (no apt-get update) when everything is already there.
set -eu

PACKAGES="
  build-essential cmake pkg-config git
  clang libclang-rt-14-dev
  libbpf-dev bpftool
  libpcsclite-dev pcscd
  libncurses-dev
  nlohmann-json3-dev doctest-dev
  vsmartcard-vpcd vsmartcard-vpicc python3 python3-pycryptodome
  python3-pyscard opensc pcsc-tools
  socat tmux procps time
  tshark gpg gpg-agent scdaemon
  prometheus-cpp-dev prometheus systemd lintian
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
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

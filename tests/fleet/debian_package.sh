#!/bin/sh
# The Debian package, end to end (as root; CI runs as root): `cpack -G DEB` builds
# pcscspy_<version>_amd64.deb with computed dependencies, the binaries, the
# interposer, the manual pages and the unit; lintian finds no error in it;
# `apt-get install ./pcscspy_…deb` gives working commands (pcscspy-top --version,
# a traced opensc-tool -a on the test bed, through the installed interposer);
# `apt-get purge` leaves nothing behind.
#
# This installs a package on the machine for a few seconds. It only does so
# when pcscspy is not installed already and when apt would install nothing but
# it (every dependency present, nothing downloaded), and it always purges it.
#   debian_package.sh BUILD_DIR
set -eu
build="$1"
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "installing a package needs root"
for tool in cpack dpkg-deb lintian apt-get opensc-tool; do
  command -v $tool >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done
if dpkg-query -W -f='${Status}' pcscspy 2>/dev/null | grep -q "installed"; then
  skip "a pcscspy package is installed on this machine already: not touching it"
fi
version=$(sed -n 's/^CPACK_PACKAGE_VERSION:.*=//p;s/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake" | head -1)
dir=$(mktemp -d /tmp/pcscspy-deb-XXXXXX)
installed=0
cleanup() {
  if [ $installed -eq 1 ]; then apt-get purge -y -q -o DPkg::Lock::Timeout=300 pcscspy >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# 1. Build it.
(cd "$dir" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$dir/pkg") > "$dir/cpack.log" 2>&1 ||
  fail "cpack: $(tail -20 "$dir/cpack.log")"
deb="$dir/pkg/pcscspy_${version}_amd64.deb"
[ -f "$deb" ] || fail "no $deb; cpack made: $(ls "$dir/pkg")"
dpkg-deb -f "$deb" Depends > "$dir/depends"
for dep in libc6 libstdc++6 libprometheus-cpp-pull1.0 libsimdjson14 libpcsclite1; do
  grep -q "$dep" "$dir/depends" || fail "Depends lacks $dep: $(cat "$dir/depends")"
done
dpkg-deb -c "$deb" | awk '{print $6}' > "$dir/contents"
for f in ./usr/bin/pcscspy-top ./usr/bin/pcscspy-run ./usr/bin/pcscspy-decode \
         ./usr/share/man/man1/pcscspy-top.1.gz ./usr/share/man/man5/pcscspy-events.5.gz \
         ./usr/lib/systemd/system/pcscspy-top.service ./usr/share/doc/pcscspy/copyright; do
  grep -qx "$f" "$dir/contents" || fail "the package lacks $f"
done
grep -q "/pcscspy/libpcscspy-interposer.so$" "$dir/contents" || fail "the package lacks the interposer"
grep -q "^ExecStart=/usr/bin/pcscspy-top --headless" "$dir/pkg/_CPack_Packages/Linux/DEB/pcscspy_${version}_amd64/usr/lib/systemd/system/pcscspy-top.service" 2>/dev/null ||
  dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/pcscspy-top.service | grep -q "^ExecStart=/usr/bin/pcscspy-top --headless" ||
  fail "the packaged unit does not run /usr/bin/pcscspy-top --headless"
echo "ok: built $(basename "$deb"); Depends: $(cat "$dir/depends")"

# 2. Lintian: no error (warnings are printed, not fatal).
lintian --fail-on error --no-tag-display-limit "$deb" > "$dir/lintian.log" 2>&1 || fail "lintian: $(cat "$dir/lintian.log")"
echo "ok: lintian: no error ($(grep -c '^[WI]:' "$dir/lintian.log") warnings and notes)"

# 3. Install, only if nothing else would come with it.
apt-get install -s -q --no-install-recommends "$deb" > "$dir/simulate.log" 2>&1 || fail "apt-get -s: $(tail "$dir/simulate.log")"
others=$(sed -n 's/^Inst \([^ ]*\).*/\1/p' "$dir/simulate.log" | grep -vx pcscspy || true)
[ -z "$others" ] || skip "installing it would also install: $others"
installed=1
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$deb" > "$dir/install.log" 2>&1 ||
  fail "apt-get install: $(tail "$dir/install.log")"
[ "$(/usr/bin/pcscspy-top --version)" = "pcscspy-top $version" ] || fail "pcscspy-top --version: $(/usr/bin/pcscspy-top --version)"
/usr/bin/pcscspy-top --text --no-color --no-attach --socket "$dir/run/socket" --command-log "$dir/opensc.log" \
  -- opensc-tool -r "${PCSCSPY_TESTBED_READER:-Virtual PCD 00 00}" -a > "$dir/traced.txt" 2> "$dir/traced.err" ||
  fail "the installed pcscspy-top could not trace opensc-tool -a: $(cat "$dir/traced.err")"
grep -q "SCardConnect" "$dir/traced.txt" && grep -q "^Results sorted by total execution time" "$dir/traced.txt" ||
  fail "the traced opensc-tool -a shows no calls: $(head -20 "$dir/traced.txt")"
grep -qi "^3[bf]" "$dir/opensc.log" || fail "opensc-tool -a printed no ATR under the interposer: $(cat "$dir/opensc.log")"
man -w pcscspy-top > /dev/null 2>&1 || fail "man pcscspy-top does not find the page"
echo "ok: installed; pcscspy-top --version, a traced opensc-tool -a, man pcscspy-top work"

# 4. Purge: nothing left.
dpkg -L pcscspy > "$dir/files"
apt-get purge -y -q -o DPkg::Lock::Timeout=300 pcscspy > "$dir/purge.log" 2>&1 || fail "apt-get purge: $(tail "$dir/purge.log")"
installed=0
while read -r f; do
  if [ -f "$f" ] || [ -L "$f" ]; then fail "purge left $f behind"; fi
  case "$f" in */pcscspy|*/pcscspy/*) if [ -d "$f" ]; then fail "purge left the folder $f behind"; fi ;; esac
done < "$dir/files"
[ ! -e /var/log/pcscspy ] || fail "purge left /var/log/pcscspy behind"
dpkg-query -W -f='${Status}' pcscspy 2>/dev/null | grep -q "installed" && fail "pcscspy is still installed"
echo "ok: purged, nothing left behind"

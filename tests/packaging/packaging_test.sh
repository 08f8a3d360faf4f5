#!/bin/sh
# The packages (packaging/), checked the way clinic IT meets them.
#   packaging_test.sh build    BUILD_DIR OUT   make the .deb and .tar.gz into OUT (fixture)
#   packaging_test.sh CHECK    OUT [HOST_SIM SCENARIO]   one check of those packages
set -eu

check=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "$check" = build ]; then
  build_dir=$2 out=$3
  rm -rf "$out" && mkdir -p "$out"
  (cd "$build_dir" && cpack -G "DEB;TGZ" -B "$out/packages" >"$out/cpack.log" 2>&1) ||
    { cat "$out/cpack.log" >&2; fail "cpack could not make the packages"; }
  deb=$(ls "$out"/packages/alliance_*.deb) && tgz=$(ls "$out"/packages/alliance-*.tar.gz) ||
    fail "cpack made no .deb or no .tar.gz"
  mkdir -p "$out/deb-root" "$out/deb-control"
  dpkg-deb -x "$deb" "$out/deb-root"
  dpkg-deb -e "$deb" "$out/deb-control"
  dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./||' | sort >"$out/deb-contents"
  tar tzf "$tgz" | sed 's|^\./||' | sort >"$out/tgz-contents"
  exit 0
fi

out=$2
plugin=usr/lib/telehealth/plugins/alliance
expected_files="etc/alliance/alliance.json
usr/bin/alliancectl
usr/share/doc/alliance/copyright
$plugin/alliance.manifest.json
$plugin/liballiance.so
$plugin/measures/ors.json
$plugin/measures/srs.json
$plugin/measures/cors.json
$plugin/measures/csrs.json
$plugin/measures/ycors.json
$plugin/measures/gsrs.json
$plugin/measures/cgsrs.json
$plugin/measures/ors.es.json"

contents_hold_layout() {
  for file in $expected_files; do
    grep -qx "$file" "$1" || fail "$1 lacks $file"
  done
  # Nothing else but folders and measures: no stray files (build leftovers, tests).
  unexpected=$(grep -v '/$' "$1" | grep -vx "etc/alliance/alliance.json" | grep -vx "usr/bin/alliancectl" |
    grep -vx "usr/share/doc/alliance/copyright" |
    grep -vx "$plugin/alliance.manifest.json" | grep -vx "$plugin/liballiance.so" |
    grep -v "^$plugin/measures/[a-z]*\(\.[a-z][a-z]\)\?\.json$" || true)
  [ -z "$unexpected" ] || fail "unexpected files in the package: $unexpected"
}

case "$check" in
  deb_contents)
    contents_hold_layout "$out/deb-contents"
    grep -qx "License: Apache-2.0" "$out/deb-root/usr/share/doc/alliance/copyright" ||
      fail "the package's copyright file does not name the licence"
    ;;
  tgz_contents) contents_hold_layout "$out/tgz-contents" ;;
  conffiles)
    [ "$(cat "$out/deb-control/conffiles")" = /etc/alliance/alliance.json ] ||
      fail "conffiles is not exactly /etc/alliance/alliance.json: $(cat "$out/deb-control/conffiles")"
    grep -q '^Depends:.*libssl3' "$out/deb-control/control" || fail "Depends lacks libssl3 (shlibdeps)"
    grep -q '^Depends:.*libsqlite3' "$out/deb-control/control" || fail "Depends lacks libsqlite3 (shlibdeps)"
    grep -q '^Depends:.*openssl' "$out/deb-control/control" || fail "Depends lacks openssl (postinst)"
    ;;
  manifest)
    manifest="$out/deb-root/$plugin/alliance.manifest.json"
    actual=$(sha256sum "$out/deb-root/$plugin/liballiance.so" | cut -d' ' -f1)
    grep -q "\"sha256\": \"$actual\"" "$manifest" || fail "the manifest's sha256 is not that of the packaged .so ($actual)"
    grep -q '"entry_symbol": "thp_plugin_entry"' "$manifest" || fail "manifest entry_symbol"
    grep -q '"library": "liballiance.so"' "$manifest" || fail "manifest library"
    ;;
  maintainer_scripts)
    # postinst and postrm under DPKG_ROOT (as dpkg sets it), twice each: idempotent.
    root="$out/maintainer-root"
    rm -rf "$root" && mkdir -p "$root/etc/alliance"
    DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure
    key_before=$(cat "$root/etc/alliance/store.key")
    DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure
    [ "$(stat -c %a "$root/var/lib/alliance")" = 700 ] || fail "/var/lib/alliance is not 0700"
    [ "$(stat -c %a "$root/etc/alliance/store.key")" = 600 ] || fail "store.key is not 0600"
    [ "$(cat "$root/etc/alliance/store.key")" = "$key_before" ] || fail "a second postinst replaced the key"
    [ "$(base64 -d "$root/etc/alliance/store.key" | wc -c)" = 32 ] || fail "store.key is not 32 bytes in base64"
    # IT names the host's account in /etc/default/alliance: a name that is no account,
    # or not a name, is refused in words and changes nothing.
    mkdir -p "$root/etc/default"
    for account in 'alliance-no-such-account' '"two words"' 'x;rm'; do
      echo "ALLIANCE_HOST_ACCOUNT=$account" >"$root/etc/default/alliance"
      DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure 2>"$out/postinst.err" ||
        fail "postinst failed for ALLIANCE_HOST_ACCOUNT=$account"
      grep -q "the store stays root's" "$out/postinst.err" || fail "no word on ALLIANCE_HOST_ACCOUNT=$account"
      [ "$(stat -c %u "$root/var/lib/alliance")" = "$(id -u)" ] || fail "ALLIANCE_HOST_ACCOUNT=$account changed the owner"
    done
    # A real account gets the folder and the key (chown needs root, as dpkg runs it).
    if [ "$(id -u)" = 0 ]; then
      echo 'ALLIANCE_HOST_ACCOUNT="nobody"' >"$root/etc/default/alliance"
      DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure
      [ "$(stat -c %U "$root/var/lib/alliance")" = nobody ] || fail "the state folder was not given to nobody"
      [ "$(stat -c %U "$root/etc/alliance/store.key")" = nobody ] || fail "the key was not given to nobody"
      [ "$(stat -c %a "$root/var/lib/alliance")" = 700 ] && [ "$(stat -c %a "$root/etc/alliance/store.key")" = 600 ] ||
        fail "giving them to the host's account changed their modes"
      [ "$(cat "$root/etc/alliance/store.key")" = "$key_before" ] || fail "naming the host's account replaced the key"
    else
      echo "not checked without root: giving the folder and the key to a real account (chown)"
    fi
    rm -f "$root/etc/default/alliance"
    DPKG_ROOT="$root" sh "$out/deb-control/postrm" remove
    [ -d "$root/var/lib/alliance" ] && [ -e "$root/etc/alliance/store.key" ] || fail "remove deleted the data"
    # A second name for the key's bytes shows whether purge overwrote them or only
    # removed the name.
    rm -f "$out/store.key.second-name"
    ln "$root/etc/alliance/store.key" "$out/store.key.second-name"
    DPKG_ROOT="$root" sh "$out/deb-control/postrm" purge
    DPKG_ROOT="$root" sh "$out/deb-control/postrm" purge
    [ ! -e "$root/var/lib/alliance" ] && [ ! -e "$root/etc/alliance" ] || fail "purge left data behind"
    [ "$(tr -d '\000' <"$out/store.key.second-name")" = "" ] || fail "purge removed the key without overwriting it"
    rm -f "$out/store.key.second-name"
    ;;
  hardening)
    # The shipped binaries are built as Debian builds its own (dpkg-buildflags): full
    # RELRO (GNU_RELRO and BIND_NOW), the stack protector, _FORTIFY_SOURCE's checked
    # calls, a stack that is not executable, and CET's landing pads.
    for binary in "$out/deb-root/$plugin/liballiance.so" "$out/deb-root/usr/bin/alliancectl"; do
      name=$(basename "$binary")
      readelf -hW "$binary" | grep -q 'Type:.*DYN' || fail "$name is not position-independent (PIE or shared object)"
      readelf -lW "$binary" | grep -q 'GNU_RELRO' || fail "$name has no GNU_RELRO segment (link with -z relro)"
      readelf -dW "$binary" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' ||
        fail "$name is not bound at load time (no BIND_NOW: link with -z now), so its RELRO is partial"
      readelf -lW "$binary" | grep 'GNU_STACK' | grep -q 'RW ' || fail "$name asks for an executable stack"
      symbols=$(readelf --dyn-syms -W "$binary")
      echo "$symbols" | grep -q ' __stack_chk_fail' ||
        fail "$name does not reference __stack_chk_fail: not built with -fstack-protector-strong"
      echo "$symbols" | grep -Eq ' __[a-z0-9_]+_chk(@|$)' ||
        fail "$name references no fortified function (__*_chk): not built with -D_FORTIFY_SOURCE=2 and optimization"
      # The CET note needs every object linked to carry it, the C library's start files
      # too; where those lack it (Debian 12's do), the linker leaves it out, and what
      # can be checked is that our own code has the landing pads of -fcf-protection.
      if [ "$(uname -m)" = x86_64 ] && ! readelf -nW "$binary" | grep -q 'x86 feature: IBT, SHSTK'; then
        landing_pads=$(objdump -d --no-show-raw-insn "$binary" | grep -c 'endbr64' || true)
        [ "$landing_pads" -ge 100 ] ||
          fail "$name has $landing_pads endbr64 landing pads: not built with -fcf-protection"
      fi
      echo "$name: PIE or shared, full RELRO, stack protector, fortified calls, non-executable stack, CET landing pads"
    done
    ;;
  host_sim_unpacked|host_sim_tampered)
    host_sim=$3 scenario=$4
    work="$out/$check"
    rm -rf "$work" && mkdir -p "$work/store"
    (umask 077 && openssl rand -base64 32 >"$work/store.key")
    cat >"$work/alliance.json" <<JSON
{ "store": { "path": "$work/store/alliance.db", "key_file": "$work/store.key" },
  "measures": { "questionnaire_folder": "$out/deb-root/$plugin/measures" } }
JSON
    library="$out/deb-root/$plugin/liballiance.so"
    if [ "$check" = host_sim_tampered ]; then
      mkdir -p "$work/plugin"
      cp "$library" "$out/deb-root/$plugin/alliance.manifest.json" "$work/plugin/"
      library="$work/plugin/liballiance.so"
      # One byte changed, at the middle of the file.
      size=$(stat -c %s "$library")
      printf '\001' | dd of="$library" bs=1 seek=$((size / 2)) conv=notrunc status=none
      status=0
      "$host_sim" --plugin "$library" --manifest "$work/plugin/alliance.manifest.json" \
        --config "$work/alliance.json" --scenario "$scenario" >"$work/stdout" 2>"$work/stderr" || status=$?
      cat "$work/stderr" >&2
      [ "$status" = 3 ] || fail "host-sim exited $status, not 3, for a tampered library"
      grep -q "does not match its manifest" "$work/stderr" || fail "no manifest message"
      grep -q "reinstall the package" "$work/stderr" || fail "no advice in the manifest message"
    else
      status=0
      "$host_sim" --plugin "$library" --manifest "$out/deb-root/$plugin/alliance.manifest.json" \
        --config "$work/alliance.json" --scenario "$scenario" >"$work/stdout" 2>"$work/stderr" || status=$?
      [ "$status" = 0 ] || { cat "$work/stdout" "$work/stderr" >&2; fail "host-sim exited $status with the unpacked plugin"; }
    fi
    ;;
  *) fail "unknown check $check" ;;
esac

#!/bin/sh
# The alliance-janus package (packaging/janus/), checked the way clinic IT meets it.
#   janus_package_test.sh build  BUILD_DIR OUT                make the .deb and .tar.gz (fixture)
#   janus_package_test.sh CHECK  OUT ALLIANCE_OUT [DOCS_DIR]  one check of those packages
# ALLIANCE_OUT is the alliance packages' fixture output (packaging_test.sh build): the
# checks compare alliance-janus with the alliance package it goes with.
set -eu

check=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

janus_dir=usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/janus
plugin_configuration=etc/janus/janus.plugin.alliance.jcfg
events_configuration=etc/janus/janus.eventhandler.alliance.jcfg
# Every file, with its mode; folders are root's 755.
expected_files="-rw-r--r-- $janus_dir/plugins/libjanus_alliance.so
-rw-r--r-- $janus_dir/events/libjanus_alliance_events.so
-rw-r--r-- $plugin_configuration
-rw-r--r-- $events_configuration
-rw-r--r-- usr/share/doc/alliance-janus/copyright
-rw-r--r-- usr/share/doc/alliance-janus/janus-install.md"

if [ "$check" = build ]; then
  build_dir=$2 out=$3
  rm -rf "$out" && mkdir -p "$out"
  # The shipped preset builds a list of targets; the adapter's are built here, as cpack
  # does not build anything itself (nothing is done when they are up to date).
  cmake --build "$build_dir" --target janus_alliance janus_alliance_events >"$out/build.log" 2>&1 ||
    { cat "$out/build.log" >&2; fail "cannot build the Janus adapter"; }
  (cd "$build_dir" && cpack --config CPackConfig-alliance-janus.cmake -G "DEB;TGZ" -B "$out/packages" >"$out/cpack.log" 2>&1) ||
    { cat "$out/cpack.log" >&2; fail "cpack could not make the alliance-janus packages"; }
  # Revision 2 of both packages, as a release with `-D CPACK_DEBIAN_PACKAGE_RELEASE=2`
  # makes them, for the install test's upgrade.
  (cd "$build_dir" && cpack --config CPackConfig-alliance-janus.cmake -G DEB -D CPACK_DEBIAN_PACKAGE_RELEASE=2 \
      -B "$out/revision2" && cpack -G DEB -D CPACK_DEBIAN_PACKAGE_RELEASE=2 -B "$out/revision2") >>"$out/cpack.log" 2>&1 ||
    { cat "$out/cpack.log" >&2; fail "cpack could not make revision 2 of the packages"; }
  rm -rf "$out/revision2/_CPack_Packages"
  deb=$(ls "$out"/packages/alliance-janus_*.deb) && tgz=$(ls "$out"/packages/alliance-janus-*.tar.gz) ||
    fail "cpack made no alliance-janus .deb or no .tar.gz"
  mkdir -p "$out/deb-root" "$out/deb-control"
  dpkg-deb -x "$deb" "$out/deb-root"
  dpkg-deb -e "$deb" "$out/deb-control"
  # "MODE OWNER PATH" per entry, sorted by path.
  dpkg-deb -c "$deb" | awk '{print $1, $2, $NF}' | sed 's| \./| |' | sort -k3 >"$out/deb-contents"
  tar tzvf "$tgz" | awk '{print $1, $2, $NF}' | sed 's| \./| |' | sort -k3 >"$out/tgz-contents"
  exit 0
fi

out=$2 alliance_out=$3

contents_hold_layout() {
  listing=$1
  files=$(grep -v ' [^ ]*/$' "$listing" | awk '{print $1, $3}')
  [ "$files" = "$(echo "$expected_files" | sort -k2)" ] ||
    fail "$(basename "$listing"): the files or their modes are not as expected:
$files
expected:
$(echo "$expected_files" | sort -k2)"
  folders=$(grep ' [^ ]*/$' "$listing" | awk '{print $1}' | sort -u)
  [ "$folders" = drwxr-xr-x ] || fail "$(basename "$listing"): folders not all 755: $folders"
  owners=$(awk '{print $2}' "$listing" | sort -u)
  [ "$owners" = root/root ] || fail "$(basename "$listing"): not all owned by root/root: $owners"
  # Janus's own plugins folder, the one Debian's janus package loads from.
  grep -q " $janus_dir/plugins/$" "$listing" && dpkg -L janus | grep -qx "/$janus_dir/plugins" ||
    fail "$janus_dir/plugins is not Janus's plugins folder (dpkg -L janus)"
}

# The parsed tree that Janus's own configuration parser (janus-cfgconv --parse, the
# janus package's tool, which calls janus_config_parse) makes of a file: the parser's
# errors go to its output too, and it exits 1 on a syntax error.
parse_with_janus() {
  janus-cfgconv --parse "$1" >"$1.parsed" 2>&1 || { cat "$1.parsed" >&2; fail "Janus's parser refuses $1"; }
  ! grep -q '\[ERR\]' "$1.parsed" || { cat "$1.parsed" >&2; fail "Janus's parser reports an error in $1"; }
  sed -n '/^    general: {/,/^    }/p' "$1.parsed"
}

# Every key line in the template has a comment right above it (a "#" line, after any
# blank lines), as every key in alliance.json has.
keys_are_commented() {
  awk -v file="$1" '
    /^[ \t]*#/ { commented = 1; next }
    /^[ \t]*$/ { next }
    /^[ \t]*[a-z_]+[ \t]*=/ { if (!commented) { print file ": key without a comment above it: " $0; bad = 1 } }
    { commented = 0 }
    END { exit bad }' "$1" || fail "$1 has a key that is not explained"
}

case "$check" in
  deb_contents)
    contents_hold_layout "$out/deb-contents"
    copyright=$out/deb-root/usr/share/doc/alliance-janus/copyright
    grep -qx "License: Apache-2.0" "$copyright" || fail "the package's copyright file does not name its licence"
    grep -q "GPL" "$copyright" && grep -q "/usr/share/common-licenses/GPL-3" "$copyright" ||
      fail "the package's copyright file does not say how Janus's GPL applies"
    for library in plugins/libjanus_alliance.so events/libjanus_alliance_events.so; do
      file=$out/deb-root/$janus_dir/$library
      readelf -hW "$file" | grep -q 'Type:.*DYN' || fail "$library is not a shared object"
      # Janus dlsym()s "create" in every plugin and event handler it loads.
      nm -D --defined-only "$file" | grep -q ' T create$' || fail "$library does not export create()"
    done
    ;;
  tgz_contents) contents_hold_layout "$out/tgz-contents" ;;
  control)
    control=$out/deb-control/control
    [ "$(cat "$out/deb-control/conffiles")" = "/$plugin_configuration
/$events_configuration" ] || fail "conffiles is not exactly the two .jcfg: $(cat "$out/deb-control/conffiles")"
    grep -qx 'Package: alliance-janus' "$control" || fail "the package is not named alliance-janus"
    alliance_version=$(dpkg-deb -f "$(ls "$alliance_out"/packages/alliance_*.deb)" Version)
    [ "$(dpkg-deb -f "$(ls "$out"/packages/alliance-janus_*.deb)" Version)" = "$alliance_version" ] ||
      fail "alliance-janus's version is not alliance's ($alliance_version)"
    depends=$(sed -n 's/^Depends: //p' "$control")
    echo "Depends: $depends"
    for dependency in 'janus (>= 1.1.2)' "alliance (= $alliance_version)" 'openssl'; do
      echo "$depends" | tr ',' '\n' | sed 's/^ *//' | grep -qxF "$dependency" || fail "Depends lacks '$dependency'"
    done
    # What the libraries link, from dpkg-shlibdeps: at least the C library.
    echo "$depends" | grep -q 'libc6 (>= ' || fail "Depends lacks the C library (dpkg-shlibdeps did not run?)"
    for script in postinst postrm; do
      [ "$(stat -c %a "$out/deb-control/$script")" = 755 ] || fail "$script is not mode 755"
    done
    ;;
  templates)
    docs=$4
    root=$out/deb-root
    # Both templates are what Janus's parser accepts.
    plugin_tree=$(parse_with_janus "$root/$plugin_configuration")
    events_tree=$(parse_with_janus "$root/$events_configuration")
    echo "$plugin_tree"
    echo "$events_tree"
    keys_are_commented "$root/$plugin_configuration"
    keys_are_commented "$root/$events_configuration"
    # The plugin's template sets exactly the keys, and values, that docs/janus.md
    # documents (its "general: { ... }" block, parsed by Janus the same way).
    awk '/^## Configuration: `janus.plugin.alliance.jcfg`/ { section = 1 }
         section && /^    general: \{/ { block = 1 }
         block { print substr($0, 5) }
         block && /^    \}/ { exit }' "$docs/janus.md" >"$out/documented.jcfg"
    [ -s "$out/documented.jcfg" ] || fail "no general: { } block under janus.md's configuration heading"
    documented_tree=$(parse_with_janus "$out/documented.jcfg")
    [ "$plugin_tree" = "$documented_tree" ] || fail "the plugin's template is not what docs/janus.md documents:
$plugin_tree
documented:
$documented_tree"
    # It names the Alliance plugin where the alliance package installs it, and
    # alliance's configuration file.
    library=$(echo "$plugin_tree" | sed -n 's/^        plugin: //p')
    grep -qx "${library#/}" "$alliance_out/deb-contents" || fail "plugin = $library is not a file of the alliance package"
    configuration=$(echo "$plugin_tree" | sed -n 's/^        configuration: //p')
    grep -qx "$configuration" "$alliance_out/deb-control/conffiles" ||
      fail "configuration = $configuration is not the alliance package's configuration file"
    echo "$events_tree" | grep -qx '        enabled: true' || fail "the event handler's template does not enable it"
    # Every key is documented in janus-install.md, the guide the package ships.
    for key in $(echo "$plugin_tree" | sed -n 's/^        \([a-z_]*\): .*/\1/p'); do
      grep -q "\`$key\`" "$docs/janus-install.md" || fail "janus-install.md does not explain $key"
    done
    ;;
  maintainer_scripts)
    # postinst and postrm under DPKG_ROOT (as dpkg sets it), twice each: idempotent.
    root="$out/maintainer-root"
    secret=$root/etc/alliance/janus-token.secret
    rm -rf "$root" && mkdir -p "$root/etc/janus"
    cp /etc/janus/janus.jcfg "$root/etc/janus/janus.jcfg"
    DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure >"$out/postinst.out" 2>&1
    cat "$out/postinst.out"
    [ "$(stat -c %a "$secret")" = 600 ] || fail "janus-token.secret is not 0600"
    [ "$(stat -c %u:%g "$secret")" = "$(id -u):$(id -g)" ] || fail "janus-token.secret is not the installing account's"
    head -n 1 "$secret" | grep -Eqx '[0-9a-f]{64}' || fail "janus-token.secret's first line is not 64 hexadecimal characters"
    [ "$(wc -l <"$secret")" = 1 ] || fail "janus-token.secret is not one line"
    grep -q "created the participant token secret" "$out/postinst.out" || fail "postinst did not say it created the secret"
    # Debian's janus.jcfg as shipped does not broadcast events: postinst says so.
    grep -q "events: { broadcast = true }" "$out/postinst.out" || fail "postinst did not say to turn on event broadcasting"
    secret_before=$(cat "$secret")
    # With broadcasting on (as IT sets it), a second run says nothing of it, and keeps
    # the secret.
    sed -i 's/^\([[:space:]]*\)#broadcast = true/\1broadcast = true/' "$root/etc/janus/janus.jcfg"
    DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure >"$out/postinst.out" 2>&1
    ! grep -q "broadcast" "$out/postinst.out" || fail "postinst asks for broadcasting that janus.jcfg has"
    ! grep -q "created" "$out/postinst.out" || fail "a second postinst says it created the secret again"
    [ "$(cat "$secret")" = "$secret_before" ] || fail "a second postinst replaced the secret"
    # A secret that IT put there (the backend's, in another form) is never replaced.
    printf 'the-secret-our-backend-already-uses-0123456789abcdef\n' >"$secret"
    chmod 600 "$secret"
    DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure >/dev/null
    [ "$(cat "$secret")" = "the-secret-our-backend-already-uses-0123456789abcdef" ] || fail "postinst replaced IT's secret"
    # The account Janus runs as, when IT names it: a name that is no account, or not a
    # name, is refused in words and changes nothing.
    mkdir -p "$root/etc/default"
    for account in 'alliance-no-such-account' '"two words"' 'x;rm'; do
      echo "ALLIANCE_HOST_ACCOUNT=$account" >"$root/etc/default/alliance"
      DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure >/dev/null 2>"$out/postinst.err" ||
        fail "postinst failed for ALLIANCE_HOST_ACCOUNT=$account"
      grep -q "the token secret stays root's" "$out/postinst.err" || fail "no word on ALLIANCE_HOST_ACCOUNT=$account"
      [ "$(stat -c %u "$secret")" = "$(id -u)" ] || fail "ALLIANCE_HOST_ACCOUNT=$account changed the owner"
    done
    if [ "$(id -u)" = 0 ]; then
      echo 'ALLIANCE_HOST_ACCOUNT="nobody"' >"$root/etc/default/alliance"
      DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure >/dev/null
      [ "$(stat -c %U "$secret")" = nobody ] || fail "the secret was not given to nobody"
      [ "$(stat -c %a "$secret")" = 600 ] || fail "giving the secret to the host's account changed its mode"
    else
      echo "not checked without root: giving the secret to a real account (chown)"
    fi
    rm -f "$root/etc/default/alliance"
    # remove keeps the secret (the backend holds the same); purge overwrites and deletes
    # it, and nothing else of /etc/alliance (the alliance package's).
    echo "the alliance package's key" >"$root/etc/alliance/store.key"
    DPKG_ROOT="$root" sh "$out/deb-control/postrm" remove
    [ -e "$secret" ] || fail "remove deleted the secret"
    rm -f "$out/secret.second-name"
    ln "$secret" "$out/secret.second-name"
    DPKG_ROOT="$root" sh "$out/deb-control/postrm" purge
    DPKG_ROOT="$root" sh "$out/deb-control/postrm" purge
    [ ! -e "$secret" ] || fail "purge left the secret"
    [ "$(tr -d '\000' <"$out/secret.second-name")" = "" ] || fail "purge removed the secret without overwriting it"
    [ -e "$root/etc/alliance/store.key" ] || fail "purge of alliance-janus deleted the alliance package's files"
    rm -f "$out/secret.second-name"
    ;;
  install_remove)
    # The real dpkg in a scratch root, as IT installs, upgrades and removes: its
    # database holds this machine's records of the packages both depend on (janus among
    # them), so that Depends is checked for real.
    work=$out/install
    root=$work/root
    alliance_deb=$(ls "$alliance_out"/packages/alliance_*.deb)
    janus_deb=$(ls "$out"/packages/alliance-janus_*.deb)
    rm -rf "$work" && mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
    : >"$root/var/lib/dpkg/status"
    for dependency in $( (dpkg-deb -f "$alliance_deb" Depends; dpkg-deb -f "$janus_deb" Depends) |
                        tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g' | grep -vx alliance | sort -u); do
      dpkg-query --status "$dependency" >>"$root/var/lib/dpkg/status" 2>/dev/null ||
        fail "the packages depend on $dependency, which this machine lacks"
      echo >>"$root/var/lib/dpkg/status"
      : >"$root/var/lib/dpkg/info/$dependency.list"
    done
    # Janus's configuration as Debian ships it, where postinst reads it.
    mkdir -p "$root/etc/janus" && cp /etc/janus/janus.jcfg "$root/etc/janus/"
    dpkg_in_root() {
      PATH="$PATH:/usr/sbin:/sbin" dpkg --root="$root" --force-not-root --force-script-chrootless \
        --log="$work/dpkg.log" "$@" </dev/null
    }
    state() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version} ${Status}' "$1" 2>/dev/null || true; }
    plugin_library=$root/$janus_dir/plugins/libjanus_alliance.so
    secret=$root/etc/alliance/janus-token.secret
    configuration=$root/$plugin_configuration

    echo "--- 1. alliance-janus without alliance: refused"
    if dpkg_in_root -i "$janus_deb" >"$work/alone.out" 2>&1; then fail "alliance-janus installed without alliance"; fi
    grep -q "depends on alliance" "$work/alone.out" || { cat "$work/alone.out" >&2; fail "dpkg did not name the missing alliance"; }
    dpkg_in_root --remove alliance-janus >/dev/null 2>&1

    echo "--- 2. both packages"
    dpkg_in_root -i "$alliance_deb" "$janus_deb" >"$work/install.out" 2>&1 ||
      { cat "$work/install.out" >&2; fail "dpkg -i of alliance and alliance-janus failed"; }
    cat "$work/install.out"
    case "$(state alliance-janus)" in *" install ok installed") ;; *) fail "not installed: $(state alliance-janus)" ;; esac
    [ -f "$plugin_library" ] && [ -f "$root/$janus_dir/events/libjanus_alliance_events.so" ] || fail "the libraries are not installed"
    conffiles=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Conffiles}' alliance-janus | awk '{print $1}')
    [ "$conffiles" = "/$plugin_configuration
/$events_configuration" ] || fail "dpkg did not register the two conffiles: $conffiles"
    [ "$(stat -c %a "$secret")" = 600 ] || fail "the token secret is not 0600"
    grep -q "events: { broadcast = true }" "$work/install.out" || fail "the install did not say to turn on event broadcasting"

    echo "--- 3. revision 2 of alliance-janus needs revision 2 of alliance"
    janus_deb2=$(ls "$out"/revision2/alliance-janus_*-2_*.deb) alliance_deb2=$(ls "$out"/revision2/alliance_*-2_*.deb)
    if dpkg_in_root -i "$janus_deb2" >"$work/mismatch.out" 2>&1; then fail "alliance-janus 2 configured with alliance 1"; fi
    grep -q "depends on alliance (= .*-2)" "$work/mismatch.out" || { cat "$work/mismatch.out" >&2; fail "dpkg did not name the alliance version"; }
    # IT's edit of the template, then both upgraded together: the edit and the secret stay.
    sed -i 's/^\([[:space:]]*token_lifetime_limit_seconds = \)300/\1120/' "$configuration"
    grep -q "token_lifetime_limit_seconds = 120" "$configuration" || fail "the test's edit did not apply"
    configuration_sum=$(sha256sum <"$configuration") secret_sum=$(sha256sum <"$secret")
    dpkg_in_root -i "$alliance_deb2" "$janus_deb2" >"$work/upgrade.out" 2>&1 ||
      { cat "$work/upgrade.out" >&2; fail "dpkg -i of both revisions 2 failed"; }
    case "$(state alliance-janus)" in *-2" install ok installed") ;; *) fail "not upgraded: $(state alliance-janus)" ;; esac
    [ "$(sha256sum <"$configuration")" = "$configuration_sum" ] || fail "the upgrade changed the edited .jcfg"
    [ ! -e "$configuration.dpkg-new" ] && [ ! -e "$configuration.dpkg-dist" ] || fail "the upgrade left a .dpkg-new or .dpkg-dist"
    [ "$(sha256sum <"$secret")" = "$secret_sum" ] || fail "the upgrade replaced the token secret"

    echo "--- 4. remove keeps the configuration and the secret, purge deletes them"
    dpkg_in_root --remove alliance-janus >/dev/null || fail "dpkg --remove failed"
    [ ! -e "$plugin_library" ] || fail "remove left the plugin"
    [ -e "$configuration" ] && [ -e "$secret" ] || fail "remove deleted the configuration or the secret"
    dpkg_in_root --purge alliance-janus >/dev/null || fail "dpkg --purge failed"
    [ ! -e "$configuration" ] && [ ! -e "$root/$events_configuration" ] && [ ! -e "$secret" ] ||
      fail "purge left the configuration or the secret"
    [ -e "$root/etc/alliance/store.key" ] && [ -e "$root/etc/alliance/alliance.json" ] ||
      fail "purging alliance-janus touched the alliance package's files"
    case "$(state alliance)" in *" install ok installed") ;; *) fail "alliance is no longer installed: $(state alliance)" ;; esac
    echo "install, upgrade, remove, purge: ok"
    ;;
  hardening)
    # As packaging_test.sh checks alliance's binaries (Debian's dpkg-buildflags): PIE
    # or shared, full RELRO, a stack that is not executable, the stack protector,
    # _FORTIFY_SOURCE's checked calls, and CET: create(), which Janus calls through a
    # pointer from dlsym, begins with the landing pad.
    for library in plugins/libjanus_alliance.so events/libjanus_alliance_events.so; do
      binary=$out/deb-root/$janus_dir/$library
      name=$(basename "$binary")
      readelf -hW "$binary" | grep -q 'Type:.*DYN' || fail "$name is not a shared object"
      readelf -lW "$binary" | grep -q 'GNU_RELRO' || fail "$name has no GNU_RELRO segment (link with -z relro)"
      readelf -dW "$binary" | grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' ||
        fail "$name is not bound at load time (no BIND_NOW: link with -z now), so its RELRO is partial"
      readelf -lW "$binary" | grep 'GNU_STACK' | grep -q 'RW ' || fail "$name asks for an executable stack"
      symbols=$(readelf --dyn-syms -W "$binary")
      echo "$symbols" | grep -q ' __stack_chk_fail' ||
        fail "$name does not reference __stack_chk_fail: not built with -fstack-protector-strong"
      if echo "$symbols" | grep -Eq ' __[a-z0-9_]+_chk(@|$)'; then
        fortified="fortified calls"
      elif [ "$name" = libjanus_alliance.so ]; then
        fail "$name references no fortified function (__*_chk): not built with -D_FORTIFY_SOURCE=2 and optimization"
      else
        # The event handler only passes a pointer on: it has no call to check.
        fortified="no call that _FORTIFY_SOURCE checks"
      fi
      address=$(echo "$symbols" | awk '$8 == "create" && $4 == "FUNC" { print $2 }')
      [ -n "$address" ] || fail "$name does not export create()"
      first=$(objdump -d --no-show-raw-insn --start-address="0x$address" --stop-address=$((0x$address + 4)) "$binary" |
        awk '/^ *[0-9a-f]+:/ { print $2; exit }')
      [ "$first" = endbr64 ] || fail "$name: create() begins with $first, not endbr64: not built with -fcf-protection"
      echo "$name: shared, full RELRO, non-executable stack, stack protector, $fortified, CET landing pads"
    done
    ;;
  janus_loads)
    # Debian's Janus, started on the installed files: the two libraries from the
    # package, the .jcfg templates as shipped (only their paths moved into a scratch
    # root), the Alliance plugin and its measures from the alliance package, and the
    # secret postinst makes. Janus's API on a Unix socket in the scratch root (the
    # pfunix transport), nothing on the network.
    work=$out/janus-loads
    root=$work/root
    rm -rf "$work" && mkdir -p "$root/etc/janus" "$work/conf" "$work/transports" "$work/store"
    cp -a "$out/deb-root/." "$root/"
    cp -a "$alliance_out/deb-root/." "$root/"
    DPKG_ROOT="$root" sh "$out/deb-control/postinst" configure >/dev/null
    (umask 077 && openssl rand -base64 32 >"$root/etc/alliance/store.key")
    sed -i -e "s|\"/var/lib/alliance/|\"$work/store/|" -e "s|\"/etc/alliance/|\"$root/etc/alliance/|" \
        -e "s|\"/usr/lib/telehealth/|\"$root/usr/lib/telehealth/|" "$root/etc/alliance/alliance.json"
    for file in $plugin_configuration $events_configuration; do
      sed -e "s|\"/etc/alliance/|\"$root/etc/alliance/|" -e "s|\"/usr/lib/telehealth/|\"$root/usr/lib/telehealth/|" \
        "$root/$file" >"$work/conf/$(basename "$file")"
    done
    grep -q "\"$root/usr/lib/telehealth/plugins/alliance/liballiance.so\"" "$work/conf/janus.plugin.alliance.jcfg" ||
      fail "the plugin's template names no liballiance.so to move"
    ln -s "/$janus_dir/transports/libjanus_pfunix.so" "$work/transports/"
    cat >"$work/conf/janus.transport.pfunix.jcfg" <<JCFG
general: {
	enabled = true
	path = "$work/janus.sock"
}
admin: {
	admin_enabled = false
}
JCFG
    # Janus's own janus.jcfg as Debian ships it, with its folders moved here and event
    # broadcasting as given.
    write_janus_configuration() {
      sed -e "s|^\([[:space:]]*configs_folder = \)\"[^\"]*\"|\1\"$work/conf\"|" \
          -e "s|^\([[:space:]]*plugins_folder = \)\"[^\"]*\"|\1\"$root/$janus_dir/plugins\"|" \
          -e "s|^\([[:space:]]*transports_folder = \)\"[^\"]*\"|\1\"$work/transports\"|" \
          -e "s|^\([[:space:]]*events_folder = \)\"[^\"]*\"|\1\"$root/$janus_dir/events\"|" \
          -e "s|^\([[:space:]]*loggers_folder = \)\"[^\"]*\"|\1\"$work/loggers\"|" \
          /etc/janus/janus.jcfg >"$work/conf/janus.jcfg"
      if [ "$1" = broadcast ]; then
        sed -i 's/^\([[:space:]]*\)#broadcast = true/\1broadcast = true/' "$work/conf/janus.jcfg"
      fi
    }
    # Starts Janus, waits until it has started (its transport runs, so the plugins'
    # start is over, Alliance's included), stops it. A SIGINT while Janus is still
    # starting can leave it waiting for ever (seen in a clean-clone run), so the signal
    # waits for the transport, and a Janus that does not stop is killed and reported.
    run_janus() {
      log=$work/$1.log
      /usr/bin/janus -F "$work/conf" --disable-colors >"$log" 2>&1 &
      janus_pid=$!
      waited=0
      until grep -q "Unix Sockets thread started" "$log" || [ $waited -ge 300 ]; do
        kill -0 "$janus_pid" 2>/dev/null || break
        sleep 0.1; waited=$((waited + 1))
      done
      kill -INT "$janus_pid" 2>/dev/null || true
      waited=0
      while kill -0 "$janus_pid" 2>/dev/null && [ $waited -lt 150 ]; do
        sleep 0.1; waited=$((waited + 1))
      done
      if kill -0 "$janus_pid" 2>/dev/null; then
        kill -KILL "$janus_pid" 2>/dev/null || true
        wait "$janus_pid" || true
        tail -5 "$log" >&2
        fail "Janus did not stop within 15 s of SIGINT ($1)"
      fi
      wait "$janus_pid" || true
      grep '\[alliance\]\|alliance\|Event handlers support' "$log" | sed "s|^|$1: |"
    }

    echo "--- as installed, with events: { broadcast = true } in janus.jcfg"
    write_janus_configuration broadcast
    run_janus started
    grep -q "Loading event handler plugin 'libjanus_alliance_events.so'" "$work/started.log" ||
      fail "Janus did not load the event handler"
    grep -q "\[alliance\] janus.eventhandler.alliance started" "$work/started.log" || fail "the event handler did not start"
    grep -q "Loading plugin 'libjanus_alliance.so'" "$work/started.log" || fail "Janus did not load the plugin"
    grep -q "\[alliance\] janus.plugin.alliance started: Alliance is loaded" "$work/started.log" ||
      { cat "$work/started.log" >&2; fail "the plugin did not start with the templates as shipped"; }
    grep -q "\[alliance\] janus.plugin.alliance stopped" "$work/started.log" || fail "the plugin did not stop with Janus"

    echo "--- the secret readable by Janus's group (0640) is accepted"
    chmod 0640 "$root/etc/alliance/janus-token.secret"
    run_janus group-readable
    grep -q "Alliance is loaded" "$work/group-readable.log" || fail "the plugin refused a group-readable secret"

    echo "--- the secret readable by others is refused"
    chmod 0644 "$root/etc/alliance/janus-token.secret"
    run_janus others-readable
    grep -q "\[alliance\] not started: janus.plugin.alliance.jcfg: token_secret_file .* is readable by others" \
      "$work/others-readable.log" || fail "no word on a secret that others can read"
    grep -q "The 'janus.plugin.alliance' plugin could not be initialized" "$work/others-readable.log" ||
      fail "Janus did not say it runs without the plugin"
    chmod 0600 "$root/etc/alliance/janus-token.secret"

    echo "--- janus.jcfg as Debian ships it (no event broadcasting)"
    write_janus_configuration as-shipped
    run_janus no-broadcast
    grep -q "Event handlers support disabled" "$work/no-broadcast.log" || fail "Janus did not say event handlers are off"
    grep -q "\[alliance\] not started: Janus's events are off" "$work/no-broadcast.log" ||
      fail "the plugin did not say that events are off"
    echo "Janus loads both, as installed: ok"
    ;;
  *) fail "unknown check $check" ;;
esac

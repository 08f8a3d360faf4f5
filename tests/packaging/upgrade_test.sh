#!/bin/sh
# Install, use, upgrade, remove and purge the .deb with the real dpkg, in a scratch root,
# the way clinic IT lives with it:
#   1. install revision 1; IT edits /etc/alliance/alliance.json (store and measures in
#      the scratch root, a fhir section for the record system);
#   2. a session runs on the installed plugin while the record system is down, so its
#      results stay pending in the store (alliancectl status says so, and why);
#   3. upgrade to revision 2 of the package: the edited configuration, the store key
#      and the pending outbox are still there, unchanged; then to revision 3, whose
#      template changed, unattended (--force-confold): IT's file is kept and the new
#      template is left beside it as alliance.json.dpkg-dist;
#   4. the record system comes back; the upgraded plugin delivers what was pending, and
#      the results are in the FHIR server;
#   5. dpkg --remove keeps the data, dpkg --purge deletes it.
#
#   upgrade_test.sh PACKAGES_OUT CERTIFICATES FHIR_SERVER_DIR SCENARIOS_DIR HOST_SIM
# PACKAGES_OUT is the fixture's output (packaging_test.sh build). Revisions 2 and 3 are
# made here from it: newer packages of the same plugin, which is what dpkg's upgrade
# path (conffile, maintainer scripts, data) depends on.
set -eu

out=$1 certificates=$2 fhir_server=$3 scenarios=$4 host_sim=$5
work=$out/upgrade
root=$work/root
plugin=usr/lib/telehealth/plugins/alliance
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

rm -rf "$work" && mkdir -p "$work"
server_output=$work/fhir-server
trap '"$fhir_server/stop.sh" "$server_output" >/dev/null 2>&1 || true' EXIT

old_deb=$(ls "$out"/packages/alliance_*.deb)
# A newer revision of the package: the same files under a higher version, plus `line`
# at the end of the configuration template when given (as a release that documents a
# new key would ship). Rebuilt with dpkg-deb, uncompressed: the ASan build's plugin is
# large, and compressing it again would only cost time.
make_revision() {
  revision=$1 line=${2:-}
  tree=$work/revision-$revision
  rm -rf "$tree" && dpkg-deb -R "$old_deb" "$tree"
  if [ -n "$line" ]; then
    echo "$line" >>"$tree/etc/alliance/alliance.json"
    (cd "$tree" && find etc usr -type f -exec md5sum {} + >DEBIAN/md5sums)
  fi
  sed -i "s/^Version: .*/&-$revision/" "$tree/DEBIAN/control"
  mkdir -p "$work/packages"
  dpkg-deb --root-owner-group -Znone -b "$tree" "$work/packages/alliance_revision$revision.deb" >/dev/null
  rm -rf "$tree"
  echo "$work/packages/alliance_revision$revision.deb"
}
new_deb=$(make_revision 2) || fail "cannot make revision 2"

# The scratch dpkg database holds this machine's records of the packages Alliance
# depends on, so that Depends is checked for real (a missing one fails the install).
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
for dependency in $(dpkg-deb -f "$old_deb" Depends | tr ',' '\n' | sed 's/(.*//; s/|.*//; s/ //g'); do
  dpkg-query --status "$dependency" >>"$root/var/lib/dpkg/status" 2>/dev/null ||
    fail "the package depends on $dependency, which this machine lacks"
  echo >>"$root/var/lib/dpkg/status"
  : >"$root/var/lib/dpkg/info/$dependency.list"
done
# Maintainer scripts run without chroot, with DPKG_ROOT set (postinst honours it);
# --force-not-root lets a CI account that is not root install into the scratch root.
# dpkg wants ldconfig and start-stop-daemon on PATH, which an ordinary account's lacks.
dpkg_in_root() {
  PATH="$PATH:/usr/sbin:/sbin" dpkg --root="$root" --force-not-root --force-script-chrootless --log="$work/dpkg.log" "$@" </dev/null
}
installed_version() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version} ${Status}' alliance; }

step "1. install $(basename "$old_deb")"
dpkg_in_root -i "$old_deb" || fail "dpkg -i of the first package failed"
case "$(installed_version)" in *" install ok installed") ;; *) fail "not installed: $(installed_version)" ;; esac
[ "$(stat -c %a "$root/var/lib/alliance")" = 700 ] || fail "/var/lib/alliance is not 0700"
[ "$(stat -c %a "$root/etc/alliance/store.key")" = 600 ] || fail "store.key is not 0600"

# The record system's port, chosen now; nothing listens there until step 4.
port=$("${NODE:-node}" -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
config=$root/etc/alliance/alliance.json
# IT's edit: the paths into the scratch root, and the fhir section (a short first retry,
# so the test does not wait).
sed -e "s|\"/var/lib/alliance/|\"$root/var/lib/alliance/|" -e "s|\"/etc/alliance/|\"$root/etc/alliance/|" \
    -e "s|\"/usr/lib/telehealth/|\"$root/usr/lib/telehealth/|" \
    -e "s|^  \"log_level\": \"info\"|  \"fhir\": { \"base_url\": \"https://localhost:$port/fhir/R4\", \"ca_file\": \"$certificates/ca.pem\",\n            \"identifier_system\": \"https://clinic.example.org/sid/alliance-upgrade\",\n            \"timeout_seconds\": 2, \"retry_initial_seconds\": 1, \"retry_maximum_seconds\": 2 },\n  \"log_level\": \"info\"|" \
    "$config" >"$work/edited.json"
cp "$work/edited.json" "$config"
grep -q "alliance-upgrade" "$config" || fail "the test's edit of the configuration did not apply"
alliancectl=$root/usr/bin/alliancectl
"$alliancectl" check-config --config "$config" >"$work/check.txt" 2>&1 ||
  { cat "$work/check.txt" >&2; fail "check-config refused the edited configuration"; }
config_sum=$(sha256sum <"$config")
key_sum=$(sha256sum <"$root/etc/alliance/store.key")

step "2. a session while the record system is down"
host_sim() {
  "$host_sim" --plugin "$root/$plugin/liballiance.so" --config "$config" --scenario "$1" \
    >"$work/$2.stdout" 2>"$work/$2.stderr" ||
    { cat "$work/$2.stdout" "$work/$2.stderr" >&2; fail "host-sim exited non-zero ($2)"; }
}
host_sim "$scenarios/normal_session.json" session
"$alliancectl" status --config "$config" >"$work/status-before.txt" 2>&1 || true
cat "$work/status-before.txt"
grep -q "outbox: pending 2 in_flight 0 delivered 0 failed 0" "$work/status-before.txt" ||
  fail "the two results are not pending before the upgrade"
grep -q "cannot connect\|connect" "$work/status-before.txt" || fail "status does not say why they are pending"

step "3. upgrade to $(basename "$new_deb")"
dpkg_in_root -i "$new_deb" || fail "dpkg -i of revision 2 failed"
case "$(installed_version)" in *-2" install ok installed") ;; *) fail "not upgraded: $(installed_version)" ;; esac
[ "$(sha256sum <"$config")" = "$config_sum" ] || fail "the upgrade changed /etc/alliance/alliance.json"
[ ! -e "$config.dpkg-new" ] && [ ! -e "$config.dpkg-dist" ] || fail "the upgrade left a .dpkg-new or .dpkg-dist"
[ "$(sha256sum <"$root/etc/alliance/store.key")" = "$key_sum" ] || fail "the upgrade replaced the store key"
[ "$(stat -c %a "$root/var/lib/alliance")" = 700 ] || fail "/var/lib/alliance is not 0700 after the upgrade"
"$alliancectl" status --config "$config" >"$work/status-upgraded.txt" 2>&1 || true
grep -q "outbox: pending 2 in_flight 0 delivered 0 failed 0" "$work/status-upgraded.txt" ||
  { cat "$work/status-upgraded.txt"; fail "the pending results did not survive the upgrade"; }

step "3b. upgrade to a release whose configuration template changed"
# Revision 3 has one more comment in the template. dpkg would ask IT what to do with the edited file; an
# unattended upgrade answers "keep mine" with --force-confold (as the README says) and
# dpkg leaves the new template beside it as alliance.json.dpkg-dist.
newer_deb=$(make_revision 3 "// A comment that a newer release added.") || fail "cannot make revision 3"
dpkg_in_root --force-confold -i "$newer_deb" || fail "dpkg -i of revision 3 failed"
case "$(installed_version)" in *-3" install ok installed") ;; *) fail "not upgraded to revision 3: $(installed_version)" ;; esac
[ "$(sha256sum <"$config")" = "$config_sum" ] || fail "the upgrade to revision 3 changed the edited configuration"
grep -q "A comment that a newer release added" "$config.dpkg-dist" ||
  fail "the new template is not beside the configuration as alliance.json.dpkg-dist"

step "4. the record system is back"
"$fhir_server/start.sh" "$certificates" "$server_output" --port "$port" >"$work/fhir-server-start.txt" 2>&1 ||
  { cat "$work/fhir-server-start.txt" >&2; fail "the test FHIR server did not start on port $port"; }
fhir() {
  curl --silent --show-error --max-time 20 --cacert "$certificates/ca.pem" -H 'Content-Type: application/fhir+json' \
    "$@" --write-out '\n%{http_code}'
}
fhir -X PUT "https://localhost:$port/fhir/R4/Patient/pat-alex" \
  -d '{"resourceType": "Patient", "id": "pat-alex", "name": [{"family": "Testperson"}]}' | tail -n1 | grep -q '^20[01]$' ||
  fail "cannot seed the patient"
fhir -X PUT "https://localhost:$port/fhir/R4/Encounter/enc-normal" \
  -d '{"resourceType": "Encounter", "id": "enc-normal", "status": "finished", "subject": {"reference": "Patient/pat-alex"},
       "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"}}' |
  tail -n1 | grep -q '^20[01]$' || fail "cannot seed the encounter"
host_sim "$scenarios/idle.json" idle
"$alliancectl" status --config "$config" >"$work/status-after.txt" 2>&1 || true
cat "$work/status-after.txt"
grep -q "outbox: pending 0 in_flight 0 delivered 2 failed 0" "$work/status-after.txt" ||
  fail "the upgraded plugin did not deliver what was pending"
for type in QuestionnaireResponse Observation; do
  total=$(fhir "https://localhost:$port/fhir/R4/$type?subject=Patient/pat-alex&_summary=count" | head -n1 |
    "${NODE:-node}" -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => console.log(JSON.parse(s).total))')
  [ "$total" = 2 ] || fail "the FHIR server holds $total ${type}s for the patient, not 2"
done

step "5. remove keeps the data, purge deletes it"
dpkg_in_root --remove alliance || fail "dpkg --remove failed"
[ ! -e "$root/$plugin/liballiance.so" ] || fail "remove left the plugin"
[ -e "$root/var/lib/alliance/alliance.db" ] && [ -e "$root/etc/alliance/store.key" ] && [ -e "$config" ] ||
  fail "remove deleted the store, the key or the configuration"
dpkg_in_root --purge alliance || fail "dpkg --purge failed"
[ ! -e "$root/var/lib/alliance" ] && [ ! -e "$root/etc/alliance" ] || fail "purge left data behind"
echo "upgrade: ok"

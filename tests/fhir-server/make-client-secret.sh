#!/usr/bin/env bash
# Writes a client secret for the test server's --client-secret-file (the Oracle Health
# emulation's system account): a random secret on one line, mode 600.
#   make-client-secret.sh FILE
# The secret holds ':', '+', '%', '&' and a space on purpose: HTTP Basic client
# authentication form-urlencodes the id and the secret before base64 (RFC 6749 section
# 2.3.1), and a client that skips that step fails against it.
set -euo pipefail
file=${1:?usage: make-client-secret.sh FILE}
mkdir -p "$(dirname "$file")"
random=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
umask 077
rm -f "$file"
printf 'alliance:%s+&%% /=\n' "$random" >"$file"
chmod 600 "$file"
echo "client secret written to $file"

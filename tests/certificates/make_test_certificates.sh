#!/usr/bin/env bash
# Makes the certificates the tests use, with Debian's openssl, into OUT (argument 1):
#   ca.pem / ca.key                  the test CA the client trusts
#   server.pem / server.key          for DNS:localhost only, signed by the test CA; a
#                                    client that connects to 127.0.0.1 must refuse it
#                                    (host name mismatch)
#   other-ca.pem / other-ca.key      a CA nobody trusts
#   untrusted-server.pem / .key      for DNS:localhost, signed by the other CA
#   client.pem / client.key          a client certificate signed by the test CA (mTLS)
# Keys are EC P-256 (fast to make). Nothing here is ever used outside tests.
set -euo pipefail
out=${1:?usage: make_test_certificates.sh OUT_DIRECTORY}
mkdir -p "$out"
cd "$out"

# Already made and valid for another day: keep them (CTest runs this as a fixture).
if [ -f client.pem ] && openssl x509 -in server.pem -noout -checkend 86400 >/dev/null 2>&1; then
  exit 0
fi

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

make_ca() {  # name, subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 30 -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.pem" 2>/dev/null
}

make_leaf() {  # name, ca, subject, extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

make_ca ca "/CN=Alliance Test CA"
make_ca other-ca "/CN=Unknown Test CA"
server_ext=$'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost'
make_leaf server ca "/CN=localhost" "$server_ext"
make_leaf untrusted-server other-ca "/CN=localhost" "$server_ext"
make_leaf client ca "/CN=alliance-test-client" \
  $'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'
echo "test certificates in $out"

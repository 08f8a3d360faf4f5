#!/usr/bin/env bash
# Makes the SMART Backend Services test keys, with Debian's openssl, into OUT (argument 1):
#   rs384.key     RSA 2048, PKCS#8 PEM, mode 600: signs RS384 client assertions (kid alliance-rs384)
#   es384.key     EC P-384, PKCS#8 PEM, mode 600: signs ES384 client assertions (kid alliance-es384)
#   wrong-es384.key  another EC P-384 key that nobody registered (a client with the wrong key)
#   rs384.pub.pem, es384.pub.pem   their public halves, for tests that verify signatures
#   jwks.json     the registered public keys (rs384 and es384 only), for the test server's --jwks
# The JWKS comes from make_jwks.mjs (Node's own crypto, no packages). Nothing here is
# ever used outside tests. NODE may name the node binary (default: node on PATH).
set -euo pipefail
out=${1:?usage: make_test_keys.sh OUT_DIRECTORY}
node=${NODE:-node}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cd "$out"

# Already made (CTest runs this as a fixture, possibly from several test runs at once):
# keep them.
if [ -s jwks.json ] && [ -s wrong-es384.key ]; then
  exit 0
fi

umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rs384.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out es384.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out wrong-es384.key.tmp 2>/dev/null
chmod 600 rs384.key es384.key wrong-es384.key.tmp
openssl pkey -in rs384.key -pubout -out rs384.pub.pem
openssl pkey -in es384.key -pubout -out es384.pub.pem
chmod 644 rs384.pub.pem es384.pub.pem
"$node" "$here/make_jwks.mjs" rs384.pub.pem:alliance-rs384:RS384 es384.pub.pem:alliance-es384:ES384 >jwks.json.tmp
chmod 644 jwks.json.tmp
mv jwks.json.tmp jwks.json
# Last: its presence says the set is complete.
mv wrong-es384.key.tmp wrong-es384.key
echo "SMART test keys in $out"

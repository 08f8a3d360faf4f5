#!/usr/bin/env node
// Prints a JWKS (RFC 7517) of public keys, for the test server's --jwks.
//   node make_jwks.mjs PUBLIC_PEM:KID:ALG ...
// Node's own crypto exports the JWK; only public keys go in.
import crypto from 'node:crypto';
import fs from 'node:fs';

const keys = process.argv.slice(2).map((argument) => {
  const [file, kid, alg] = argument.split(':');
  if (!file || !kid || !alg) {
    process.stderr.write(`make_jwks: expected PUBLIC_PEM:KID:ALG, got ${argument}\n`);
    process.exit(2);
  }
  const key = crypto.createPublicKey(fs.readFileSync(file));
  return { ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' };
});
process.stdout.write(`${JSON.stringify({ keys }, null, 2)}\n`);

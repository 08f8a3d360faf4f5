// With --client-ca the server talks only to clients whose certificate the test CA signed.
// Needs a server started that way: FHIR_SERVER_PORT_FILE, TEST_CA, and TEST_CLIENT_CERTIFICATE
// and TEST_CLIENT_KEY (client.pem, client.key).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect } from './client.mjs';

const portFile = process.env.FHIR_SERVER_PORT_FILE;
const caFile = process.env.TEST_CA;

test('a client with a certificate from the test CA is served', async () => {
  const server = connect({ portFile, caFile, clientCertificate: process.env.TEST_CLIENT_CERTIFICATE, clientKey: process.env.TEST_CLIENT_KEY });
  try {
    const response = await server.request('GET', 'metadata');
    assert.equal(response.status, 200);
    assert.equal(response.body.resourceType, 'CapabilityStatement');
  } finally {
    server.close();
  }
});

test('a client without a certificate is refused during the handshake', async () => {
  const server = connect({ portFile, caFile });
  try {
    await assert.rejects(server.request('GET', 'metadata'), (error) => /certificate|socket hang up|ECONNRESET/i.test(error.message));
  } finally {
    server.close();
  }
});

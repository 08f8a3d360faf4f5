// A small HTTPS client for the test and the benchmark: trusts the test CA, talks to
// localhost over IPv4 (Node 18 would try ::1 first where /etc/hosts lists it), keeps
// connections alive, and parses JSON answers.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The server's port from `portFile` (the fixtures write one) or as `port`. keepAlive:
// false for a caller that makes a few requests and never calls close().
export function connect({ portFile, port: givenPort, caFile, clientCertificate, clientKey, keepAlive = true }) {
  const port = givenPort ?? Number(fs.readFileSync(portFile, 'utf8').trim());
  const agent = new https.Agent({
    keepAlive,
    ca: fs.readFileSync(caFile),
    cert: clientCertificate ? fs.readFileSync(clientCertificate) : undefined,
    key: clientKey ? fs.readFileSync(clientKey) : undefined,
  });
  const base = `https://localhost:${port}/fhir/R4`;

  /** Resolves to {status, headers, body (parsed JSON when it is JSON), text}. */
  function request(method, path, options = {}) {
    return send(method, path, options).catch((error) => {
      // A kept-alive connection the server closed as idle (Node's servers do after 5 s)
      // just as this request went out on it: reset before any answer, so the server
      // took nothing. Node's documentation answers this with one retry on a new
      // connection. GET, PUT and DELETE are idempotent (RFC 9110, 9.2.2), so a reset
      // before their answer is retried once on any connection (a clean-clone run saw a
      // search reset on a machine loaded with browser tests); a POST only in the idle
      // case, where it certainly was not taken.
      const idempotent = method === 'GET' || method === 'PUT' || method === 'DELETE';
      if (error.code === 'ECONNRESET' && (error.reusedSocket || idempotent)) return send(method, path, options);
      throw error;
    });
  }

  function send(method, path, { body, headers = {}, rawBody } = {}) {
    const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const url = path.startsWith('/') ? `https://localhost:${port}${path}` : `${base}/${path}`;
    return new Promise((resolve, reject) => {
      const outgoing = https.request(url, {
        method,
        agent,
        family: 4,
        headers: {
          Accept: 'application/fhir+json',
          ...(payload === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
          ...headers,
        },
      }, (incoming) => {
        const chunks = [];
        incoming.on('data', (chunk) => chunks.push(chunk));
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: incoming.statusCode, headers: incoming.headers, body: parsed, text });
        });
        incoming.on('error', reject);
      });
      outgoing.on('error', (error) => {
        error.reusedSocket = outgoing.reusedSocket;
        reject(error);
      });
      outgoing.end(payload);
    });
  }

  return { port, base, request, close: () => agent.destroy() };
}

// A server of the test's own, started with start.sh and `options` (e.g.
// ['--no-transactions']) for options the shared fixture servers do not have, and
// reached like `connect` does. stop() closes the client, stops the server and removes
// its folder.
export function startOwnServer({ caFile, options = [], name = 'own' }) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const output = fs.mkdtempSync(path.join(os.tmpdir(), `fhir-server-${name}-`));
  execFileSync(path.join(here, 'start.sh'), [path.dirname(caFile), output, ...options], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE: process.execPath },
  });
  const client = connect({ portFile: path.join(output, 'fhir-server.port'), caFile });
  client.stop = () => {
    client.close();
    execFileSync(path.join(here, 'stop.sh'), [output], { stdio: 'ignore' });
    fs.rmSync(output, { recursive: true, force: true });
  };
  return client;
}

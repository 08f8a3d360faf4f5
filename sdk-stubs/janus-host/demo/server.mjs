// The demo's stand-in for the telehealth application's backend, beside a real Janus.
//
//   node sdk-stubs/janus-host/demo/server.mjs --janus http://127.0.0.1:8088/janus \
//       --token-secret-file janus-token.secret --session-file tests/scenarios/demo_live.json \
//       [--port N] [--room N] [--videoroom-admin-key KEY] [--string-ids] [--no-camera]
//
// What a platform's backend does for a video visit, and no more (docs/janus.md, "Demo"):
// it creates the VideoRoom room through Janus's HTTP API, assigns each participant a
// publisher id in it, and serves each participant a page with a token it signs with the
// secret the adapter also reads, vouching for who they are. It serves on 127.0.0.1 only.
// Loopback is no login (any program on the machine reaches it), so, as host-sim does,
// each page's address carries a key of that participant's own (?key=, 32 random bytes),
// compared in constant time; the start page that lists both addresses has a key of its
// own, for the operator. Without the right key the answer is 403.
//
// It prints "room <id>", "page <participant> <role> <url>" for each participant,
// "start <url>", then "ready <url>"; SIGINT or SIGTERM destroys the room and exits.
// As a module: startDemo(options) -> { url, startUrl, room, pages, close() }.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// The Debian packages' files: janus.js from libjs-janus-gateway, and the WebRTC adapter
// it expects as the global `adapter` from libjs-webrtc-adapter (janus.js's
// useDefaultDependencies() reads `adapter` unless it is given one).
export const packagedScripts = {
  '/js/janus.js': '/usr/share/javascript/janus-gateway/janus.js',
  '/js/adapter.js': '/usr/share/javascript/webrtc-adapter/adapter.min.js',
};

// The policy host-sim gives a panel's document (panel_security_policy() in
// sdk-stubs/host-sim/live_page.cpp): a sandbox of its own, inline scripts and styles
// (the panel's own meta policy then narrows them to its nonce), nothing fetched.
export const panelSecurityPolicy =
  "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
  + "style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; "
  + "form-action 'none'; frame-ancestors 'self'";

// ---------------------------------------------------------------------------------------
// Participant tokens (docs/janus.md, "Participant tokens").

const base64url = (buffer) => Buffer.from(buffer).toString('base64url');

// token = base64url(payload) "." base64url(HMAC-SHA256(secret, base64url(payload)))
export function signToken(secret, payload) {
  const body = base64url(JSON.stringify(payload));
  const mac = crypto.createHmac('sha256', secret).update(body, 'ascii').digest();
  return `${body}.${base64url(mac)}`;
}

// The secret is the file's first line, as the adapter reads it.
export function readTokenSecret(file) {
  const secret = fs.readFileSync(file, 'utf8').split(/\r?\n/, 1)[0];
  if (Buffer.byteLength(secret) < 32) throw new Error(`${file}: the token secret's first line is shorter than 32 bytes`);
  return secret;
}

// The fields the ABI takes for a participant and for the session, as token keys.
const participantFields = {
  display_name: 'display_name', fhir_reference: 'fhir_reference', birth_date: 'birth_date',
  preferred_language: 'preferred_language', age_years: 'age_years',
  rates_participant_id: 'rates_participant', relationship: 'relationship',
};

function tokenPayload(visit, participant, lifetimeSeconds) {
  const payload = {
    version: 1,
    room: String(visit.room),
    feed: String(participant.feed),
    session: visit.session.session_id,
    participant: participant.participant_id,
    role: participant.role,
    expires: Math.floor(Date.now() / 1000) + lifetimeSeconds,
  };
  for (const [field, key] of Object.entries(participantFields)) {
    if (participant[field] !== undefined && participant[field] !== '') payload[key] = participant[field];
  }
  // The session's own fields travel in the clinician's token (the adapter takes them there).
  if (participant.role === 'clinician') {
    const session = visit.session;
    if (session.encounter_reference) payload.encounter = session.encounter_reference;
    if (session.appointment_kind) payload.appointment_kind = session.appointment_kind;
    if (session.start_time) payload.start_time = session.start_time;
  }
  return payload;
}

// ---------------------------------------------------------------------------------------
// Janus's HTTP API, as the backend uses it: a session of its own, one VideoRoom handle,
// synchronous requests (create, destroy), then the session is destroyed again.

async function janusCall(url, body) {
  const transaction = crypto.randomBytes(6).toString('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, transaction }),
    signal: AbortSignal.timeout(10000),
  });
  const answer = await response.json();
  if (answer.janus === 'error') throw new Error(`Janus: ${answer.error?.code} ${answer.error?.reason}`);
  return answer;
}

async function videoroomRequest(janusUrl, request) {
  const session = await janusCall(janusUrl, { janus: 'create' });
  const sessionUrl = `${janusUrl}/${session.data.id}`;
  try {
    const handle = await janusCall(sessionUrl, { janus: 'attach', plugin: 'janus.plugin.videoroom' });
    const answer = await janusCall(`${sessionUrl}/${handle.data.id}`, { janus: 'message', body: request });
    const data = answer.plugindata?.data ?? {};
    if (data.error_code) {
      const error = new Error(`VideoRoom ${request.request}: ${data.error_code} ${data.error}`);
      error.code = data.error_code;
      throw error;
    }
    return data;
  } finally {
    await janusCall(sessionUrl, { janus: 'destroy' }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------
// Pages.

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (character) => (
  { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[character]));

// JSON inside a <script type="application/json"> block: no "<" that could close it.
const scriptJson = (value) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028')
  .replace(/\u2029/g, '\\u2029');

const roleWords = { client: 'client', clinician: 'therapist', other_rater: 'rater' };

function fill(template, values) {
  return template.replace(/@([A-Z_]+)@/g, (marker, name) => (name in values ? values[name] : marker));
}

const pageTemplate = fs.readFileSync(path.join(here, 'participant.html'), 'utf8');
const shellDocument = fs.readFileSync(path.join(here, 'panel_shell.html'), 'utf8');
const pageScript = fs.readFileSync(path.join(here, 'participant.js'), 'utf8');

function nameOf(participant) {
  return participant.display_name || participant.participant_id;
}

function participantPage(visit, participant, nonce, token) {
  const others = visit.participants.filter((other) => other !== participant);
  const config = {
    janus: visit.janusUrl,
    room: visit.roomValue,
    feed: visit.stringIds ? String(participant.feed) : participant.feed,
    display: nameOf(participant),
    role: participant.role,
    token,
    panelShell: '/panel-shell',
    camera: visit.camera,
    // Names for the other participants' video tiles, by their publisher id.
    names: Object.fromEntries(others.map((other) => [String(other.feed), nameOf(other)])),
  };
  const clinicianButtons = participant.role === 'clinician'
    ? '<button type="button" id="end-session" disabled>End session</button>\n' : '';
  return fill(pageTemplate, {
    NONCE: nonce,
    NAME: escapeHtml(nameOf(participant)),
    ROLE: escapeHtml(roleWords[participant.role] || participant.role),
    ROLE_ID: escapeHtml(participant.role),
    WITH: escapeHtml(others.map(nameOf).join(', ')),
    CONFIG: scriptJson(config),
    CLINICIAN_BUTTONS: clinicianButtons,
  });
}

function startPage(visit, nonce) {
  const rows = visit.participants.map((participant) => `<li><a href="${escapeHtml(participant.url)}" target="_blank">`
    + `${escapeHtml(nameOf(participant))}</a> (${escapeHtml(roleWords[participant.role] || participant.role)})</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Video visit ${escapeHtml(visit.session.session_id)}: pages</title>
<style nonce="${nonce}">
  body { font: 1rem/1.5 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f4f5f7; }
  header { padding: .75rem 1rem; background: #23395d; color: #fff; }
  h1 { font-size: 1.2rem; margin: 0; }
  main { padding: 1rem; max-width: 40rem; }
  a { color: #0b4f9c; }
  li { margin: .5rem 0; }
</style>
</head>
<body>
<header><h1>Video visit ${escapeHtml(visit.session.session_id)}</h1></header>
<main>
<p>The demo backend, a stand-in for the telehealth application, signed a token for each
participant of VideoRoom room ${escapeHtml(String(visit.room))}. Open each page in its own
browser window (each address carries that participant's own key):</p>
<ul>
${rows}
</ul>
</main>
</body>
</html>
`;
}

function pageSecurityPolicy(nonce, janusOrigin) {
  const quoted = `'nonce-${nonce}'`;
  return `default-src 'none'; script-src ${quoted}; style-src ${quoted}; connect-src ${janusOrigin}; `
    + "frame-src 'self'; img-src 'self' data:; media-src 'self' blob:; base-uri 'none'; "
    + "form-action 'none'; frame-ancestors 'none'";
}

function keyMatches(given, expected) {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// ---------------------------------------------------------------------------------------
// The server.

function send(response, status, headers, body) {
  response.writeHead(status, {
    'X-Content-Type-Options': 'nosniff',
    // The addresses carry keys: no page sends its own as a Referer (to Janus, say).
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  response.end(body);
}

function refuse(response, status, text) {
  send(response, status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, `${text}\n`);
}

// options: { janusUrl, tokenSecretFile, session (a scenario session: session_id,
//   appointment_kind, start_time, encounter_reference, participants), room (default:
//   random), port (default 0), tokenLifetimeSeconds (default 120), videoroomAdminKey,
//   stringIds (the VideoRoom's string_ids), camera (default true; false: the pages join
//   without publishing camera and microphone), log (a function, default none) }
export async function startDemo(options) {
  const log = options.log || (() => {});
  const janusUrl = options.janusUrl.replace(/\/+$/, '');
  const secret = readTokenSecret(options.tokenSecretFile);
  const lifetime = options.tokenLifetimeSeconds ?? 120;
  const stringIds = Boolean(options.stringIds);
  const session = options.session;
  if (!session?.session_id || !Array.isArray(session.participants) || session.participants.length < 2) {
    throw new Error('the session needs a session_id and at least two participants');
  }

  // Publisher ids and keys are the backend's to assign; random, so that a page of an
  // earlier run cannot stand in for one of this run.
  const randomId = () => 100000 + crypto.randomInt(900000000);
  const room = options.room ?? randomId();
  const visit = {
    session,
    room,
    roomValue: stringIds ? String(room) : Number(room),
    stringIds,
    janusUrl,
    camera: options.camera !== false,
    startKey: crypto.randomBytes(32).toString('hex'),
    participants: session.participants.map((participant) => ({
      ...participant, feed: randomId(), key: crypto.randomBytes(32).toString('hex'),
    })),
  };

  // The room, created here rather than by the first page: the backend is what knows the
  // appointment and vouches for who may join it, so it also decides that the room exists
  // and with which settings; the pages need no right to create rooms, and the room's
  // secret (which destroying or editing it needs) never reaches a browser.
  const roomSecret = crypto.randomBytes(16).toString('hex');
  const create = {
    request: 'create', room: visit.roomValue, description: `Video visit ${session.session_id}`,
    secret: roomSecret, is_private: true, publishers: Math.max(2, visit.participants.length),
    audiocodec: 'opus', videocodec: 'vp8',
  };
  if (options.videoroomAdminKey) create.admin_key = options.videoroomAdminKey;
  const roomCreated = performance.now();
  await videoroomRequest(janusUrl, create);
  log(`created room ${room} in ${Math.round(performance.now() - roomCreated)} ms`);

  const janusOrigin = new URL(janusUrl).origin;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      refuse(response, 405, 'method not allowed');
      return;
    }
    if (url.pathname === '/') {
      if (!url.searchParams.has('key')) {
        refuse(response, 200, 'The demo backend. Open the addresses it printed when it started.');
        return;
      }
      if (!keyMatches(url.searchParams.get('key'), visit.startKey)) {
        refuse(response, 403, 'forbidden');
        return;
      }
      const nonce = crypto.randomBytes(16).toString('hex');
      send(response, 200, {
        'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store',
        'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      }, startPage(visit, nonce));
      return;
    }
    const page = /^\/visit\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (page) {
      const participant = visit.participants.find((candidate) => encodeURIComponent(session.session_id) === page[1]
        && encodeURIComponent(candidate.participant_id) === page[2]);
      if (!participant || !keyMatches(url.searchParams.get('key'), participant.key)) {
        refuse(response, participant ? 403 : 404, participant ? 'forbidden' : 'not found');
        return;
      }
      // A fresh token for every page load: short-lived, and a reload gets a new one.
      const token = signToken(secret, tokenPayload(visit, participant, lifetime));
      const nonce = crypto.randomBytes(16).toString('hex');
      send(response, 200, {
        'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store',
        'Content-Security-Policy': pageSecurityPolicy(nonce, janusOrigin),
      }, participantPage(visit, participant, nonce, token));
      return;
    }
    if (url.pathname === '/panel-shell') {
      send(response, 200, {
        'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache',
        'Content-Security-Policy': panelSecurityPolicy,
      }, shellDocument);
      return;
    }
    if (url.pathname === '/js/participant.js') {
      send(response, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }, pageScript);
      return;
    }
    if (packagedScripts[url.pathname]) {
      fs.readFile(packagedScripts[url.pathname], (error, content) => {
        if (error) {
          refuse(response, 500, `${packagedScripts[url.pathname]}: ${error.code} (install the Debian package that holds it)`);
          return;
        }
        send(response, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' }, content);
      });
      return;
    }
    if (url.pathname === '/favicon.ico') {
      send(response, 204, {}, '');
      return;
    }
    refuse(response, 404, 'not found');
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  for (const participant of visit.participants) {
    participant.url = `${origin}/visit/${encodeURIComponent(session.session_id)}/`
      + `${encodeURIComponent(participant.participant_id)}?key=${participant.key}`;
  }

  let closed = false;
  return {
    url: origin,
    startUrl: `${origin}/?key=${visit.startKey}`,
    room,
    pages: visit.participants.map((participant) => ({
      participant: participant.participant_id, role: participant.role, feed: participant.feed, url: participant.url,
    })),
    // A token for someone of this visit, as the page would get it (for tests).
    tokenFor(participantId, overrides = {}) {
      const participant = visit.participants.find((candidate) => candidate.participant_id === participantId);
      return signToken(secret, { ...tokenPayload(visit, participant, lifetime), ...overrides });
    },
    // Destroys the room (the adapter ends the session: "the room is destroyed") unless
    // `keepRoom`, and stops serving.
    async close({ keepRoom = false } = {}) {
      if (closed) return;
      closed = true;
      if (!keepRoom) {
        await videoroomRequest(janusUrl, { request: 'destroy', room: visit.roomValue, secret: roomSecret })
          .catch((error) => log(`room ${room} was not destroyed (${error.message}): Janus may be stopping already`));
      }
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------
// The command line.

function parseArguments(argv) {
  const options = {};
  for (let index = 0; index < argv.length; ++index) {
    const argument = argv[index];
    const value = () => {
      if (index + 1 >= argv.length) throw new Error(`${argument} needs a value`);
      return argv[++index];
    };
    if (argument === '--janus') options.janusUrl = value();
    else if (argument === '--token-secret-file') options.tokenSecretFile = value();
    else if (argument === '--session-file') options.sessionFile = value();
    else if (argument === '--port') options.port = Number(value());
    else if (argument === '--room') options.room = value();
    else if (argument === '--videoroom-admin-key') options.videoroomAdminKey = value();
    else if (argument === '--string-ids') options.stringIds = true;
    else if (argument === '--no-camera') options.camera = false;
    else throw new Error(`unknown option ${argument}`);
  }
  for (const required of ['janusUrl', 'tokenSecretFile', 'sessionFile']) {
    if (!options[required]) throw new Error('usage: server.mjs --janus URL --token-secret-file FILE --session-file FILE [--port N] [--room N] [--videoroom-admin-key KEY] [--string-ids] [--no-camera]');
  }
  return options;
}

// The first session of a scenario file (tests/scenarios/*.json), or a session object.
export function readSession(file) {
  const content = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Array.isArray(content.sessions) ? content.sessions[0] : content;
}

async function main() {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`server.mjs: ${error.message}`);
    process.exit(2);
  }
  const demo = await startDemo({
    ...options,
    session: readSession(options.sessionFile),
    log: (line) => console.error(`demo: ${line}`),
  });
  console.log(`room ${demo.room}`);
  for (const page of demo.pages) console.log(`page ${page.participant} ${page.role} ${page.url}`);
  console.log(`start ${demo.startUrl}`);
  console.log(`ready ${demo.url}`);
  const stop = () => demo.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`server.mjs: ${error.message}`);
    process.exit(1);
  });
}

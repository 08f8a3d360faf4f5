// ./run bench --janus: how long Alliance's hooks take inside a real Janus, against the
// same hooks in the bench's own host, measured in the same run. A benchmark: it prints
// figures and judges nothing.
//
//   node janus_hooks.mjs --build BUILD_DIRECTORY [--rooms 200] [--gap-ms 20]
//
// Janus: rooms arrive one after another, --gap-ms apart, so that each finds the plugin's
// worker asleep, as a clinic's sessions do (a clinician and a client join the VideoRoom
// and register on their Alliance handles; the ORS opens; the clinician ends the
// session; both leave). The adapter times each hook call on its host thread, as the
// bench does (steady clock, from the call to its return), and the Admin API gives the
// figures (docs/janus.md, "Hook times").
// Baseline: hook_latency idle (tests/benchmarks/hook_latency.cpp) in the same run, with
// as many arrivals: session_started and participant_joined called by a bare host after
// 3 ms of sleep, and a bare mutex and condition-variable hand-off timed the same way.
// The FHIR server is down in both (delivery on, nothing listening), so that delivery's
// retries are the same background in both.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  adminMessagePlugin, createSession, makeToken, startJanus, writeTokenSecret,
} from '../janus/janus_server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: {
    build: { type: 'string' },
    rooms: { type: 'string', default: '200' },
    'gap-ms': { type: 'string', default: '20' },
  },
});
const rooms = Number(values.rooms);
const gapMs = Number(values['gap-ms']);
if (!values.build || !Number.isInteger(rooms) || rooms < 1 || rooms > 10000 || !(gapMs >= 0 && gapMs <= 1000)) {
  console.error('usage: node janus_hooks.mjs --build BUILD_DIRECTORY [--rooms 1..10000] [--gap-ms 0..1000]');
  process.exit(2);
}
const build = path.resolve(values.build);
const work = path.join(build, 'bench', 'janus');
const questionnaires = path.join(root, 'fhir', 'questionnaires');
const certificates = path.join(build, 'test-certificates');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function required(file, what) {
  if (!fs.existsSync(file)) {
    console.error(`janus_hooks: ${what} is missing (${file}); build with ./run bench --janus`);
    process.exit(1);
  }
  return file;
}
const adapter = required(path.join(build, 'sdk-stubs/janus-host/libjanus_alliance.so'), 'the Janus adapter');
const events = required(path.join(build, 'sdk-stubs/janus-host/libjanus_alliance_events.so'), 'its event handler');
const plugin = required(path.join(build, 'plugin/liballiance.so'), 'the plugin');
const hookLatency = required(path.join(build, 'tests/benchmarks/hook_latency'), 'hook_latency');
spawnSync(path.join(root, 'tests/certificates/make_test_certificates.sh'), [certificates], { stdio: 'ignore' });

// Alliance as in the bench's idle mode: its own store, the FHIR server down (port 9).
function allianceConfiguration(folder) {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const keyFile = path.join(folder, 'store.key');
  fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const file = path.join(folder, 'alliance.json');
  fs.writeFileSync(file, JSON.stringify({
    store: { path: path.join(folder, 'state', 'alliance.db'), key_file: keyFile },
    measures: { questionnaire_folder: questionnaires },
    fhir: { base_url: 'https://localhost:9/fhir/R4', ca_file: path.join(certificates, 'ca.pem') },
    log_level: 'warning',
  }, null, 2));
  return file;
}

// One room, start to end; the hooks it makes Alliance take: session_started (two
// participants), panel_closed and session_ended.
async function oneRoom(janus, secret, index) {
  const room = 70000 + index;
  const expires = Math.floor(Date.now() / 1000) + 120;
  const token = (feed, participant, role, extra = {}) => makeToken(secret, {
    version: 1, room: String(room), feed: String(feed), session: `bench-${index}`, participant, role, expires, ...extra,
  });
  const clinician = await createSession(janus.httpUrl, { name: 'clinician' });
  const client = await createSession(janus.httpUrl, { name: 'client' });
  try {
    const clinicianRoom = await clinician.attach('janus.plugin.videoroom');
    await clinicianRoom.message({ request: 'create', room });
    await clinicianRoom.message({ request: 'join', ptype: 'publisher', room, id: 11, display: 'T' });
    const clinicianAlliance = await clinician.attach('janus.plugin.alliance');
    await clinicianAlliance.message({ request: 'register', token: token(11, 'pr-bench', 'clinician') }, { wait: false });
    const clientRoom = await client.attach('janus.plugin.videoroom');
    await clientRoom.message({ request: 'join', ptype: 'publisher', room, id: 22, display: 'C' });
    const clientAlliance = await client.attach('janus.plugin.alliance');
    await clientAlliance.message({ request: 'register', token: token(22, 'pat-bench', 'client', { age_years: 30 }) },
      { wait: false });
    await clientAlliance.waitFor((entry) => entry.data?.alliance === 'panel_open');
    const from = clientAlliance.events.length;
    await clinicianAlliance.message({ request: 'end_session' }, { wait: false });
    await clientAlliance.waitFor((entry) => entry.data?.alliance === 'session' && entry.data.state === 'ended', 10000, from);
  } finally {
    await client.destroy();
    await clinician.destroy();
  }
}

function summary(name, janusFigure, benchFigure) {
  const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  return `  ${name.padEnd(20)} Janus p50 ${janusFigure.median_us.toFixed(1)} us, p99 ${janusFigure.p99_us.toFixed(1)} us, ` +
    `max ${janusFigure.max_us.toFixed(1)} us (${janusFigure.count}); bench host p50 ${benchFigure.p50.toFixed(1)} us, ` +
    `p99 ${benchFigure.p99.toFixed(1)} us; ratio p50 ${ratio(janusFigure.median_us, benchFigure.p50)}, ` +
    `p99 ${ratio(janusFigure.p99_us, benchFigure.p99)}\n` +
    `  ${''.padEnd(20)} of which the host thread's own CPU: p50 ${janusFigure.cpu_median_us.toFixed(1)} us, ` +
    `p99 ${janusFigure.cpu_p99_us.toFixed(1)} us, max ${janusFigure.cpu_max_us.toFixed(1)} us`;
}

const started = Date.now();
fs.mkdirSync(work, { recursive: true });
const secretFile = path.join(work, 'token.secret');
const secret = writeTokenSecret(secretFile);
const janus = await startJanus({
  work, adapter, events, alliance: plugin, allianceConfig: allianceConfiguration(path.join(work, 'alliance')),
  tokenSecretFile: secretFile,
});
let hooks;
try {
  for (let index = 0; index < rooms; ++index) {
    await oneRoom(janus, secret, index);
    if (gapMs > 0) await sleep(gapMs);
  }
  hooks = (await adminMessagePlugin(janus, 'janus.plugin.alliance', { request: 'hook_times' })).hooks;
} finally {
  await janus.stop();
}

// The baseline, in the same run: the bench's idle arrivals against a bare host.
const idleFolder = path.join(work, 'idle');
fs.rmSync(idleFolder, { recursive: true, force: true });
const idle = spawnSync(hookLatency, [
  'idle', '--plugin', plugin, '--questionnaires', questionnaires, '--folder', idleFolder,
  '--arrivals', String(rooms), '--fhir-port', '9', '--ca', path.join(certificates, 'ca.pem'),
], { encoding: 'utf8', timeout: 600000 });
const figuresLine = (idle.stdout || '').split('\n').find((line) => line.startsWith('figures '));
if (idle.status !== 0 || !figuresLine) {
  console.error(`janus_hooks: hook_latency idle failed:\n${idle.stdout}\n${idle.stderr}`);
  process.exit(1);
}
const bench = JSON.parse(figuresLine.slice('figures '.length));

console.log(`Alliance's hooks inside Janus: ${rooms} rooms, ${gapMs} ms apart (a clinician and a client each; the ORS ` +
  'opens, the clinician ends the session), the FHIR server down');
console.log(summary('session_started', hooks.session_started, bench.session_started_us));
for (const name of ['panel_closed', 'session_ended', 'participant_left']) {
  const figure = hooks[name];
  if (figure) {
    console.log(`  ${name.padEnd(20)} Janus p50 ${figure.median_us.toFixed(1)} us, p99 ${figure.p99_us.toFixed(1)} us, ` +
      `max ${figure.max_us.toFixed(1)} us (${figure.count}); own CPU p50 ${figure.cpu_median_us.toFixed(1)} us, ` +
      `p99 ${figure.cpu_p99_us.toFixed(1)} us`);
  }
}
console.log(`  baseline (bench host, same run): bare mutex + condition_variable hand-off p50 ` +
  `${bench.bare_hand_off_us.p50.toFixed(1)} us, p99 ${bench.bare_hand_off_us.p99.toFixed(1)} us; session_started ` +
  `there p50 ${bench.session_started_us.p50.toFixed(1)} us, participant_joined p50 ${bench.participant_joined_us.p50.toFixed(1)} us`);
console.log(`  wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`figures ${JSON.stringify({ mode: 'janus_hooks', rooms, gap_ms: gapMs, janus: hooks, bench })}`);

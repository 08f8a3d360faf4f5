// The soak: one host process (soak_host) runs sessions continuously against the test
// FHIR server while faults come and go at random; after each fault clears, the
// invariants are checked. See README.md in this folder.
//
//   node soak.mjs --build BUILD_DIRECTORY [--seconds 1800 | --minutes 30] [--seed N]
//                 [--output DIRECTORY] [--pace-ms 200] [--faults KIND,KIND...]
//
// --faults limits the faults to those kinds (default: all; see faultKinds below).
//
// Invariants, each checked after every fault clears (and once more at the end):
//   exactly once      every administration the client was told is "saved" is on the
//                     server exactly once (QuestionnaireResponse by encounter and
//                     questionnaire; QuestionnaireResponse and Observation identifiers
//                     unique, checked over the whole server every few faults and at the end)
//   delivery resumes  what was saved before the fault cleared is on the server within
//                     the backoff bound after it cleared
//   shutdown bound    shutdown(timeout) returns within the timeout (plus a little slack)
//   memory flat       the host's resident memory does not grow with the sessions it ran
//   never stuck       every hook's effect (a panel, a "saved" or an error) comes
//   host alive        the host exits only when the soak kills or stops it
// Exits 0 when nothing was violated, 1 otherwise, 2 when the soak could not run.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

import { connect } from '../fhir-server/client.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: {
    build: { type: 'string' },
    seconds: { type: 'string' },
    minutes: { type: 'string' },
    seed: { type: 'string' },
    output: { type: 'string' },
    'pace-ms': { type: 'string', default: '200' },
    faults: { type: 'string' },
  },
});
if (!values.build) {
  console.error('usage: node soak.mjs --build BUILD_DIRECTORY [--seconds N | --minutes N] [--seed N] ' +
    '[--output DIRECTORY] [--pace-ms MS] [--faults KIND,KIND...]');
  process.exit(2);
}
const build = path.resolve(values.build);
const plannedSeconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? 30) * 60;
const paceMs = Number(values['pace-ms']);
if (!(plannedSeconds >= 10 && plannedSeconds <= 7 * 24 * 3600) || !(paceMs >= 10 && paceMs <= 60000)) {
  console.error('soak: the duration must be from 10 s to a week, --pace-ms from 10 to 60000');
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : crypto.randomInt(1, 2 ** 31);
const output = path.resolve(values.output ?? path.join(build, 'soak'));

// The plugin's delivery settings, and the bounds the invariants hold them to.
const settings = { timeoutSeconds: 2, retryInitialSeconds: 1, retryMaximumSeconds: 4, storeCheckSeconds: 5 };
// After a fault clears: the longest back-off, one push that may still be waiting out
// its timeouts, a second push, and slack for a loaded machine.
const deliveryBoundMs = (settings.retryMaximumSeconds + 4 * settings.timeoutSeconds + 8) * 1000;
const shutdownTimeoutMs = 3000;
const shutdownSlackMs = 1000;
const stuckLimitMs = 30_000;  // soak_host's own limit for any answer from the plugin
const patients = 8;

// --- A seeded random source (mulberry32): the seed printed replays the same choices. ---
let state = seed;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let value = state;
  value = Math.imul(value ^ (value >>> 15), value | 1);
  value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
  return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
}
const between = (low, high) => low + random() * (high - low);
const pick = (choices) => choices[Math.floor(random() * choices.length)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();
const seconds = (ms) => (ms / 1000).toFixed(1);

// --- What was seen, and what went wrong. ---
const saved = new Map();        // "n MEASURE" -> { at: ms since start, onServer: bool }
const violations = [];
const faultCounts = {};
const deliveryDelays = [];      // ms from a fault clearing to its backlog on the server
const shutdownTimes = [];       // ms each shutdown(timeout) took
const lifetimes = [];           // per host process: { pid, rss: [[ms, KiB]], sessions }
let refusals = 0;
let sessionsStarted = 0;
let nextSession = 0;
const startedAt = now();
const elapsed = () => now() - startedAt;

function violation(invariant, detail) {
  const line = `${seconds(elapsed())} s ${invariant}: ${detail}`;
  violations.push({ invariant, detail, at_seconds: Number(seconds(elapsed())) });
  console.log(`soak: VIOLATION ${line}`);
}
function note(text) {
  console.log(`soak: ${seconds(elapsed())} s ${text}`);
}

// --- Preparation: the server, the clients and encounters it knows, the plugin's files. ---
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, ...options });
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} failed (${result.status ?? result.signal}): ${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

const builtHost = path.join(build, 'tests/soak/soak_host');
const builtPlugin = path.join(build, 'plugin/liballiance.so');
for (const file of [builtHost, builtPlugin]) {
  if (!fs.existsSync(file)) {
    console.error(`soak: ${file} is missing; build soak_host (and the plugin) first`);
    process.exit(2);
  }
}
fs.rmSync(output, { recursive: true, force: true });
fs.mkdirSync(path.join(output, 'state'), { recursive: true });
// Certificates of its own, so that the soak needs no other test before it (it is the
// longest of the shipped preset, and CTest starts it first when nothing holds it back).
const certificates = path.join(output, 'certificates');
run(path.join(root, 'tests/certificates/make_test_certificates.sh'), [certificates]);
const caFile = path.join(certificates, 'ca.pem');
// Every host of the run uses these copies: one build throughout, even if the tree is
// rebuilt meanwhile.
const hostProgram = path.join(output, 'soak_host');
const pluginFile = path.join(output, 'liballiance.so');
fs.copyFileSync(builtHost, hostProgram);
fs.copyFileSync(builtPlugin, pluginFile);
fs.chmodSync(hostProgram, 0o755);
const serverFolder = path.join(output, 'fhir-server');
run(path.join(root, 'tests/fhir-server/start.sh'), [certificates, serverFolder], { env: { ...process.env } });
const server = connect({ portFile: path.join(serverFolder, 'fhir-server.port'), caFile });
const storeFile = path.join(output, 'state', 'alliance.db');
const keyFile = path.join(output, 'store.key');
fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
const configurationFile = path.join(output, 'alliance.json');
fs.writeFileSync(configurationFile, `${JSON.stringify({
  store: { path: storeFile, key_file: keyFile },
  measures: { questionnaire_folder: path.join(root, 'fhir/questionnaires') },
  fhir: {
    base_url: `https://localhost:${server.port}/fhir/R4`,
    ca_file: caFile,
    timeout_seconds: settings.timeoutSeconds,
    retry_initial_seconds: settings.retryInitialSeconds,
    retry_maximum_seconds: settings.retryMaximumSeconds,
    store_check_seconds: settings.storeCheckSeconds,
  },
  log_level: 'info',
}, null, 2)}\n`);

// Every session has its own Encounter, so that the server's answers can be matched to
// what the host saw; all of them exist before the first session (the server refuses
// references to resources it does not hold). PUT, so that no fault (they match POST)
// ever meets them.
const lastSession = Math.ceil((plannedSeconds * 1000) / paceMs) + 20;
async function put(reference, resource) {
  const answer = await server.request('PUT', reference, { body: resource });
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`PUT ${reference}: HTTP ${answer.status} ${answer.text}`);
}
async function seed_server() {
  for (let index = 0; index < patients; index += 1) {
    await put(`Patient/soak-p${index}`, { resourceType: 'Patient', id: `soak-p${index}` });
  }
  const ids = Array.from({ length: lastSession + 1 }, (_, index) => index);
  for (let start = 0; start < ids.length; start += 16) {
    await Promise.all(ids.slice(start, start + 16).map((index) => put(`Encounter/soak-e${index}`, {
      resourceType: 'Encounter', id: `soak-e${index}`, status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
      subject: { reference: `Patient/soak-p${index % patients}` },
    })));
  }
}

// --- The host process. ---
class Host {
  constructor({ sessions = true } = {}) {
    const first = sessions ? nextSession : lastSession + 1;  // past the last: no sessions, delivery only
    this.lifetime = { pid: 0, rss: [], sessions: 0, began: elapsed() };
    lifetimes.push(this.lifetime);
    this.startedAt = now();
    this.process = spawn(hostProgram, ['--plugin', pluginFile, '--config', configurationFile,
      '--first-session', String(first), '--last-session', String(lastSession), '--patients', String(patients),
      '--pace-ms', String(paceMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdin.on('error', () => {});  // a killed host closes its end first
    this.log = fs.createWriteStream(path.join(output, 'host.log'), { flags: 'a' });
    this.log.write(`--- host started at ${seconds(elapsed())} s, first session ${first}\n`);
    this.process.stderr.pipe(this.log, { end: false });
    this.expectingExit = false;
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => {
      if (!this.expectingExit) violation('host alive', `host ${this.lifetime.pid} exited by itself (${signal ?? `code ${code}`}); see host.log`);
      resolve({ code, signal });
    }));
    this.ready = new Promise((resolve) => { this.onReady = resolve; });
    this.shutdownLine = new Promise((resolve) => { this.onShutdown = resolve; });
    readline.createInterface({ input: this.process.stdout }).on('line', (line) => this.#read(line));
  }

  #read(line) {
    const words = line.split(' ');
    switch (words[0]) {
      case 'ready':
        this.lifetime.pid = Number(words[1].split('=')[1]);
        this.onReady();
        break;
      case 'started': {
        const session = Number(words[1]);
        sessionsStarted += 1;
        this.lifetime.sessions += 1;
        nextSession = Math.max(nextSession, session + 1);
        break;
      }
      case 'saved': {
        const key = `${words[1]} ${words[2]}`;
        if (saved.has(key)) violation('exactly once', `the host was told ${key} was saved twice`);
        else saved.set(key, { at: elapsed(), onServer: false });
        break;
      }
      case 'refused':
        refusals += 1;
        break;
      case 'stuck':
        violation('never stuck', `session ${words[1]}: no answer from the plugin for ${words[2]} within ${stuckLimitMs / 1000} s`);
        break;
      case 'rss':
        this.lifetime.rss.push([now() - this.startedAt, Number(words[1])]);
        break;
      case 'shutdown': {
        const fields = Object.fromEntries(words.slice(1).map((word) => word.split('=')));
        this.onShutdown({ status: Number(fields.status), elapsedMs: Number(fields.elapsed_ms) });
        break;
      }
      default:
        this.log.write(`(unexpected output) ${line}\n`);
    }
  }

  command(text) {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.stdin.write(`${text}\n`);
  }

  async kill() {
    this.expectingExit = true;
    this.process.kill('SIGKILL');
    await this.exited;
    this.log.write(`--- host killed (SIGKILL) at ${seconds(elapsed())} s\n`);
  }

  // shutdown(timeout) through the host; checks its bound. Kills the host if it hangs.
  async stop(why) {
    this.expectingExit = true;
    this.command(`stop ${shutdownTimeoutMs}`);
    const limit = shutdownTimeoutMs + shutdownSlackMs;
    const answer = await Promise.race([this.shutdownLine, this.exited.then(() => null),
      sleep(limit + 10_000).then(() => undefined)]);
    if (answer === null) {
      violation('host alive', `${why}: the host exited without finishing shutdown; see host.log`);
      return;
    }
    if (answer === undefined) {
      violation('shutdown bound', `${why}: shutdown(${shutdownTimeoutMs} ms) had not returned after ${seconds(limit + 10_000)} s; host killed`);
      await this.kill();
      return;
    }
    shutdownTimes.push(answer.elapsedMs);
    if (answer.elapsedMs > limit) {
      violation('shutdown bound', `${why}: shutdown(${shutdownTimeoutMs} ms) took ${answer.elapsedMs} ms`);
    }
    const exit = await Promise.race([this.exited, sleep(5000).then(() => undefined)]);
    if (exit === undefined) {
      violation('shutdown bound', `${why}: the host did not exit 5 s after shutdown returned; killed`);
      await this.kill();
    }
  }
}

async function startHost(options) {
  const host = new Host(options);
  const ready = await Promise.race([host.ready.then(() => true), host.exited.then(() => false), sleep(30_000).then(() => false)]);
  if (!ready) throw new Error('soak_host did not start: see host.log');
  return host;
}

// --- What the server holds. ---

// QuestionnaireResponses of the given sessions: "n MEASURE" -> how many.
async function responsesOf(sessionNumbers) {
  const counts = new Map();
  for (let start = 0; start < sessionNumbers.length; start += 40) {
    const encounters = sessionNumbers.slice(start, start + 40).map((n) => `Encounter/soak-e${n}`).join(',');
    const answer = await server.request('GET', `QuestionnaireResponse?encounter=${encounters}&_count=1000`);
    if (answer.status !== 200) throw new Error(`searching QuestionnaireResponse: HTTP ${answer.status}`);
    for (const entry of answer.body.entry ?? []) countResponse(counts, entry.resource);
  }
  return counts;
}

function countResponse(counts, resource) {
  const session = /^Encounter\/soak-e(\d+)$/.exec(resource.encounter?.reference ?? '')?.[1];
  const measure = /\/Questionnaire\/([a-z]+)/.exec(resource.questionnaire ?? '')?.[1]?.toUpperCase();
  if (session === undefined || measure === undefined) return;
  const key = `${session} ${measure}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

async function everything(type) {
  const resources = [];
  for (let offset = 0; ; offset += 1000) {
    const answer = await server.request('GET', `${type}?_count=1000&_offset=${offset}`);
    if (answer.status !== 200) throw new Error(`reading every ${type}: HTTP ${answer.status}`);
    const entries = answer.body.entry ?? [];
    resources.push(...entries.map((entry) => entry.resource));
    if (entries.length < 1000) return resources;
  }
}

// The whole server: no administration twice, by session and measure or by identifier.
async function checkWholeServer(when) {
  const responses = await everything('QuestionnaireResponse');
  const counts = new Map();
  for (const resource of responses) countResponse(counts, resource);
  const twice = [...counts].filter(([, count]) => count > 1);
  if (twice.length > 0) {
    violation('exactly once', `${when}: ${twice.length} administrations are on the server more than once ` +
      `(e.g. session ${twice[0][0]} x${twice[0][1]})`);
  }
  for (const [type, list] of [['QuestionnaireResponse', responses], ['Observation', await everything('Observation')]]) {
    const identifiers = new Map();
    for (const resource of list) {
      for (const identifier of [resource.identifier ?? []].flat()) {  // one in a QuestionnaireResponse, a list in an Observation
        const key = `${identifier.system}|${identifier.value}`;
        identifiers.set(key, (identifiers.get(key) ?? 0) + 1);
      }
    }
    const repeated = [...identifiers.values()].filter((count) => count > 1).length;
    if (repeated > 0) violation('exactly once', `${when}: ${repeated} ${type} identifiers occur more than once`);
  }
  return responses.length;
}

// Waits until every administration saved before `clearedAt` is on the server; true if
// within the bound. Marks what it finds; a count other than one is a violation.
async function waitForDelivery(clearedAt, what) {
  const deadline = clearedAt + deliveryBoundMs;
  while (true) {
    const due = [...saved].filter(([, record]) => !record.onServer && record.at <= clearedAt - startedAt)
      .map(([key]) => key);
    if (due.length === 0) {
      deliveryDelays.push(Math.max(0, now() - clearedAt));
      return true;
    }
    const counts = await responsesOf([...new Set(due.map((key) => Number(key.split(' ')[0])))]);
    for (const key of due) {
      const count = counts.get(key) ?? 0;
      if (count >= 1) saved.get(key).onServer = true;
      if (count > 1) violation('exactly once', `${what}: ${key} is on the server ${count} times`);
    }
    if (due.every((key) => saved.get(key).onServer)) continue;
    if (now() >= deadline) {
      const missing = due.filter((key) => !saved.get(key).onServer);
      violation('delivery resumes', `${what}: ${missing.length} saved administrations still not on the server ` +
        `${seconds(now() - clearedAt)} s after the fault cleared (bound ${seconds(deliveryBoundMs)} s; e.g. ${missing[0]})`);
      return false;
    }
    await sleep(500);
  }
}

// --- The faults. Each applies itself, lasts a while, clears, and returns the host in
// use afterwards (a new one when it stopped or killed the old). ---
async function setPlan(faults) {
  const answer = await server.request('POST', '/_test/faults', { body: { faults } });
  if (answer.status !== 200) throw new Error(`setting the fault plan: HTTP ${answer.status} ${answer.text}`);
}
const clearPlan = () => server.request('DELETE', '/_test/faults');
const onPosts = { method: 'POST' };
const endless = 1_000_000;

async function serverFault(host, faults) {
  await setPlan(faults);
  await sleep(between(2000, 6000));
  await clearPlan();
  return host;
}

// sqlite3 takes the store's write lock (BEGIN IMMEDIATE) and keeps it until release().
async function holdStoreLock() {
  const holder = spawn('sqlite3', [storeFile], { stdio: ['pipe', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => holder.on('exit', resolve));
  // Waits for the lock as long as the plugin might hold it, then keeps it.
  holder.stdin.write('.timeout 5000\nBEGIN IMMEDIATE;\n');
  let locked = false;
  for (let attempt = 0; attempt < 40 && !locked; attempt += 1) {
    await sleep(50);
    const probe = spawnSync('sqlite3', [storeFile, 'BEGIN IMMEDIATE; ROLLBACK;'], { encoding: 'utf8' });
    locked = /locked|busy/i.test(probe.stderr ?? '');
  }
  if (!locked) note('store_locked: could not confirm that the lock was taken');
  return {
    release: async () => {
      holder.stdin.end('ROLLBACK;\n');
      await exited;
    },
  };
}

const faultKinds = {
  server_5xx: (host) => serverFault(host, [{ kind: 'status', status: pick([500, 502, 503]), count: endless, match: onPosts }]),
  reset: (host) => serverFault(host, [{ kind: 'reset_mid_response', count: endless, match: onPosts }]),
  hang: (host) => serverFault(host, [{ kind: 'hang', count: endless, match: onPosts }]),
  lost_answer: (host) => serverFault(host, [{ kind: 'close_before_response', count: endless, match: onPosts }]),
  // Half the time the host restarts into the fault, so that its Questionnaire checks
  // (conditional creates, once per process) meet it too, not only the transactions.
  malformed: async (host) => {
    await setPlan([
      { kind: 'malformed', count: 2, match: { method: 'POST', path_prefix: '/fhir/R4/Questionnaire' } },
      { kind: 'malformed', count: Math.ceil(between(1, 4)), match: onPosts },
    ]);
    let current = host;
    if (random() < 0.5) {
      await host.stop('a restart into malformed answers');
      current = await startHost();
    }
    await sleep(between(2000, 6000));
    await clearPlan();
    return current;
  },

  // Another process holds the store's write lock while pushes are answered: a backlog
  // is built first (the server answers 503), then the lock is taken and the server
  // recovers, so that deliveries finish while their results cannot be written.
  store_locked: async (host) => {
    host.command('resume');
    await setPlan([{ kind: 'status', status: 503, count: endless, match: onPosts }]);
    await sleep(between(1500, 3000));
    host.command('pause');
    await sleep(1000);  // the session under way finishes
    const held = await holdStoreLock();
    await clearPlan();
    await sleep(between(2000, 8000));
    await held.release();
    return host;
  },

  // Another process holds the store's write lock for seconds, with no backlog.
  store_locked_idle: async (host) => {
    const held = await holdStoreLock();
    await sleep(between(2000, 8000));
    await held.release();
    return host;
  },

  // Every name lookup waits; connections are dropped so that new ones must look up.
  // Half the time the host is shut down during the stall: shutdown must keep its bound.
  dns_stall: async (host) => {
    host.command('dns-stall on');
    await setPlan([{ kind: 'close_before_response', count: 4, match: onPosts }]);
    await sleep(between(2000, 6000));
    await clearPlan();
    if (random() < 0.5) {
      await host.stop('shutdown while name lookups stall');
      return startHost();
    }
    host.command('dns-stall off');
    return host;
  },

  host_killed: async (host) => {
    await host.kill();
    return startHost();
  },

  host_restarted: async (host) => {
    await host.stop('an orderly restart');
    return startHost();
  },
};
const kindNames = values.faults ? values.faults.split(',') : Object.keys(faultKinds);
for (const kind of kindNames) {
  if (!faultKinds[kind]) {
    console.error(`soak: unknown fault kind ${kind}; known: ${Object.keys(faultKinds).join(', ')}`);
    process.exit(2);
  }
}

// Resident memory: within a host that lived long enough, the last 20 s against the 20 s
// after its first 10 s; across hosts, the first 20 s of the later ones against the earlier.
function memoryVerdicts() {
  const median = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
  };
  const grew = (before, after) => after - before > Math.max(8 * 1024, before * 0.25);
  const lines = [];
  for (const lifetime of lifetimes) {
    const samples = lifetime.rss;
    if (samples.length < 2 || samples.at(-1)[0] < 60_000) continue;
    const early = median(samples.filter(([at]) => at >= 10_000 && at < 30_000).map(([, kib]) => kib));
    const late = median(samples.filter(([at]) => at >= samples.at(-1)[0] - 20_000).map(([, kib]) => kib));
    lines.push(`host ${lifetime.pid} (${seconds(samples.at(-1)[0])} s, ${lifetime.sessions} sessions): ` +
      `${(early / 1024).toFixed(1)} MiB at 10-30 s, ${(late / 1024).toFixed(1)} MiB in its last 20 s`);
    if (grew(early, late)) {
      violation('memory flat', `host ${lifetime.pid} grew from ${(early / 1024).toFixed(1)} to ${(late / 1024).toFixed(1)} MiB`);
    }
  }
  const young = lifetimes.map((lifetime) => lifetime.rss.filter(([at]) => at < 20_000).map(([, kib]) => kib))
    .filter((list) => list.length > 0).map(median);
  if (young.length >= 4) {
    const third = Math.floor(young.length / 3);
    const before = median(young.slice(0, third));
    const after = median(young.slice(-third));
    lines.push(`first 20 s of each host: ${(before / 1024).toFixed(1)} MiB (the first third of ${young.length} hosts), ` +
      `${(after / 1024).toFixed(1)} MiB (the last third)`);
    if (grew(before, after)) violation('memory flat', `a new host starts ${((after - before) / 1024).toFixed(1)} MiB larger than early ones`);
  }
  if (lines.length === 0) lines.push('not judged: no host lived 60 s, and fewer than 4 hosts ran');
  return lines;
}

// --- The run. ---
let host;
// Ctrl-C (or a CTest timeout): no host or server is left behind.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`soak: stopped by ${signal} at ${seconds(elapsed())} s (seed ${seed}); ${violations.length} violations so far`);
    if (host) host.process.kill('SIGKILL');
    spawnSync(path.join(root, 'tests/fhir-server/stop.sh'), [serverFolder], { stdio: 'ignore' });
    process.exit(1);
  });
}
let exitCode = 0;
let checks = 0;
try {
  console.log(`soak: seed ${seed} (replay with --seed ${seed}), ${plannedSeconds} s, a session every ${paceMs} ms ` +
    `at most; delivery bound ${seconds(deliveryBoundMs)} s after a fault clears; shutdown(${shutdownTimeoutMs} ms) ` +
    `within ${shutdownTimeoutMs + shutdownSlackMs} ms; output ${output}`);
  await seed_server();
  note(`server ready on port ${server.port} with ${patients} patients and ${lastSession + 1} encounters`);
  host = await startHost();
  while (elapsed() < plannedSeconds * 1000) {
    await sleep(between(2000, 5000));
    if (elapsed() >= plannedSeconds * 1000) break;
    const kind = pick(kindNames);
    faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
    // Quiet: no new session starts until the check is done, so that only delivery's own
    // timers can bring the backlog out (a new result would wake a stalled delivery).
    const quiet = kind === 'store_locked' || random() < 0.3;
    note(`fault ${kind}${quiet ? ' (quiet: no new sessions until it is checked)' : ''}`);
    if (quiet) host.command('pause');
    host = await faultKinds[kind](host);
    const clearedAt = now();
    checks += 1;
    const resumed = await waitForDelivery(clearedAt, `after ${kind}${quiet ? ', quiet' : ''}`);
    host.command('resume');
    if (!resumed) {
      // Wedged in the process (or for good): a new process must deliver what is stored.
      note('killing the host to see whether a new process delivers the backlog');
      await host.kill();
      host = await startHost();
      if (await waitForDelivery(now(), `after ${kind} and a restart`)) note('a new host delivered the backlog');
    }
    if (checks % 5 === 0) await checkWholeServer(`after ${kind}`);
  }
  // The end: no new sessions; a last host delivers whatever is left, then stops.
  note('time is up: stopping the host, then a host with no sessions delivers what is left');
  await host.stop('the end of the run');
  host = await startHost({ sessions: false });
  await waitForDelivery(now(), 'at the end');
  await host.stop('the last host');
  const onServer = await checkWholeServer('at the end');
  const delivered = [...saved.values()].filter((record) => record.onServer).length;
  const memory = memoryVerdicts();
  const byMeasure = (measure) => [...saved.keys()].filter((key) => key.endsWith(` ${measure}`)).length;
  const slowest = (list) => (list.length ? Math.max(...list) : 0);
  console.log('\nsoak summary');
  console.log(`  seed ${seed}; ran ${seconds(elapsed())} s (planned ${plannedSeconds} s)`);
  console.log(`  sessions started ${sessionsStarted}; administrations saved ${saved.size} (ORS ${byMeasure('ORS')}, ` +
    `SRS ${byMeasure('SRS')}); refused and sent again ${refusals}; confirmed on the server ${delivered}; ` +
    `QuestionnaireResponses on the server ${onServer}`);
  console.log(`  host processes ${lifetimes.length - 1} running sessions, and one to deliver the rest`);
  console.log(`  faults ${Object.values(faultCounts).reduce((sum, count) => sum + count, 0)}: ` +
    kindNames.map((kind) => `${kind} ${faultCounts[kind] ?? 0}`).join(', '));
  console.log(`  delivery after a fault cleared: ${deliveryDelays.length} checks, slowest ${seconds(slowest(deliveryDelays))} s ` +
    `(bound ${seconds(deliveryBoundMs)} s)`);
  console.log(`  shutdowns: ${shutdownTimes.length}, slowest ${slowest(shutdownTimes)} ms ` +
    `(timeout ${shutdownTimeoutMs} ms, bound ${shutdownTimeoutMs + shutdownSlackMs} ms)`);
  for (const line of memory) console.log(`  resident memory: ${line}`);
  const byInvariant = {};
  for (const found of violations) byInvariant[found.invariant] = (byInvariant[found.invariant] ?? 0) + 1;
  console.log(`  invariant violations: ${violations.length}` +
    (violations.length ? ` (${Object.entries(byInvariant).map(([name, count]) => `${name} ${count}`).join(', ')})` : ''));
  for (const found of violations.slice(0, 20)) console.log(`    ${found.at_seconds} s ${found.invariant}: ${found.detail}`);
  fs.writeFileSync(path.join(output, 'summary.json'), `${JSON.stringify({
    seed, planned_seconds: plannedSeconds, seconds: Number(seconds(elapsed())), sessions: sessionsStarted,
    administrations_saved: saved.size, confirmed_on_server: delivered, refusals, faults: faultCounts,
    delivery_delays_ms: deliveryDelays.map(Math.round), shutdown_ms: shutdownTimes, memory, violations,
  }, null, 2)}\n`);
  console.log(`soak: ${violations.length === 0 ? 'PASS' : 'FAIL'} (seed ${seed}; plugin log ${path.join(output, 'host.log')})`);
  exitCode = violations.length === 0 ? 0 : 1;
} catch (error) {
  console.error(`soak: could not run: ${error.stack ?? error}`);
  exitCode = 2;
} finally {
  if (host && host.process.exitCode === null && host.process.signalCode === null) await host.kill();
  server.close();
  spawnSync(path.join(root, 'tests/fhir-server/stop.sh'), [serverFolder], { stdio: 'ignore' });
}
process.exit(exitCode);

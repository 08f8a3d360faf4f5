// ./run bench: the plugin's figures, each against a baseline measured in the same run,
// then one table. A benchmark, not a test: it prints figures and judges nothing (it
// exits non-zero only when a step could not run at all). Loopback only; every count is
// bounded and every step has a time limit.
//
//   node bench.mjs --build BUILD_DIRECTORY [--quick] [--sessions 10000]
//                  [--administrations 10000] [--submissions 2000]
//
// 1. Host hook latency and memory (hook_latency hooks): the sessions start, submit their
//    ORS and end while the FHIR server is down; p50/p99/max of each hook call, and the
//    resident memory with every session alive against the same process after init.
// 2. Durable submission (hook_latency durable): panel message to "saved", one at a
//    time, and the rate of a burst; against one raw SQLite commit on the same disk.
// 5. Idle arrival (hook_latency idle): session_started and participant_joined when the
//    plugin's worker sleeps (a few ms between hooks), against a bare mutex and
//    condition-variable hand-off to a sleeping thread timed the same way in the same loop.
// 3. Drain: the administrations left pending by 1 are delivered once the server is up
//    on the port they were aimed at (hook_latency drain), against the server's own
//    ceiling (keep-alive connections, 4 and 8, the best) and against the
//    fhir-kit-client package posting one transaction after another.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { connect } from '../fhir-server/client.mjs';
import { patientId } from './bundles.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: {
    build: { type: 'string' },
    quick: { type: 'boolean', default: false },
    sessions: { type: 'string' },
    administrations: { type: 'string' },
    submissions: { type: 'string' },
  },
});
if (!values.build) {
  console.error('usage: node bench.mjs --build BUILD_DIRECTORY [--quick] [--sessions N] ' +
    '[--administrations N] [--submissions N]');
  process.exit(2);
}
const defaults = values.quick
  ? { sessions: 1000, administrations: 1000, submissions: 300, warmUp: 1000 }
  : { sessions: 10000, administrations: 10000, submissions: 2000, warmUp: 1000 };
const count = (name) => {
  const value = Number(values[name] ?? defaults[name]);
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) {
    console.error(`bench: --${name} must be a whole number from 1 to 1000000`);
    process.exit(2);
  }
  return value;
};
const sessions = count('sessions');
const administrations = count('administrations');
const submissions = count('submissions');

const build = path.resolve(values.build);
const builtProgram = path.join(build, 'tests/benchmarks/hook_latency');
const builtPlugin = path.join(build, 'plugin/liballiance.so');
const certificates = path.join(build, 'test-certificates');
const ca = path.join(certificates, 'ca.pem');
const output = path.join(build, 'bench');
for (const [file, hint] of [[builtProgram, ' (is tests/benchmarks added to tests/CMakeLists.txt?)'], [builtPlugin, '']]) {
  if (!fs.existsSync(file)) {
    console.error(`bench: ${file} is missing; build the default preset first${hint}`);
    process.exit(1);
  }
}
const stepLimitMs = 15 * 60 * 1000;

/** Runs a step, shows its output, returns the object on its `figures {...}` line. */
function step(title, command, args, { env } = {}) {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: stepLimitMs,
    env: env ? { ...process.env, ...env } : process.env,
  });
  const lines = (result.stdout ?? '').split('\n');
  for (const line of lines) if (line && !line.startsWith('figures ')) console.log(line);
  const figures = lines.find((line) => line.startsWith('figures '));
  if (result.status !== 0 || !figures) {
    throw new Error(`${title}: ${path.basename(command)} ${result.signal ? `was stopped (${result.signal})` : `exited ${result.status}`}`);
  }
  return JSON.parse(figures.slice('figures '.length));
}

function quietly(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status})\n${result.stdout}${result.stderr}`);
}

/** A port nothing listens on now: the FHIR server is started on it later. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Other work on the same two cores moves every figure; the load average says how much.
const loadAverage = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const ratio = (value, baseline) => (baseline > 0 ? value / baseline : NaN);
const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

fs.rmSync(output, { recursive: true, force: true });
fs.mkdirSync(output, { recursive: true });
// Every step uses these copies: one build throughout, even if the tree is rebuilt meanwhile.
const program = path.join(output, 'hook_latency');
const plugin = path.join(output, 'liballiance.so');
fs.copyFileSync(builtProgram, program);
fs.copyFileSync(builtPlugin, plugin);
fs.chmodSync(program, 0o755);
quietly(path.join(root, 'tests/certificates/make_test_certificates.sh'), [certificates]);
const fhirPort = await freePort();
const common = ['--plugin', plugin, '--questionnaires', path.join(root, 'fhir/questionnaires')];
const started = performance.now();
console.log(`bench: ${sessions} sessions, ${submissions} submissions, ${administrations} administrations ` +
  `(${values.quick ? 'quick' : 'full'} run); FHIR port ${fhirPort}; output ${output}; load average ${loadAverage()}`);

// 1 (and the backlog for 3).
const hooks = step('1. host hook latency and memory',
  program, ['hooks', ...common, '--folder', path.join(output, 'hooks'), '--sessions', String(sessions),
    '--fhir-port', String(fhirPort), '--ca', ca]);
let backlog = { folder: path.join(output, 'hooks'), patients: hooks.patients };
if (administrations !== sessions) {
  const folder = path.join(output, 'backlog');
  const made = step(`   the drain's backlog: ${administrations} sessions with the FHIR server down`,
    program, ['hooks', ...common, '--folder', folder, '--sessions', String(administrations),
      '--fhir-port', String(fhirPort), '--ca', ca]);
  backlog = { folder, patients: made.patients };
}

// 2.
const durable = step('2. durable submission', program,
  ['durable', ...common, '--folder', path.join(output, 'durable'), '--submissions', String(submissions)]);

// 5. (before 3 starts the server: delivery is on and nothing is pending, so nothing dials)
const idle = step('5. idle arrival: sessions that arrive while the worker sleeps', program,
  ['idle', ...common, '--folder', path.join(output, 'idle'), '--arrivals', String(values.quick ? 500 : 2000),
    '--fhir-port', String(fhirPort), '--ca', ca]);

// 3.
const serverFolder = path.join(output, 'fhir-server');
const portFile = path.join(serverFolder, 'fhir-server.port');
let drain;
const ceilings = [];
let fhirKit;
console.log(`\n== 3. drain: starting the FHIR server on port ${fhirPort}`);
quietly(path.join(root, 'tests/fhir-server/start.sh'), [certificates, serverFolder, '--port', String(fhirPort)]);
try {
  const servedPort = Number(fs.readFileSync(portFile, 'utf8').trim());
  if (servedPort !== fhirPort) throw new Error(`the FHIR server took port ${servedPort}, not ${fhirPort}`);
  // The clients the plugin's administrations refer to.
  const server = connect({ portFile, caFile: ca });
  const patients = Array.from({ length: backlog.patients }, (_, index) => patientId(index));
  for (let index = 0; index < patients.length; index += 8) {
    await Promise.all(patients.slice(index, index + 8).map(async (id) => {
      const answer = await server.request('PUT', `Patient/${id}`, { body: { resourceType: 'Patient', id } });
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`seeding Patient/${id}: HTTP ${answer.status}`);
    }));
  }
  server.close();
  const load = (title, client, transactions, connections) => step(title, process.execPath, [
    path.join(here, 'fhir_load.mjs'), '--client', client, '--port-file', portFile, '--ca', ca,
    '--count', String(transactions), '--patients', String(backlog.patients), '--connections', String(connections)]);
  // The server's code warms up before any figure is taken.
  load('   warm-up (not a figure)', 'keep-alive', defaults.warmUp, 4);
  for (const connections of [4, 8]) {
    ceilings.push(load(`   baseline: the server's ceiling, ${connections} keep-alive connections`,
      'keep-alive', administrations, connections));
  }
  drain = step(`   the plugin drains its ${administrations} pending administrations`, program,
    ['drain', ...common, '--folder', backlog.folder, '--fhir-port', String(fhirPort), '--ca', ca]);
  fhirKit = load('   baseline: fhir-kit-client, one transaction after another', 'fhir-kit', administrations, 1);
} finally {
  quietly(path.join(root, 'tests/fhir-server/stop.sh'), [serverFolder]);
}

// The figures, each with its baseline and ratio, then the table.
const ceiling = ceilings.reduce((best, run) => (run.per_second > best.per_second ? run : best));
const memoryRatio = ratio(hooks.rss_sessions_mib, hooks.rss_baseline_mib);
const latencyRatio = ratio(durable.latency_ms.p99, durable.raw_commit_ms.p99);
const rateRatio = ratio(durable.submissions_per_second, durable.raw_commits_per_second);
const ceilingRatio = ratio(drain.per_second, ceiling.per_second);
const fhirKitRatio = ratio(drain.per_second, fhirKit.per_second);
console.log('\n== figures');
console.log(`resident memory with ${sessions} sessions: ${fixed(hooks.rss_sessions_mib, 1)} MiB; baseline after init ` +
  `${fixed(hooks.rss_baseline_mib, 1)} MiB; ratio ${fixed(memoryRatio)}`);
console.log(`submission to "saved", p99: ${fixed(durable.latency_ms.p99)} ms; baseline raw commit p99 ` +
  `${fixed(durable.raw_commit_ms.p99)} ms; ratio ${fixed(latencyRatio)}`);
console.log(`sustained submissions: ${fixed(durable.submissions_per_second, 0)}/s; baseline raw commits ` +
  `${fixed(durable.raw_commits_per_second, 0)}/s; ratio ${fixed(rateRatio)}`);
console.log(`drain: ${fixed(drain.per_second, 1)} administrations/s; server ceiling ${fixed(ceiling.per_second, 1)}/s ` +
  `(${ceilings.map((run) => `${run.connections} connections ${fixed(run.per_second, 1)}/s`).join(', ')}); ` +
  `ratio ${fixed(ceilingRatio)}`);
console.log(`drain: ${fixed(drain.per_second, 1)} administrations/s; fhir-kit-client one by one ` +
  `${fixed(fhirKit.per_second, 1)}/s; ratio ${fixed(ratio(drain.per_second, fhirKit.per_second))}`);

const us = (figures) => `${fixed(figures.p99, 1)} us (p50 ${fixed(figures.p50, 1)}, max ${fixed(figures.max, 0)})`;
const rows = [
  ['1. session_started p99', 'under 10 us', us(hooks.session_started_us)],
  ['1. panel_message p99', 'under 10 us', us(hooks.panel_message_us)],
  ['1. session_ended p99', 'under 10 us', us(hooks.session_ended_us)],
  ['1. wall time, all hooks and shutdown', '-', `${fixed(hooks.wall_seconds.total, 1)} s`],
  [`4. resident memory, ${sessions} sessions`, 'under 64 MB',
    `${fixed(hooks.rss_sessions_mib, 1)} MiB (init ${fixed(hooks.rss_baseline_mib, 1)}, x${fixed(memoryRatio)})`],
  ['2. submission to "saved" p99', '-',
    `${fixed(durable.latency_ms.p99)} ms (raw commit ${fixed(durable.raw_commit_ms.p99)}, x${fixed(latencyRatio)})`],
  ['2. sustained submissions', '-',
    `${fixed(durable.submissions_per_second, 0)}/s (raw commits ${fixed(durable.raw_commits_per_second, 0)}/s, ` +
    `x${fixed(rateRatio)})`],
  ['5. idle arrival session_started p99', 'at most the hand-off',
    `${fixed(idle.session_started_us.p99, 1)} us (hand-off ${fixed(idle.bare_hand_off_us.p99, 1)}, ` +
    `x${fixed(ratio(idle.session_started_us.p99, idle.bare_hand_off_us.p99))})`],
  ['5. idle arrival participant_joined p99', 'at most the hand-off',
    `${fixed(idle.participant_joined_us.p99, 1)} us (hand-off ${fixed(idle.bare_hand_off_us.p99, 1)}, ` +
    `x${fixed(ratio(idle.participant_joined_us.p99, idle.bare_hand_off_us.p99))})`],
  [`3. drain of ${administrations} / server ceiling`, '0.9 or more',
    `${fixed(ceilingRatio)} (${fixed(drain.per_second, 1)}/s vs ${fixed(ceiling.per_second, 1)}/s)`],
  ['3. drain / fhir-kit-client', '3 or more',
    `${fixed(fhirKitRatio)} (${fixed(drain.per_second, 1)}/s vs ${fixed(fhirKit.per_second, 1)}/s)`],
];
const widths = [0, 1, 2].map((column) => Math.max(...[['figure', 'aim', 'result'], ...rows].map((row) => row[column].length)));
const line = (row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
console.log(`\n${line(['figure', 'aim', 'result'])}`);
console.log(line(widths.map((width) => '-'.repeat(width))));
for (const row of rows) console.log(line(row));
console.log(`\nbench: done in ${fixed((performance.now() - started) / 1000, 0)} s; load average ${loadAverage()}`);

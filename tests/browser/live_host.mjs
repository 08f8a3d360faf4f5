// What the browser tests of host-sim's live pages share: the environment ctest sets,
// the test FHIR server over HTTPS, host-sim --serve with a configuration and store of
// its own, pages and panel frames, and axe-core.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const environment = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through ctest -L browser)`);
  return value;
};

export const hostSim = environment('ALLIANCE_HOST_SIM');
export const plugin = environment('ALLIANCE_PLUGIN');
export const questionnaires = environment('ALLIANCE_QUESTIONNAIRE_DIR');
export const artifacts = environment('BROWSER_ARTIFACTS');
export const work = environment('BROWSER_WORK');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const testCa = fs.readFileSync(environment('TEST_CA'));
const fhirPort = fs.readFileSync(environment('FHIR_SERVER_PORT_FILE'), 'utf8').trim();
export const fhirBase = `https://localhost:${fhirPort}/fhir/R4`;
// How long to wait for anything the host or a panel should do at once.
export const wait = 10000;
export const axeTags = ['wcag2a', 'wcag2aa', 'wcag21aa'];

export function fhir(method, relative, body) {
  return new Promise((resolve, reject) => {
    const request = https.request(`${fhirBase}/${relative}`, {
      method,
      ca: testCa,
      headers: { Accept: 'application/fhir+json', ...(body ? { 'Content-Type': 'application/fhir+json' } : {}) },
      timeout: 10000,
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: response.statusCode, body: json, text });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`${method} ${relative}: timed out`)));
    request.on('error', reject);
    if (body) request.write(JSON.stringify(body));
    request.end();
  });
}

export async function search(type, query) {
  const answer = await fhir('GET', `${type}?${query}&_count=100`);
  assert.equal(answer.status, 200, `search ${type}?${query}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  return (answer.body.entry || []).map((entry) => entry.resource);
}

// Creates or replaces `reference` ("Patient/x") on the test server.
export async function seed(reference, resource) {
  const answer = await fhir('PUT', reference, resource);
  assert.ok(answer.status === 200 || answer.status === 201,
    `seeding ${reference}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
}

// A Patient and the visit's Encounter, under ids of the caller's (the server is shared).
export async function seedClient(patientId, encounterId, name, birthDate) {
  await seed(`Patient/${patientId}`, {
    resourceType: 'Patient', id: patientId, name: [{ family: name[1], given: [name[0]] }], birthDate,
  });
  await seed(`Encounter/${encounterId}`, {
    resourceType: 'Encounter', id: encounterId, status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
    subject: { reference: `Patient/${patientId}` },
  });
}

// A configuration with its own store and key in `folder`; `extra` is merged into its
// sections ({measures: {...}}).
export function writeConfiguration(folder, extra = {}) {
  fs.mkdirSync(folder, { recursive: true });
  const keyFile = path.join(folder, 'store.key');
  fs.rmSync(keyFile, { force: true });
  fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  const configuration = {
    store: { path: path.join(folder, 'state', 'alliance.db'), key_file: keyFile },
    measures: { questionnaire_folder: questionnaires, ...(extra.measures || {}) },
    fhir: {
      base_url: fhirBase, ca_file: environment('TEST_CA'),
      timeout_seconds: 5, retry_initial_seconds: 1, retry_maximum_seconds: 2,
      ...(extra.fhir || {}),
    },
    log_level: 'info',
  };
  const file = path.join(folder, 'alliance.json');
  fs.writeFileSync(file, JSON.stringify(configuration, null, 2));
  return file;
}

export const clinician = {
  participant_id: 'clinician-kim', role: 'clinician', display_name: 'Dr. Jordan Kim',
  fhir_reference: 'Practitioner/pr-kim',
};

// Starts host-sim --serve for one session in `work`/`name`, with a configuration and
// store of its own, and resolves with { pages: {participant: {role, url}}, ready, output }
// once it prints "ready". `extra` is merged into the configuration; `hostArguments` go on
// host-sim's command line (--trace-timing: "timing <event> <µs since the epoch>" lines in
// `output`).
export function startHost(name, session, extra = {}, hostArguments = []) {
  const folder = path.join(work, name);
  fs.rmSync(folder, { recursive: true, force: true });
  const configuration = writeConfiguration(folder, extra);
  const sessionFile = path.join(folder, 'session.json');
  // A scenario file: --serve serves its first session and ignores the steps.
  fs.writeFileSync(sessionFile, JSON.stringify({ name: `browser ${name}`, sessions: [{ ...session, steps: [] }] }, null, 2));
  return serve(name, configuration, sessionFile, folder, hostArguments);
}

// host-sim --serve with a given configuration and scenario file, run in `folder` (its log
// there as host-sim.log); resolves as startHost does.
export function serve(name, configuration, sessionFile, folder, hostArguments = []) {
  const log = fs.createWriteStream(path.join(folder, 'host-sim.log'));
  const child = spawn(hostSim, ['--plugin', plugin, '--config', configuration, '--serve', sessionFile, '--port', '0',
    ...hostArguments], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
  const host = { name, child, folder, pages: {}, ready: null, exited: null, output: '' };
  child.stderr.on('data', (chunk) => { log.write(chunk); host.output += chunk; });
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`host-sim (${name}) printed no "ready" line within 20 s:\n${host.output.slice(-2000)}`)), 20000);
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      host.output += chunk;
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        const page = /^page (\S+) (\S+) (http\S+)$/.exec(line);
        if (page) host.pages[page[1]] = { role: page[2], url: page[3] };
        const ready = /^ready (http\S+)$/.exec(line);
        if (ready) {
          host.ready = ready[1];
          clearTimeout(timer);
          resolve(host);
        }
      }
    });
    child.on('exit', (code, signal) => {
      host.exited = { code, signal };
      clearTimeout(timer);
      reject(new Error(`host-sim (${name}) exited (${code ?? signal}) before it was ready:\n${host.output.slice(-2000)}`));
    });
    child.on('error', reject);
  });
}

// SIGTERM, then SIGKILL after 10 s; resolves with how it exited.
export async function stopHost(host) {
  if (host.exited) return host.exited;
  const exited = new Promise((resolve) => host.child.once('exit', (code, signal) => resolve({ code, signal })));
  host.child.kill('SIGTERM');
  const timer = setTimeout(() => host.child.kill('SIGKILL'), 10000);
  const result = await exited;
  clearTimeout(timer);
  host.exited = result;
  return result;
}

// A participant's page in a browser context of its own (a desktop window unless
// `contextOptions` say otherwise). `initScript` runs in every document of the context
// (its panels' included) before the document's own scripts.
export async function openPage(browser, url, { initScript = null, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ws-state="open"]', { timeout: wait });
  return page;
}

// The frame of the panel whose iframe matches `selector`, once it exists.
export async function panelFrame(page, selector = 'iframe.panel', timeout = wait) {
  const element = await page.waitForSelector(selector, { timeout, state: 'attached' });
  const frame = await element.contentFrame();
  assert.ok(frame, `no frame for ${selector}`);
  await frame.waitForLoadState('domcontentloaded');
  return frame;
}

// axe-core on `frame`: the report is written to the artifacts; any violation fails, or
// with `allowMinor` only serious and critical ones (the others are printed).
export async function axeCheck(frame, panel, { allowMinor = false } = {}) {
  await frame.evaluate(axeSource);
  const results = await frame.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const outcome = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return outcome.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
    }));
  }, axeTags);
  fs.writeFileSync(path.join(artifacts, `axe-${panel}.json`), JSON.stringify(results, null, 2));
  if (!allowMinor) {
    assert.deepEqual(results, [], `axe: violations on the ${panel} panel:\n${JSON.stringify(results, null, 2)}`);
    return;
  }
  const serious = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = results.filter((v) => !serious.includes(v));
  if (minor.length) console.log(`axe (${panel}): ${minor.map((v) => `${v.id} [${v.impact}]`).join(', ')} (not serious)`);
  assert.deepEqual(serious, [], `axe: serious or critical violations on the ${panel} panel:\n${JSON.stringify(serious, null, 2)}`);
}

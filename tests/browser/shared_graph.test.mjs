// The client's own graph, shown by the therapist, in a real browser: Debian's chromium
// driven by playwright-core against host-sim --serve with the built plugin.
//
//   ctest --preset default -R browser.shared_graph --output-on-failure
//
// Environment (set by tests/browser/CMakeLists.txt): as browser.test.mjs.
//
// The client, Alex, has a first session already (a scripted host-sim run on the same
// store: ORS 15.0). In the second, served live, Alex answers the ORS (22.6) with the
// keyboard; the therapist presses "Show to client"; Alex's page shows a graph with
// exactly those two scores and nothing of anyone else's, and axe-core finds no
// violation on it; screenshots at 320 and 360 px (phone emulation) and 1280 px. The
// therapist stops sharing and the graph closes; shown again, Alex closes it with its own
// button and the therapist's button follows.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { tabTo, typeValue } from './keyboard.mjs';
import * as live from './live_host.mjs';
import { artifacts, chromiumPath, environment, fhirBase, hostSim, plugin, questionnaires, seed, wait } from './live_host.mjs';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const work = path.join(live.work, 'shared-graph');

const run = `${process.pid}-${Date.now().toString(36)}`;
const patientId = `pat-shared-graph-${run}`;
const graphTitle = 'Your scores so far';
const therapistTitle = 'Alliance: client feedback';

// The scores: session 1 scripted (marks 3.1 + 4.2 + 5.3 + 2.4 = 15.0), session 2 by keys.
const firstMarks = [3.1, 4.2, 5.3, 2.4];
const secondTenths = [52, 61, 43, 70];
const expectedTotals = ['15.0', '22.6'];

const alex = {
  participant_id: 'client-alex', role: 'client', display_name: 'Alex Rivera', age_years: 35,
  preferred_language: 'en', fhir_reference: `Patient/${patientId}`,
};
const kim = {
  participant_id: 'clinician-kim', role: 'clinician', display_name: 'Dr. Jordan Kim',
  fhir_reference: 'Practitioner/pr-kim',
};

function sessionFile(name, steps, start) {
  const file = path.join(work, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({
    name: `shared graph ${name}`,
    sessions: [{
      session_id: `shared-graph-${name}-${run}`, appointment_kind: 'individual', medium: 'video',
      start_time: start, encounter_reference: `Encounter/enc-shared-graph-${run}`,
      participants: [alex, kim], steps,
    }],
  }, null, 2));
  return file;
}

function writeConfiguration() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const keyFile = path.join(work, 'store.key');
  fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const file = path.join(work, 'alliance.json');
  fs.writeFileSync(file, JSON.stringify({
    store: { path: path.join(work, 'state', 'alliance.db'), key_file: keyFile },
    measures: { questionnaire_folder: questionnaires },
    fhir: { base_url: fhirBase, ca_file: environment('TEST_CA'), timeout_seconds: 5, retry_initial_seconds: 1, retry_maximum_seconds: 2 },
    log_level: 'info',
  }, null, 2));
  return file;
}

function answers(measure, marks) {
  const ids = measure === 'ORS'
    ? ['ors-individually', 'ors-interpersonally', 'ors-socially', 'ors-overall']
    : ['srs-relationship', 'srs-goals-and-topics', 'srs-approach-or-method', 'srs-overall'];
  return Object.fromEntries(ids.map((id, index) => [id, marks[index]]));
}

// The first session, scripted, on the same store: Alex's history.
function firstSession(configuration) {
  const twoWeeksAgo = new Date(Date.now() - 14 * 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  const file = sessionFile('first', [
    { action: 'start' },
    { action: 'send', participant: 'client-alex', panel: 'Outcome Rating', after_ms: 100,
      message: { type: 'submit', measure: 'ORS', answers: answers('ORS', firstMarks) } },
    { action: 'expect', participant: 'client-alex', panel: 'Outcome Rating', message_type: 'saved' },
    { action: 'end', after_ms: 100 },
    { action: 'send', participant: 'client-alex', panel: 'Session Rating', after_ms: 100,
      message: { type: 'submit', measure: 'SRS', answers: answers('SRS', [9, 9, 9, 9]) } },
    { action: 'expect', participant: 'client-alex', panel: 'Session Rating', message_type: 'saved' },
  ], twoWeeksAgo);
  return new Promise((resolve, reject) => {
    const child = spawn(hostSim, ['--plugin', plugin, '--config', configuration, '--scenario', file],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fs.writeFileSync(path.join(work, 'first-session.log'), output);
      if (code === 0) resolve();
      else reject(new Error(`the scripted first session failed (${code ?? signal}):\n${output.slice(-3000)}`));
    });
    child.on('error', reject);
  });
}

let host = null;

async function serveSecondSession(configuration) {
  const file = sessionFile('second', [], new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
  host = await live.serve('shared-graph', configuration, file, work);
  // The pages by participant, as this test reads them: their URLs.
  host.urls = Object.fromEntries(Object.entries(host.pages).map(([id, page]) => [id, page.url]));
}

async function stopHost() {
  return host ? live.stopHost(host) : undefined;
}

// A participant's page in a context of its own: a desktop, or a phone (`width` < 600).
function openPage(browser, url, width) {
  return live.openPage(browser, url, width < 600
    ? { viewport: { width, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
    : { viewport: { width, height: 800 } });
}

async function frameByTitle(page, title) {
  const element = await page.waitForSelector(`iframe.panel[title="${title}"]`, { timeout: wait, state: 'attached' });
  const frame = await element.contentFrame();
  assert.ok(frame, `no frame for "${title}"`);
  await frame.waitForLoadState('domcontentloaded');
  return { element, frame };
}

// The graph as the page shows it: the table's sessions and scores, the points drawn.
async function shownSeries(frame) {
  await frame.waitForSelector('#table tbody tr', { timeout: wait, state: 'attached' });
  return frame.evaluate(() => ({
    sessions: Array.from(document.querySelectorAll('#table tbody tr')).map((row) => row.dataset.session),
    scores: Array.from(document.querySelectorAll('#table tbody td.score')).map((cell) => cell.textContent),
    points: Array.from(document.querySelectorAll('#outcome-chart circle.point')).map((dot) => Number(dot.dataset.total)),
    ratingShown: !document.getElementById('session-rating').hidden,
    text: document.body.innerText,
  }));
}

// The whole graph in the picture: its frame stretched to what it holds, then the page.
async function screenshot(page, name, title = graphTitle) {
  const { element, frame } = await frameByTitle(page, title);
  await frame.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const overflow = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${name}: the panel scrolls sideways by ${overflow} px`);
  const height = await frame.evaluate(() => document.documentElement.scrollHeight);
  await element.evaluate((iframe, h) => { iframe.style.height = `${h}px`; }, height);
  await frame.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: path.join(artifacts, name), fullPage: true });
}

async function axeViolations(frame, name = 'shared-graph') {
  await frame.evaluate(axeSource);
  const violations = await frame.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const outcome = await axe.run(document, { resultTypes: ['violations'] });
    return outcome.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
    }));
  });
  fs.writeFileSync(path.join(artifacts, `axe-${name}.json`), JSON.stringify(violations, null, 2));
  return violations;
}

describe('the client\'s own graph, shown by the therapist', { timeout: 110000 }, () => {
  let browser;
  let therapistPage, clientPage, therapist;

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found (apt-get install chromium; ./run does it)`);
    const configuration = writeConfiguration();
    await seed(`Patient/${patientId}`, { resourceType: 'Patient', id: patientId, name: [{ family: 'Rivera', given: ['Alex'] }], birthDate: '1991-05-14' });
    await firstSession(configuration);
    [, browser] = await Promise.all([
      serveSecondSession(configuration),
      chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] }),
    ]);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopHost();
  });

  test('the client answers the ORS of the second session', async () => {
    [therapistPage, clientPage] = await Promise.all([
      openPage(browser, host.urls['clinician-kim'], 1280),
      openPage(browser, host.urls['client-alex'], 1280),
    ]);
    await therapistPage.click('#start-session');
    const { frame } = await frameByTitle(clientPage, 'Outcome Rating Scale (ORS)');
    await frame.locator('.line').first().waitFor({ state: 'visible', timeout: wait });
    const linkIds = await frame.$$eval('.line', (lines) => lines.map((line) => line.dataset.linkId));
    for (let i = 0; i < linkIds.length; ++i) {
      await tabTo(clientPage, frame, (active) => active.linkId === linkIds[i]);
      await typeValue(clientPage, secondTenths[i]);
    }
    await frame.locator('#submit').click();
    await frame.waitForSelector('body[data-state="reviewing"]', { timeout: wait });
    await frame.locator('#confirm').click();
    await frame.waitForSelector('body[data-state="saved"]', { timeout: wait });
    // Done with the form: the client closes it (the host's Close).
    await clientPage.locator('.panel-box', { has: clientPage.locator('iframe.panel[title="Outcome Rating Scale (ORS)"]') })
      .locator('.panel-close').click();
  });

  test('"Show to client" opens the graph on the client\'s page, with exactly their own series', async () => {
    ({ frame: therapist } = await frameByTitle(therapistPage, therapistTitle));
    const button = therapist.locator('section.client[data-participant-id="client-alex"] .share button');
    await button.waitFor({ state: 'visible', timeout: wait });
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    assert.equal(await button.evaluate((node) => node.lastChild.textContent), 'Show to client');
    await button.click();
    await therapist.waitForSelector('section.client[data-participant-id="client-alex"] .share button[aria-pressed="true"]', { timeout: wait });

    const { frame } = await frameByTitle(clientPage, graphTitle);
    const shown = await shownSeries(frame);
    assert.deepEqual(shown.sessions, ['1', '2']);
    assert.deepEqual(shown.scores, expectedTotals);
    assert.deepEqual(shown.points, expectedTotals.map(Number));
    assert.equal(shown.ratingShown, false, 'no SRS without measures.share_srs_trend_with_client');
    for (const absent of ['Alex', 'Rivera', 'Kim', 'Jordan', 'Alert', 'Patient/']) {
      assert.ok(!shown.text.includes(absent), `the client's graph shows "${absent}"`);
    }
    assert.match(shown.text, /Above the line means|above the line means/);
    assert.match(shown.text, /Shaded band/);
    // The graph is the client's: the therapist's page has none.
    assert.equal(await therapistPage.locator(`iframe.panel[title="${graphTitle}"]`).count(), 0);
    await screenshot(therapistPage, 'shared-graph-therapist-1280.png', therapistTitle);
  });

  test('axe-core finds no violation on the client\'s graph', async () => {
    const { frame } = await frameByTitle(clientPage, graphTitle);
    const violations = await axeViolations(frame);
    assert.deepEqual(violations, [], `axe: violations on the client's graph:\n${JSON.stringify(violations, null, 2)}`);
  });

  test('screenshots at 320 and 360 px (a phone) and 1280 px; the Close button is reachable by keyboard', async () => {
    for (const width of [320, 360]) {
      const phone = await openPage(browser, host.urls['client-alex'], width);
      const { frame } = await frameByTitle(phone, graphTitle);
      assert.deepEqual((await shownSeries(frame)).scores, expectedTotals);
      await screenshot(phone, `shared-graph-${width}.png`);
      // The panel's own page at the phone's width too: the host page above is laid out
      // as the host's page decides (without a viewport tag of its own, at 980 px, shrunk).
      const alone = await phone.context().newPage();
      await alone.goto(frame.url());
      await alone.waitForSelector('#outcome-chart svg', { timeout: wait });
      const overflow = await alone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the graph alone at ${width} px scrolls sideways by ${overflow} px`);
      await alone.screenshot({ path: path.join(artifacts, `shared-graph-${width}-panel.png`), fullPage: true });
      await phone.context().close();
    }
    await screenshot(clientPage, 'shared-graph-1280.png');
    const { frame } = await frameByTitle(clientPage, graphTitle);
    await clientPage.evaluate(() => { document.activeElement?.blur(); window.focus(); });
    const active = await tabTo(clientPage, frame, (a) => a.id === 'close', 60);
    assert.equal(active.id, 'close');
  });

  test('a child\'s graph in Spanish: the simpler words, a decimal comma, and no axe violation', async () => {
    // The same page as the plugin rendered it, with the data a Spanish-speaking
    // nine-year-old's graph gets (the CORS, its cutoff of 32), served at the panel's URL.
    const { frame } = await frameByTitle(clientPage, graphTitle);
    const url = frame.url();
    const original = await (await clientPage.context().request.get(url)).text();
    const data = {
      language: 'es', measure: 'CORS', child: true,
      outcome: { cutoff: 32, intake_total: 15, reliable_change: 5,
        points: [{ session_number: 1, date: '2025-11-02', total: 15 }, { session_number: 2, date: '2026-11-09', total: 22.6 }] },
      // As with measures.share_srs_trend_with_client, and dates of two years: the widest table.
      session_rating: { measure: 'CSRS', cutoff: 36, points: [{ session_number: 1, date: '2026-11-02', total: 38.1 }] },
    };
    const html = original.replace('<html lang="en">', '<html lang="es">')
      .replace(/(<script type="application\/json" id="panel-data">)[^<]*(<\/script>)/, `$1${JSON.stringify(data)}$2`);
    assert.notEqual(html, original);
    const context = await browser.newContext({ viewport: { width: 320, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    await page.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await page.goto(url);
    await page.waitForSelector('#outcome-chart svg', { timeout: wait });
    assert.equal(await page.locator('h1').textContent(), 'C\u00f3mo te ha ido');
    const scores = await page.$$eval('#table td.score', (cells) => cells.map((cell) => cell.textContent));
    assert.deepEqual(scores, ['15,0', '22,6']);
    assert.match(await page.locator('#summary').textContent(), /sacaste 22,6/);
    assert.equal(await page.locator('#session-rating').isVisible(), true);
    // The numbers open: nothing may need sideways scrolling at 320 px.
    await page.locator('#numbers summary').click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the Spanish child's graph with its numbers open scrolls sideways by ${overflow} px`);
    await page.screenshot({ path: path.join(artifacts, 'shared-graph-es-child-320-panel.png'), fullPage: true });
    const violations = await axeViolations(page.mainFrame(), 'shared-graph-es-child');
    assert.deepEqual(violations, [], `axe: violations on the Spanish child's graph:\n${JSON.stringify(violations, null, 2)}`);
    await context.close();
  });

  test('the therapist stops sharing: the graph closes', async () => {
    const button = therapist.locator('section.client[data-participant-id="client-alex"] .share button');
    await button.click();
    await clientPage.waitForSelector(`iframe.panel[title="${graphTitle}"]`, { state: 'detached', timeout: wait });
    await therapist.waitForSelector('section.client[data-participant-id="client-alex"] .share button[aria-pressed="false"]', { timeout: wait });
  });

  test('shown again, the client closes it with its own button, and the therapist\'s button follows', async () => {
    const button = therapist.locator('section.client[data-participant-id="client-alex"] .share button');
    await button.click();
    const { frame } = await frameByTitle(clientPage, graphTitle);
    await therapist.waitForSelector('section.client[data-participant-id="client-alex"] .share button[aria-pressed="true"]', { timeout: wait });
    await frame.locator('#close').click();
    await clientPage.waitForSelector(`iframe.panel[title="${graphTitle}"]`, { state: 'detached', timeout: wait });
    await therapist.waitForSelector('section.client[data-participant-id="client-alex"] .share button[aria-pressed="false"]', { timeout: wait });
    assert.match(await therapist.locator('section.client[data-participant-id="client-alex"] .share-note').textContent(),
      /client closed/);
  });

  test('at the session\'s end the graph closes before the SRS opens, and the button goes', async () => {
    const share = therapist.locator('section.client[data-participant-id="client-alex"] .share button');
    await share.click();
    await frameByTitle(clientPage, graphTitle);
    await therapist.waitForSelector('section.client[data-participant-id="client-alex"] .share button[aria-pressed="true"]', { timeout: wait });
    await therapistPage.click('#end-session');
    await clientPage.waitForSelector(`iframe.panel[title="${graphTitle}"]`, { state: 'detached', timeout: wait });
    await clientPage.waitForSelector('iframe.panel[title="Session Rating Scale (SRS)"]', { state: 'attached', timeout: wait });
    const note = therapist.locator('section.client[data-participant-id="client-alex"] .share-note');
    await note.filter({ hasText: /session ended/ }).waitFor({ timeout: wait });
    assert.equal(await share.isVisible(), false, 'no "Show to client" once the session is over');
  });

  test('host-sim stops cleanly on SIGTERM', async () => {
    await browser.close();
    browser = null;
    const result = await stopHost();
    assert.ok(result.code === 0 || (result.code === null && result.signal === 'SIGTERM'),
      `host-sim exited with ${JSON.stringify(result)}:\n${host.output.slice(-3000)}`);
  });
});

// Alliance inside a real Janus, in a real browser: Debian's chromium (fake camera and
// microphone) driven by playwright-core, the demo's pages (sdk-stubs/janus-host/demo)
// with the packaged janus.js, the Debian janus with the Alliance adapter, and the test
// FHIR server.
//
//   ctest --preset default -R janus.browser --output-on-failure
//
// Environment (set by tests/janus/browser.cmake): ALLIANCE_PLUGIN, ALLIANCE_JANUS_ADAPTER,
// ALLIANCE_JANUS_EVENTS, ALLIANCE_QUESTIONNAIRE_DIR, FHIR_SERVER_PORT_FILE, TEST_CA,
// BROWSER_ARTIFACTS (screenshots janus-*.png, janus-timings.txt), BROWSER_WORK (Janus's
// folder and log, the store); CHROMIUM (default /usr/bin/chromium).
//
// The path: the client's page joins the room and waits; the therapist's page joins and
// the session starts; the client answers the ORS in the panel with the keyboard; the
// therapist's panel shows the total; the therapist presses "End session"; the client
// answers the SRS with the pointer; the therapist's panel shows it; the FHIR server
// holds both. It prints the time from the room's start to the ORS being interactive and
// from the client's submit to the score on the therapist's screen. Janus skips loopback
// interfaces for ICE: where no other interface is up, media cannot connect, and the test
// says so instead of failing (the Alliance path needs no media).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { connect } from '../fhir-server/client.mjs';
import { startJanus, writeTokenSecret } from './janus_server.mjs';
import { startDemo } from '../../sdk-stubs/janus-host/demo/server.mjs';
import { tabTo, typeValue } from '../browser/keyboard.mjs';

// The browser tests' packages (tests/browser/package-lock.json; ./run and the CTest
// fixture browser_packages install them there).
const here = path.dirname(fileURLToPath(import.meta.url));
const browserPackages = createRequire(path.join(here, '..', 'browser', 'package.json'));
const { chromium } = browserPackages('playwright-core');
const axeSource = fs.readFileSync(browserPackages.resolve('axe-core/axe.min.js'), 'utf8');

const environment = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through ctest -R janus.browser)`);
  return value;
};

const plugin = environment('ALLIANCE_PLUGIN');
const adapter = environment('ALLIANCE_JANUS_ADAPTER');
const eventHandler = environment('ALLIANCE_JANUS_EVENTS');
const questionnaires = environment('ALLIANCE_QUESTIONNAIRE_DIR');
const testCaFile = environment('TEST_CA');
const artifacts = environment('BROWSER_ARTIFACTS');
const work = path.join(environment('BROWSER_WORK'), 'janus');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const fhirPort = fs.readFileSync(environment('FHIR_SERVER_PORT_FILE'), 'utf8').trim();
const fhirBase = `https://localhost:${fhirPort}/fhir/R4`;

const run = `${process.pid}-${Date.now().toString(36)}`;
const patientId = `pat-janus-${run}`;
const encounterId = `enc-janus-${run}`;
const therapistTitle = 'Alliance: client feedback';
const wait = 15000;
// JANUS_BROWSER_CAMERA=off: the pages join without publishing (signalling and panels
// only), to tell the cost of media on this machine from the rest.
const camera = process.env.JANUS_BROWSER_CAMERA !== 'off';

// ---------------------------------------------------------------------------------------
// The test FHIR server over HTTPS, trusting the test CA.

// Through the test FHIR server's client (tests/fhir-server/client.mjs).
function fhir(method, relative, body) {
  return connect({ port: Number(fhirPort), caFile: testCaFile, keepAlive: false }).request(method, relative, { body });
}

async function seed(reference, resource) {
  const answer = await fhir('PUT', reference, resource);
  assert.ok(answer.status === 200 || answer.status === 201, `seeding ${reference}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
}

async function search(type, query) {
  const answer = await fhir('GET', `${type}?${query}&_count=100`);
  assert.equal(answer.status, 200, `search ${type}?${query}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  return (answer.body.entry || []).map((entry) => entry.resource);
}

function writeAllianceConfiguration(folder) {
  fs.mkdirSync(folder, { recursive: true });
  const keyFile = path.join(folder, 'store.key');
  fs.rmSync(keyFile, { force: true });
  fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const file = path.join(folder, 'alliance.json');
  fs.writeFileSync(file, JSON.stringify({
    store: { path: path.join(folder, 'state', 'alliance.db'), key_file: keyFile },
    measures: { questionnaire_folder: questionnaires },
    fhir: { base_url: fhirBase, ca_file: testCaFile, timeout_seconds: 5, retry_initial_seconds: 1, retry_maximum_seconds: 2 },
    log_level: 'info',
  }, null, 2));
  return file;
}

// ---------------------------------------------------------------------------------------
// Pages and panels.

// Every page's console errors and uncaught exceptions (a Content-Security-Policy
// violation is one): none may happen.
const pageProblems = [];

async function openPage(browser, name, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(`${name}: console: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageProblems.push(`${name}: ${error.message}`));
  await page.goto(url);
  return page;
}

const dataset = (page) => page.evaluate(() => ({ ...document.body.dataset }));
const timeline = (page) => page.evaluate(() => window.allianceDemo.timeline);
const markAt = (list, what) => list.find((entry) => entry.what === what)?.at;

async function waitForBody(page, attribute, value, timeout = wait) {
  await page.waitForSelector(`body[data-${attribute}="${value}"]`, { timeout }).catch(async (error) => {
    throw new Error(`${error.message.split('\n')[0]}\nthe page's state: ${JSON.stringify(await dataset(page))}`
      + `\nsteps: ${(await timeline(page)).map((entry) => entry.what + (entry.detail ? `:${entry.detail}` : '')).join(' ')}`);
  });
}

// A measure panel (its frame holds .line sliders); `excludeTitle` skips the ORS while
// waiting for the SRS.
async function measureFrame(page, { timeout = wait, excludeTitle = null } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const element of await page.$$('iframe.panel[data-panel-id]')) {
      const frame = await element.contentFrame();
      if (!frame || frame.isDetached()) continue;
      if (excludeTitle !== null && await element.getAttribute('title') === excludeTitle) continue;
      if (await frame.locator('.line').count().catch(() => 0) > 0) return { element, frame };
    }
    if (Date.now() > deadline) throw new Error('no measure panel with .line sliders appeared');
    await page.waitForTimeout(10);
  }
}

async function therapistFrame(page) {
  const element = await page.waitForSelector(`iframe.panel[title="${therapistTitle}"]`, { timeout: wait, state: 'attached' });
  const deadline = Date.now() + wait;
  for (;;) {
    const frame = await element.contentFrame();
    // The shell's document is replaced by the panel's: wait for the panel's own content.
    if (frame && await frame.evaluate(() => document.title).catch(() => '') !== 'Alliance panel') return frame;
    if (Date.now() > deadline) throw new Error('the therapist panel was not written into its frame');
    await page.waitForTimeout(20);
  }
}

// When the panel in `frame` became interactive (its first line visible and taking focus),
// timed inside the frame (ms since the epoch), checking every few milliseconds there
// rather than from here through the browser's protocol, which is slower than the panel
// on a busy machine. The frame may still hold the shell: then the check starts again.
async function interactiveTime(frame, timeout = wait, window = 1000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const at = await frame.evaluate((limit) => new Promise((resolve) => {
      const started = performance.now();
      const check = () => {
        const line = document.querySelector('.line');
        if (line && line.getBoundingClientRect().width > 0) {
          line.focus();
          if (document.activeElement === line) {
            const time = performance.timeOrigin + performance.now();
            line.blur();
            resolve(time);
            return;
          }
        }
        if (performance.now() - started > limit) resolve(null);
        else setTimeout(check, 4);
      };
      check();
    }), window).catch(() => null);
    if (at) return at;
    if (Date.now() > deadline) throw new Error('the ORS did not become interactive');
  }
}

const frameState = (frame) => frame.evaluate(() => document.body.dataset.state);



// Records, inside the therapist's panel, when the client's section first shows a total
// matching `pattern` (ms since the epoch, as the pages' timelines).
function watchTotal(frame, selector, pattern) {
  return frame.evaluate(([wanted, source]) => {
    const expression = new RegExp(source);
    window.__seen = window.__seen || {};
    const check = () => {
      const text = document.querySelector(wanted)?.textContent || '';
      if (!window.__seen[wanted] && expression.test(text)) window.__seen[wanted] = performance.timeOrigin + performance.now();
    };
    new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    check();
  }, [selector, pattern.source]);
}

async function seenAt(frame, selector) {
  await frame.waitForFunction((wanted) => window.__seen && window.__seen[wanted], selector, { timeout: wait });
  return frame.evaluate((wanted) => window.__seen[wanted], selector);
}

// The submit: the moment the client's "Confirm" (Enter or click) reaches the panel.
function recordConfirm(frame) {
  return frame.evaluate(() => {
    document.getElementById('confirm').addEventListener('click', () => {
      window.__submittedAt = performance.timeOrigin + performance.now();
    }, { capture: true, once: true });
  });
}

// A picture of the page as it is on screen, or (`whole`) of all of it, taken with a
// viewport as tall as the page: chromium's own whole-page capture leaves the parts of
// the panels' frames that were off screen blank. Changing the viewport, chromium then
// routed the next click into another panel's frame (at that frame's old place), in two
// runs of five: whole pages are taken only where no click follows.
async function screenshot(page, name, { whole = false } = {}) {
  const file = path.join(artifacts, `janus-${name}.png`);
  if (!whole) {
    await page.screenshot({ path: file });
    return file;
  }
  const original = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: original.width, height: Math.max(original.height, height) });
  await page.evaluate(() => window.scrollTo(0, 0));
  const twoFrames = () => new Promise((resolve) => {
    setTimeout(resolve, 500);
    requestAnimationFrame(() => requestAnimationFrame(resolve));
  });
  await page.evaluate(twoFrames);
  for (const frame of page.frames()) if (frame !== page.mainFrame()) await frame.evaluate(twoFrames).catch(() => {});
  await page.screenshot({ path: file });
  await page.setViewportSize(original);
  return file;
}

// What the media path did on a page: publishing, ICE, the other's video playing.
function mediaOf(page) {
  return page.evaluate(() => ({
    publishing: document.body.dataset.publishing || 'not attempted',
    ice: document.body.dataset.ice || 'none',
    localVideo: (() => { const v = document.getElementById('self-video'); return v && !v.hidden ? `${v.videoWidth}x${v.videoHeight}` : 'none'; })(),
    remoteVideo: Array.from(document.querySelectorAll('figure.tile[data-feed] video'))
      .map((v) => (v.hidden ? 'none' : `${v.videoWidth}x${v.videoHeight}`)).join(',') || 'none',
  }));
}

// ---------------------------------------------------------------------------------------

describe('Alliance in Janus, in chromium', { timeout: 120000 }, () => {
  let janus, janusLog, demo, browser, clientPage, therapistPage, orsFrame, orsTitle;
  let orsSaved = false, srsSaved = false;
  const orsTenths = [23, 31, 40, 52];   // total 14.6
  const srsFractions = [0.8, 0.7, 0.9, 0.6];
  const figures = {};
  const notChecked = [];

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    for (const old of fs.readdirSync(artifacts).filter((name) => name.startsWith('janus-'))) fs.rmSync(path.join(artifacts, old));
    if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found (apt-get install chromium; ./run does it)`);

    await seed(`Patient/${patientId}`, {
      resourceType: 'Patient', id: patientId, name: [{ family: 'Rivera', given: ['Alex'] }], birthDate: '1991-05-14',
    });
    await seed(`Encounter/${encounterId}`, {
      resourceType: 'Encounter', id: encounterId, status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
      subject: { reference: `Patient/${patientId}` },
    });
    const allianceConfig = writeAllianceConfiguration(path.join(work, 'alliance'));
    const tokenSecretFile = path.join(work, 'janus-token.secret');
    writeTokenSecret(tokenSecretFile);
    janus = await startJanus({ work, adapter, events: eventHandler, alliance: plugin, allianceConfig, tokenSecretFile });
    janusLog = janus.logFile;
    demo = await startDemo({
      janusUrl: janus.httpUrl, tokenSecretFile, camera,
      session: {
        session_id: `janus-browser-${run}`, appointment_kind: 'individual',
        start_time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), encounter_reference: `Encounter/${encounterId}`,
        participants: [
          { participant_id: 'client-alex', role: 'client', display_name: 'Alex Rivera', birth_date: '1991-05-14',
            preferred_language: 'en', fhir_reference: `Patient/${patientId}` },
          { participant_id: 'clinician-kim', role: 'clinician', display_name: 'Dr. Jordan Kim',
            fhir_reference: 'Practitioner/pr-kim' },
        ],
      },
    });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (demo) await demo.close().catch(() => {});
    if (janus) await janus.stop().catch(() => {});
    const lines = Object.entries(figures).map(([name, value]) => `${name}: ${value}`);
    if (lines.length) fs.writeFileSync(path.join(artifacts, 'janus-timings.txt'), `${lines.join('\n')}\n`);
    console.log(`figures: ${JSON.stringify(figures)}`);
    if (notChecked.length) console.log(`NOT CHECKED here:\n  ${notChecked.join('\n  ')}`);
    if (janusLog) console.log(`Janus's log: ${janusLog}`);
  });

  test('the backend serves a page only with its own key', async () => {
    const client = new URL(demo.pages.find((page) => page.role === 'client').url);
    const therapist = new URL(demo.pages.find((page) => page.role === 'clinician').url);
    for (const search of ['', client.search]) {
      const answer = await fetch(`${therapist.origin}${therapist.pathname}${search}`);
      assert.equal(answer.status, 403, `the therapist's page with "${search}"`);
    }
    const page = await fetch(client.href);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy'), /script-src 'nonce-[0-9a-f]+'; /);
    const shell = await fetch(`${client.origin}/panel-shell`);
    assert.match(shell.headers.get('content-security-policy'), /^sandbox allow-scripts; /);
  });

  test('the client waits in the room; the therapist joins; the ORS opens (time measured)', async () => {
    clientPage = await openPage(browser, 'client', demo.pages.find((page) => page.role === 'client').url);
    await waitForBody(clientPage, 'joined', 'yes');
    await waitForBody(clientPage, 'alliance', 'registered');
    await waitForBody(clientPage, 'session-state', 'waiting');
    assert.equal((await clientPage.$$('iframe.panel[data-panel-id]')).length, 0, 'no panel before the therapist is in the room');

    // The page keeps a frame with the panel shell loaded for the next panel: the ORS will
    // be written into it. The check for "interactive" starts there now, inside the frame,
    // so that no round trip from here delays the figure on a busy machine.
    const spare = await clientPage.waitForSelector('iframe.panel:not([data-panel-id])', { state: 'attached', timeout: wait });
    const spareFrame = await spare.contentFrame();
    await spareFrame.waitForFunction(() => document.title === 'Alliance panel', null, { timeout: wait });
    const watching = interactiveTime(spareFrame, 60000, 60000).catch(() => null);

    const opened = Date.now();
    therapistPage = await openPage(browser, 'therapist', demo.pages.find((page) => page.role === 'clinician').url);
    // The client's first panel is the ORS; interactive: its first line takes focus.
    const element = await clientPage.waitForSelector('iframe.panel[data-panel-id]', { state: 'attached', timeout: wait });
    orsFrame = await element.contentFrame();
    const interactiveAt = await watching ?? await interactiveTime(orsFrame);
    orsTitle = await element.getAttribute('title');
    assert.match(orsTitle, /ORS|Outcome/, `the client's first panel is the ORS, not "${orsTitle}"`);
    // When the panel first painted, as the frame's own timeline has it: the shell paints
    // nothing, so its first contentful paint is the ORS's (no polling in that figure).
    const paintedAt = await orsFrame.evaluate(() => {
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      return paint ? performance.timeOrigin + paint.startTime : null;
    });
    await waitForBody(therapistPage, 'session-state', 'running');
    await waitForBody(clientPage, 'session-state', 'running');

    const therapistSteps = await timeline(therapistPage);
    const clientSteps = await timeline(clientPage);
    // The room's start: the therapist's page asks to join the room the client waits in.
    const joined = markAt(therapistSteps, 'join_sent');
    assert.ok(markAt(therapistSteps, 'joined'), 'the therapist page saw "joined"');
    figures.roomStartToOrsInteractiveMs = Math.round(interactiveAt - joined);
    figures.therapistPageOpenedToOrsInteractiveMs = Math.round(interactiveAt - opened);
    figures.panelOpenToOrsInteractiveMs = Math.round(interactiveAt - markAt(clientSteps, 'panel_open'));
    if (paintedAt) figures.roomStartToOrsPaintedMs = Math.round(paintedAt - joined);
    figures.roomStartToPanelOpenMs = Math.round(markAt(clientSteps, 'panel_open') - joined);
    figures.panelOpenToWrittenMs = Math.round(markAt(clientSteps, 'panel_written') - markAt(clientSteps, 'panel_open'));
    console.log(`therapist: ${therapistSteps.map((e) => `${e.what}@${Math.round(e.at - joined)}`).join(' ')}`);
    console.log(`client: ${clientSteps.map((e) => `${e.what}@${Math.round(e.at - joined)}`).join(' ')}`);
    console.log(`room start (the therapist's join request; the client waiting) to ORS interactive: ${figures.roomStartToOrsInteractiveMs} ms`
      + ` (from opening the therapist's page: ${figures.therapistPageOpenedToOrsInteractiveMs} ms;`
      + ` from panel_open on the client's page: ${figures.panelOpenToOrsInteractiveMs} ms)`);
    assert.equal(await frameState(orsFrame), 'answering');
    await screenshot(clientPage, 'client-ors');
  });

  test('the client completes the ORS with the keyboard; the therapist sees the total (time measured)', async () => {
    assert.ok(orsFrame, 'no ORS panel (see the test before)');
    const therapist = await therapistFrame(therapistPage);
    const totalSelector = 'section.client[data-participant-id="client-alex"] .total.ors-total';
    await watchTotal(therapist, totalSelector, /14[.,]6/);

    const linkIds = await orsFrame.$$eval('.line', (lines) => lines.map((line) => line.dataset.linkId));
    await clientPage.evaluate(() => { document.activeElement?.blur(); window.focus(); });
    for (let i = 0; i < linkIds.length; ++i) {
      await tabTo(clientPage, orsFrame, (active) => active.linkId === linkIds[i]);
      await typeValue(clientPage, orsTenths[i]);
    }
    await tabTo(clientPage, orsFrame, (active) => active.id === 'submit');
    await clientPage.keyboard.press('Enter');
    await orsFrame.waitForSelector('body[data-state="reviewing"]', { timeout: wait });
    await tabTo(clientPage, orsFrame, (active) => active.id === 'confirm');
    await recordConfirm(orsFrame);
    await clientPage.keyboard.press('Enter');
    const shownAt = await seenAt(therapist, totalSelector);
    const submittedAt = await orsFrame.evaluate(() => window.__submittedAt);
    figures.submitToTherapistScoreMs = Math.round(shownAt - submittedAt);
    console.log(`client's submit to the ORS total on the therapist's screen: ${figures.submitToTherapistScoreMs} ms`);
    await orsFrame.waitForSelector('body[data-state="saved"]', { timeout: wait });
    orsSaved = true;
    await screenshot(clientPage, 'client-ors-saved');
    await screenshot(therapistPage, 'therapist-ors');
  });

  test('"End session" ends it; the client completes the SRS with the pointer; the therapist sees it', async () => {
    assert.ok(orsSaved, 'the ORS was not saved (see the tests before)');
    const therapist = await therapistFrame(therapistPage);
    const srsSelector = 'section.client[data-participant-id="client-alex"] .total.srs-total';
    await watchTotal(therapist, srsSelector, /\d/);
    await therapistPage.click('#end-session');
    await waitForBody(therapistPage, 'session-state', 'ended');
    await waitForBody(clientPage, 'session-state', 'ended');
    const { frame } = await measureFrame(clientPage, { excludeTitle: orsTitle });
    await frame.waitForSelector('body[data-state="answering"]', { timeout: wait });
    const lines = frame.locator('.line');
    assert.equal(await lines.count(), 4);
    for (let i = 0; i < 4; ++i) {
      const line = lines.nth(i);
      await line.scrollIntoViewIfNeeded();
      const box = await line.boundingBox();
      await clientPage.mouse.click(box.x + box.width * srsFractions[i], box.y + box.height / 2);
    }
    await frame.locator('#submit').click();
    await frame.waitForSelector('body[data-state="reviewing"]', { timeout: wait }).catch(async (error) => {
      throw new Error(`${error.message.split('\n')[0]}; the SRS panel: ${JSON.stringify(await frame.evaluate(() => ({
        state: document.body.dataset.state, status: document.getElementById('status')?.textContent,
        values: Array.from(document.querySelectorAll('.line')).map((line) => line.getAttribute('aria-valuenow')),
      })))}`);
    });
    await screenshot(clientPage, 'client-srs');
    await recordConfirm(frame);
    await frame.locator('#confirm').click();
    await frame.waitForSelector('body[data-state="saved"]', { timeout: wait });
    srsSaved = true;
    const shownAt = await seenAt(therapist, srsSelector);
    const submittedAt = await frame.evaluate(() => window.__submittedAt);
    figures.srsSubmitToTherapistScoreMs = Math.round(shownAt - submittedAt);
    assert.match(await therapist.locator(srsSelector).first().textContent(), /\d/);
    assert.match(await therapist.locator('section.client[data-participant-id="client-alex"] .total.ors-total').first().textContent(), /14[.,]6/);
    await screenshot(clientPage, 'client-srs-saved', { whole: true });
    await screenshot(therapistPage, 'therapist-srs', { whole: true });
  });

  test('the pages at a phone\'s width', async () => {
    for (const [name, page] of [['client', clientPage], ['therapist', therapistPage]]) {
      assert.ok(page, `no ${name} page (see the tests before)`);
      await page.setViewportSize({ width: 360, height: 800 });
      await page.waitForTimeout(200);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the ${name}'s page scrolls sideways by ${overflow} px at 360 px`);
      await screenshot(page, `${name}-phone`, { whole: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  test('both pages pass axe (WCAG 2.1 A and AA: nothing serious or critical; the panels are browser.panels\'s)', async () => {
    for (const [name, page] of [['client', clientPage], ['therapist', therapistPage]]) {
      assert.ok(page, `no ${name} page (see the tests before)`);
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const outcome = await axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] }, resultTypes: ['violations'], iframes: false,
        });
        return outcome.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
      });
      fs.writeFileSync(path.join(artifacts, `janus-axe-${name}.json`), JSON.stringify(violations, null, 2));
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      if (violations.length > serious.length) console.log(`axe (${name}): ${violations.filter((v) => !serious.includes(v)).map((v) => `${v.id} [${v.impact}]`).join(', ')}`);
      assert.deepEqual(serious, [], `${name}'s page`);
    }
  });

  test('the FHIR server holds the QuestionnaireResponses and Observations', async () => {
    assert.ok(orsSaved && srsSaved, 'the ORS and the SRS were not both saved (see the tests before)');
    const subject = `subject=Patient/${patientId}`;
    let responses = [], observations = [];
    const deadline = Date.now() + 20000;
    for (;;) {
      responses = await search('QuestionnaireResponse', subject);
      observations = await search('Observation', subject);
      if ((responses.length >= 2 && observations.length >= 2) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(responses.length, 2, `two QuestionnaireResponses (ORS, SRS), found ${responses.length}`);
    assert.ok(responses.every((response) => response.status === 'completed'));
    const values = observations.map((observation) => observation.valueQuantity?.value).filter((value) => value !== undefined);
    assert.ok(values.some((value) => Math.abs(value - 14.6) < 0.05), `the ORS total 14.6 among ${JSON.stringify(values)}`);
  });

  test('media: publishing was attempted on both pages (what could not be checked is printed)', async () => {
    for (const [name, page] of [['client', clientPage], ['therapist', therapistPage]]) {
      assert.ok(page, `no ${name} page (see the tests before)`);
      const media = await mediaOf(page);
      const steps = (await timeline(page)).map((entry) => entry.what);
      console.log(`${name}: ${JSON.stringify(media)}`);
      if (!camera) {
        notChecked.push(`${name}: media (JANUS_BROWSER_CAMERA=off)`);
        continue;
      }
      assert.ok(steps.includes('publish_attempted'), `${name}: publishing was attempted (${steps.join(' ')})`);
      assert.ok(steps.includes('offer_sent') || media.publishing === 'failed', `${name}: an offer was made, or the failure shown`);
      if (media.publishing !== 'up') notChecked.push(`${name}: the camera's media reaching Janus (publishing: ${media.publishing}, ICE: ${media.ice})`);
      if (!/^[1-9]\d*x[1-9]/.test(media.remoteVideo)) notChecked.push(`${name}: the other's video playing (${media.remoteVideo})`);
    }
  });

  test('no page had a console error or a policy violation', () => {
    assert.deepEqual(pageProblems, []);
  });

  test('the room is destroyed and Janus stops cleanly on SIGTERM', async () => {
    await browser.close();
    browser = null;
    await demo.close();
    demo = null;
    const exit = await janus.stop();
    assert.ok(exit && exit.code === 0 && !exit.forced, `janus exited with ${JSON.stringify(exit)}\n${janus.logTail(40)}`);
    janus = null;
  });
});

// Alliance inside the Debian Janus WebRTC Server (1.1.2): the adapter
// (libjanus_alliance.so), its event handler and liballiance.so in a real Janus on
// loopback, driven through Janus's HTTP API as a participant's page would drive it with
// janus.js: a VideoRoom handle that joins the room as a publisher with the feed id the
// token names, and an Alliance handle that registers the token and carries the panels.
//
//   ctest --preset default -L '^janus$' --output-on-failure -V   (-V: the figures)
//
// Environment (set by tests/janus/CMakeLists.txt): ALLIANCE_JANUS_ADAPTER,
// ALLIANCE_JANUS_EVENTS, ALLIANCE_PLUGIN, ALLIANCE_QUESTIONNAIRE_DIR,
// FHIR_SERVER_PORT_FILE (the shared fixture), TEST_CA (its folder holds the test
// certificates, for a FHIR server of this test's own), JANUS_WORK (configurations,
// stores, Janus's logs).
//
// No media flows here (no PeerConnection: the Alliance path is signalling only), so
// this runs the same on a machine with only a loopback interface.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { connect } from '../fhir-server/client.mjs';
import { startJanus, createSession, makeToken, writeTokenSecret, freePort, adminMessagePlugin } from './janus_server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const environment = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through ctest -L janus)`);
  return value;
};

const adapter = environment('ALLIANCE_JANUS_ADAPTER');
const events = environment('ALLIANCE_JANUS_EVENTS');
const alliancePlugin = environment('ALLIANCE_PLUGIN');
const questionnaires = environment('ALLIANCE_QUESTIONNAIRE_DIR');
const testCaFile = environment('TEST_CA');
const work = environment('JANUS_WORK');
const sharedFhirPort = fs.readFileSync(environment('FHIR_SERVER_PORT_FILE'), 'utf8').trim();

// Generous sanity bounds: a broken adapter fails the test in seconds, not at ctest's
// timeout. The figures printed are what this run measured.
const wait = 10000;
// How long "nothing arrives" is watched for after the moment it would have arrived.
const quiet = 1500;
// Rooms run one after another for the figures (JANUS_REPEATED_ROOMS to change): 10 in
// ./run test, where other tests share the cores (40 took 145 s there, against about
// 25 s on a quiet machine); more for figures to quote.
const repeatedRooms = Number(process.env.JANUS_REPEATED_ROOMS || 10);

// The FHIR server is shared with other tests and earlier runs: ids of our own.
const run = `${process.pid}-${Date.now().toString(36)}`;
const practitionerId = `pr-janus-${run}`;

// ---------------------------------------------------------------------------------------
// FHIR over HTTPS with the test CA.

// Through the test FHIR server's client (tests/fhir-server/client.mjs), by the base URL's port.
function fhir(base, method, relative, body) {
  return connect({ port: Number(new URL(base).port), caFile: testCaFile, keepAlive: false })
    .request(method, relative, { body });
}

const fhirBase = (port) => `https://localhost:${port}/fhir/R4`;
const sharedFhir = fhirBase(sharedFhirPort);

async function seed(base, reference, resource) {
  const answer = await fhir(base, 'PUT', reference, resource);
  assert.ok(answer.status === 200 || answer.status === 201, `seeding ${reference}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
}

// The client's Patient, the session's Encounter and the clinician's Practitioner.
async function seedChart(base, room) {
  await seed(base, `Practitioner/${practitionerId}`, {
    resourceType: 'Practitioner', id: practitionerId, name: [{ family: 'Kim', given: ['Jordan'] }],
  });
  await seed(base, `Patient/${room.patient}`, {
    resourceType: 'Patient', id: room.patient, name: [{ family: 'Rivera', given: ['Alex'] }], birthDate: '1991-05-14',
  });
  await seed(base, `Encounter/${room.encounter}`, {
    resourceType: 'Encounter', id: room.encounter, status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' },
    subject: { reference: `Patient/${room.patient}` },
  });
}

async function search(base, type, query) {
  const answer = await fhir(base, 'GET', `${type}?${query}&_count=100`);
  assert.equal(answer.status, 200, `search ${type}?${query}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  return (answer.body.entry || []).map((entry) => entry.resource);
}

const ORS_CODE = '716613004';
const SRS_CODE = '720482000';
// Which measure a QuestionnaireResponse answers: its questionnaire's canonical URL.
const measureOfResponse = (response) => (/\/Questionnaire\/([a-z]+)/.exec(response.questionnaire || '') || [])[1];
const isCode = (observation, code) => (observation.code?.coding || []).some((coding) => coding.code === code);

// The client's chart: the QuestionnaireResponses and the Observations with a total.
async function chart(base, patient) {
  const responses = await search(base, 'QuestionnaireResponse', `subject=Patient/${patient}`);
  const observations = await search(base, 'Observation', `subject=Patient/${patient}`);
  return {
    responses,
    observations,
    ors: responses.filter((response) => measureOfResponse(response) === 'ors'),
    srs: responses.filter((response) => measureOfResponse(response) === 'srs'),
    orsTotals: observations.filter((observation) => isCode(observation, ORS_CODE)),
    srsTotals: observations.filter((observation) => isCode(observation, SRS_CODE)),
  };
}

// Polls the chart until `done(chart)` or `timeoutMs`; resolves with the last chart.
async function chartWhen(base, patient, done, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await chart(base, patient);
    if (done(found) || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const describeChart = (found) => `QuestionnaireResponses: ${JSON.stringify(found.responses.map((r) => `${measureOfResponse(r)}:${r.status}`))}; ` +
  `Observations: ${JSON.stringify(found.observations.map((o) => `${o.code?.coding?.[0]?.code}=${o.valueQuantity?.value}`))}`;

// ---------------------------------------------------------------------------------------
// Alliance's configuration, the token secret.

function writeAllianceConfiguration(folder, fhirUrl) {
  fs.mkdirSync(folder, { recursive: true });
  const keyFile = path.join(folder, 'store.key');
  fs.rmSync(keyFile, { force: true });
  fs.writeFileSync(keyFile, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  const configuration = {
    store: { path: path.join(folder, 'state', 'alliance.db'), key_file: keyFile },
    measures: { questionnaire_folder: questionnaires },
    fhir: { base_url: fhirUrl, ca_file: testCaFile, timeout_seconds: 5, retry_initial_seconds: 1, retry_maximum_seconds: 2 },
    log_level: 'info',
  };
  const file = path.join(folder, 'alliance.json');
  fs.writeFileSync(file, JSON.stringify(configuration, null, 2));
  return file;
}

// ---------------------------------------------------------------------------------------
// Rooms, participants, panels.

let nextRoom = 41000 + (process.pid % 1000) * 10;

// A room's ids: the VideoRoom room, the feeds, the ABI's session, the chart's ids.
function roomPlan(name) {
  const room = nextRoom++;
  return {
    name, room, session: `janus-${name}-${run}`,
    clinicianFeed: room * 10 + 1, clientFeed: room * 10 + 2,
    patient: `pat-janus-${name}-${run}`, encounter: `enc-janus-${name}-${run}`,
  };
}

const now = () => Math.floor(Date.now() / 1000);

function clinicianClaims(plan, overrides = {}) {
  return {
    version: 1, room: String(plan.room), feed: String(plan.clinicianFeed), session: plan.session,
    participant: 'clinician-kim', role: 'clinician', expires: now() + 120,
    display_name: 'Dr. Jordan Kim', fhir_reference: `Practitioner/${practitionerId}`,
    encounter: `Encounter/${plan.encounter}`, appointment_kind: 'individual',
    start_time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    ...overrides,
  };
}

function clientClaims(plan, overrides = {}) {
  return {
    version: 1, room: String(plan.room), feed: String(plan.clientFeed), session: plan.session,
    participant: 'client-alex', role: 'client', expires: now() + 120,
    display_name: 'Alex Rivera', fhir_reference: `Patient/${plan.patient}`, age_years: 35, preferred_language: 'en',
    ...overrides,
  };
}

const sessions = [];

// A participant's page: a Janus session with a VideoRoom handle and an Alliance handle.
async function openPage(janus, name) {
  const session = await createSession(janus.httpUrl, { name });
  sessions.push(session);
  const video = await session.attach('janus.plugin.videoroom', { name: 'videoroom' });
  const alliance = await session.attach('janus.plugin.alliance', { name: 'alliance' });
  return { name, session, video, alliance };
}

async function joinRoom(page, room, feed) {
  const joined = await page.video.message({ request: 'join', ptype: 'publisher', room, id: feed, display: page.name });
  assert.equal(joined?.videoroom, 'joined', `${page.name} joins room ${room} as feed ${feed}: ${JSON.stringify(joined)}`);
  return joined;
}

// Sends a request on the Alliance handle; resolves with the answer Janus returned at
// once (docs/janus.md): {"alliance": "ack"}, or an error for a request it cannot take.
async function ask(page, body) {
  const { answer } = await page.alliance.message(body, { wait: false });
  assert.equal(answer.janus, 'success', `${page.name} ${body.request}: ${JSON.stringify(answer)}`);
  return answer.plugindata?.data;
}

// Registers a token; resolves with the answer that follows (it carries the request's
// transaction): `registered` or an error.
async function tryRegister(page, token) {
  const { transaction, answer } = await page.alliance.message({ request: 'register', token }, { wait: false });
  const immediate = answer.plugindata?.data;
  assert.equal(immediate?.alliance, 'ack', `${page.name} register, the answer at once: ${JSON.stringify(answer)}`);
  const event = await page.alliance.waitFor((entry) => entry.janus === 'event' && entry.transaction === transaction, wait);
  return event.data;
}

async function register(page, token) {
  const answer = await tryRegister(page, token);
  assert.equal(answer?.alliance, 'registered', `${page.name} registers: ${JSON.stringify(answer)}`);
  return answer;
}

async function createRoom(janus, room) {
  const page = await openPage(janus, `backend-${room}`);
  const created = await page.video.message({ request: 'create', room, publishers: 6, description: `Alliance test ${room}` });
  assert.equal(created?.videoroom, 'created', `VideoRoom create ${room}: ${JSON.stringify(created)}`);
  return page;
}

// The Alliance events of a page's handle (entries of janus_server.mjs's client).
const allianceEvents = (page, kind) => page.alliance.events.filter((entry) => entry.data?.alliance === kind);
const panelOpen = (page, predicate = () => true, from = 0) =>
  page.alliance.waitFor((entry) => entry.data?.alliance === 'panel_open' && predicate(entry.data), wait, from);

// The measure data a measure panel carries (<script type="application/json" id="panel-data">).
function panelData(html) {
  const match = /<script type="application\/json" id="panel-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(match, 'the panel carries its data');
  return JSON.parse(match[1]);
}
// A measure panel's code (ORS, SRS, ...); null for another panel (the therapist's has no data).
function measureOf(html) {
  const match = /<script type="application\/json" id="panel-data">([\s\S]*?)<\/script>/.exec(html || '');
  if (!match) return null;
  try { return JSON.parse(match[1]).measure ?? null; } catch { return null; }
}
const isMeasurePanel = (code) => (data) => measureOf(data.html) === code;

const postedText = (entry) => {
  try { return JSON.parse(entry.data.text); } catch { return null; }
};

// A panel_post on `page` for `panel` (or any panel) whose parsed text `predicate` accepts.
const panelPost = (page, predicate, { panel = null, from = 0, timeoutMs = wait } = {}) =>
  page.alliance.waitFor((entry) => entry.data?.alliance === 'panel_post' && (panel === null || entry.data.panel === panel) &&
    predicate(postedText(entry) || {}), timeoutMs, from);

// Answers a measure panel as measure.html does: the submit message with the four marks,
// as the text the panel's frame posted, unchanged. Resolves with the submit time.
async function answerPanel(page, opened, marks) {
  const data = panelData(opened.html);
  assert.equal(data.items.length, 4, `${data.measure} has four lines`);
  const answers = Object.fromEntries(data.items.map((item, index) => [item.linkId, marks[index]]));
  const text = JSON.stringify({ type: 'submit', measure: data.measure, answers });
  const submitted = performance.now();
  const answer = await ask(page, { request: 'panel_message', panel: opened.panel, text });
  assert.equal(answer?.alliance, 'ack', `panel_message answered with ${JSON.stringify(answer)}`);
  return submitted;
}

// Starts a room with a clinician and a client: both join the VideoRoom with their feeds
// and register their tokens. Resolves with the pages and the moment both were done.
async function startRoom({ janus, secret }, plan, { order = 'join-first' } = {}) {
  const backend = await createRoom(janus, plan.room);
  const clinician = await openPage(janus, `clinician-${plan.name}`);
  const client = await openPage(janus, `client-${plan.name}`);
  const one = async (page, feed, claims) => {
    if (order === 'join-first') {
      await joinRoom(page, plan.room, feed);
      await register(page, makeToken(secret, claims));
    } else {
      await register(page, makeToken(secret, claims));
      await joinRoom(page, plan.room, feed);
    }
  };
  await Promise.all([
    one(clinician, plan.clinicianFeed, clinicianClaims(plan)),
    one(client, plan.clientFeed, clientClaims(plan)),
  ]);
  return { backend, clinician, client, started: performance.now() };
}

const figures = {};
// Every room's times, for the summary printed at the end (milliseconds).
const samples = { roomStartToOrsPanelOpen: [], orsSubmitToSaved: [], orsSubmitToTherapistResult: [] };
const ms = (value) => +value.toFixed(1);

function summary(values) {
  if (values.length === 0) return 'no samples';
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return `n ${sorted.length}, median ${ms(at(0.5))}, p90 ${ms(at(0.9))}, max ${ms(sorted.at(-1))} ms`;
}

// One room through its ORS, timed: start (both joined and registered) to the ORS
// panel_open on the client's handle; submit to "saved" on it; submit to the result on
// the therapist's handle. Then the clinician ends it and the SRS opens (left unanswered).
async function timedRoom(context, plan, marks) {
  const { clinician, client, started } = await startRoom(context, plan);
  const ors = await panelOpen(client, isMeasurePanel('ORS'));
  samples.roomStartToOrsPanelOpen.push(ors.at - started);
  const submitted = await answerPanel(client, ors.data, marks);
  const saved = await panelPost(client, (text) => text.type === 'saved' && text.measure === 'ORS', { panel: ors.data.panel });
  samples.orsSubmitToSaved.push(saved.at - submitted);
  const result = await panelPost(clinician, (text) => text.type === 'result' && text.measure === 'ORS');
  samples.orsSubmitToTherapistResult.push(result.at - submitted);
  const from = client.alliance.events.length;
  assert.equal((await ask(clinician, { request: 'end_session' }))?.alliance, 'ack');
  await panelOpen(client, isMeasurePanel('SRS'), from);
  return { clinician, client, result };
}

// ---------------------------------------------------------------------------------------

describe('Alliance in a real Janus', { timeout: 300000 }, () => {
  let janus, secret;
  const context = () => ({ janus, secret });

  before(async () => {
    fs.rmSync(path.join(work, 'main'), { recursive: true, force: true });
    secret = writeTokenSecret(path.join(work, 'main', 'token.secret'));
    const allianceConfig = writeAllianceConfiguration(path.join(work, 'main', 'alliance'), sharedFhir);
    janus = await startJanus({
      work: path.join(work, 'main'), adapter, events, alliance: alliancePlugin, allianceConfig,
      tokenSecretFile: path.join(work, 'main', 'token.secret'), log: (line) => console.log(line),
    });
  });

  after(async () => {
    for (const session of sessions.splice(0)) await session.destroy().catch(() => {});
    if (janus) await janus.stop();
    console.log(`figures: ${JSON.stringify(figures)}`);
  });

  test('a room: ORS for the client, "saved", the result to the therapist, end, SRS, and both in the chart', async () => {
    const plan = roomPlan('main');
    await seedChart(sharedFhir, plan);
    const { clinician, client, started } = await startRoom(context(), plan);

    // The session runs; the therapist's panel opens on the clinician's handle, the ORS
    // on the client's.
    await clinician.alliance.waitFor((entry) => entry.data?.alliance === 'session' && entry.data.state === 'running', wait);
    await client.alliance.waitFor((entry) => entry.data?.alliance === 'session' && entry.data.state === 'running', wait);
    const ors = await panelOpen(client, isMeasurePanel('ORS'));
    samples.roomStartToOrsPanelOpen.push(ors.at - started);
    figures.roomStartToOrsPanelOpenMs = ms(ors.at - started);
    console.log(`room start (both joined and registered) to the ORS panel_open on the client's handle: ${figures.roomStartToOrsPanelOpenMs} ms`);
    const therapist = await panelOpen(clinician, (data) => measureOf(data.html) === null);
    assert.equal(allianceEvents(clinician, 'panel_open').filter((entry) => measureOf(entry.data.html) !== null).length, 0,
      'the clinician gets no measure to fill in');

    // The client answers; "saved" comes back on the client's panel; the therapist's
    // panel gets the result with the total.
    const orsMarks = [2.3, 3.1, 4.0, 5.2];  // 14.6
    const submitted = await answerPanel(client, ors.data, orsMarks);
    const saved = await panelPost(client, (text) => text.type === 'saved' && text.measure === 'ORS', { panel: ors.data.panel });
    samples.orsSubmitToSaved.push(saved.at - submitted);
    figures.orsSubmitToSavedMs = ms(saved.at - submitted);
    const result = await panelPost(clinician, (text) => text.type === 'result' && text.measure === 'ORS',
      { panel: therapist.data.panel });
    samples.orsSubmitToTherapistResult.push(result.at - submitted);
    figures.orsSubmitToTherapistResultMs = ms(result.at - submitted);
    console.log(`ORS submit to "saved" on the client's handle: ${figures.orsSubmitToSavedMs} ms; ` +
      `to the result on the therapist's handle: ${figures.orsSubmitToTherapistResultMs} ms`);
    const orsResult = postedText(result);
    assert.ok(Math.abs(orsResult.total - 14.6) < 0.05, `the therapist sees the ORS total 14.6, not ${orsResult.total}`);
    assert.equal(orsResult.participant_id, 'client-alex');
    assert.equal(allianceEvents(client, 'panel_post').filter((entry) => postedText(entry)?.type === 'result').length, 0,
      'the client is not sent the therapist\'s result');

    // Only the clinician ends a session: the client's end_session is refused.
    const clientEnding = client.alliance.events.length;
    assert.equal((await ask(client, { request: 'end_session' }))?.alliance, 'ack');
    const notAllowed = await client.alliance.waitFor((entry) => entry.data?.alliance === 'error', wait, clientEnding);
    assert.equal(notAllowed.data.error, 'not_allowed', JSON.stringify(notAllowed.data));

    // The clinician ends the session: "ended", and the SRS for the client.
    const beforeEnd = client.alliance.events.length;
    assert.ok(!allianceEvents(client, 'session').some((entry) => entry.data.state === 'ended'), 'the client did not end it');
    const ended = await ask(clinician, { request: 'end_session' });
    assert.equal(ended?.alliance, 'ack', `end_session: ${JSON.stringify(ended)}`);
    await client.alliance.waitFor((entry) => entry.data?.alliance === 'session' && entry.data.state === 'ended', wait, beforeEnd);
    const srs = await panelOpen(client, isMeasurePanel('SRS'), beforeEnd);
    const srsSubmitted = await answerPanel(client, srs.data, [8.0, 7.0, 9.0, 6.0]);  // 30.0
    await panelPost(client, (text) => text.type === 'saved' && text.measure === 'SRS', { panel: srs.data.panel });
    const srsResult = await panelPost(clinician, (text) => text.type === 'result' && text.measure === 'SRS');
    figures.srsSubmitToTherapistResultMs = ms(srsResult.at - srsSubmitted);
    assert.ok(Math.abs(postedText(srsResult).total - 30) < 0.05, `SRS total 30, not ${postedText(srsResult).total}`);

    // Both reach the client's chart, once each.
    const t0 = Date.now();
    const found = await chartWhen(sharedFhir, plan.patient, (c) => c.ors.length >= 1 && c.srs.length >= 1 && c.orsTotals.length >= 1 && c.srsTotals.length >= 1);
    figures.srsSavedToBothInChartMs = Date.now() - t0;
    assert.equal(found.ors.length, 1, `one ORS QuestionnaireResponse. ${describeChart(found)}`);
    assert.equal(found.srs.length, 1, `one SRS QuestionnaireResponse. ${describeChart(found)}`);
    assert.ok(found.responses.every((response) => response.status === 'completed'), describeChart(found));
    assert.equal(found.orsTotals.length, 1, describeChart(found));
    assert.ok(Math.abs(found.orsTotals[0].valueQuantity.value - 14.6) < 0.05, describeChart(found));
    assert.equal(found.srsTotals.length, 1, describeChart(found));
    assert.ok(Math.abs(found.srsTotals[0].valueQuantity.value - 30) < 0.05, describeChart(found));
  });

  test('a forged token (bad MAC) and an expired one get an error, and no panel', async () => {
    const plan = roomPlan('forged');
    await seedChart(sharedFhir, plan);
    const { clinician, client } = await startRoom(context(), plan, { order: 'register-first' });
    await panelOpen(client, isMeasurePanel('ORS'));

    // Each intruder joins the running room with a feed of its own, as a client would,
    // and registers a token for that feed.
    const intruders = [];
    const cases = [
      ['forged', 'invalid_token', (feed) => {
        const token = makeToken(secret, clientClaims(plan, { feed: String(feed), participant: 'client-forged' }));
        const [body] = token.split('.');
        return `${body}.${makeToken('another secret of 32 bytes or more!!', 'x').split('.')[1]}`;
      }],
      ['payload changed after signing', 'invalid_token', (feed) => {
        const [, mac] = makeToken(secret, clientClaims(plan, { feed: String(feed), participant: 'client-x', role: 'client' })).split('.');
        const body = Buffer.from(JSON.stringify(clientClaims(plan, { feed: String(feed), participant: 'client-x', role: 'clinician' }))).toString('base64url');
        return `${body}.${mac}`;
      }],
      ['expired', 'expired_token', (feed) => makeToken(secret, clientClaims(plan, { feed: String(feed), participant: 'client-expired', expires: now() - 5 }))],
      ['beyond the lifetime limit', 'expired_token', (feed) =>
        makeToken(secret, clientClaims(plan, { feed: String(feed), participant: 'client-long', expires: now() + 3600 }))],
    ];
    let feed = plan.room * 10 + 5;
    for (const [name, code, token] of cases) {
      const page = await openPage(janus, `intruder-${name}`);
      await joinRoom(page, plan.room, ++feed);
      const answer = await tryRegister(page, token(feed));
      assert.equal(answer?.alliance, 'error', `${name}: ${JSON.stringify(answer)}`);
      assert.equal(answer.error, code, `${name}: ${JSON.stringify(answer)}`);
      // What it may not do before a good register: end the session, answer a panel.
      const from = page.alliance.events.length;
      assert.equal((await ask(page, { request: 'end_session' }))?.alliance, 'ack');
      const refused = await page.alliance.waitFor((entry) => entry.data?.alliance === 'error', wait, from);
      assert.equal(refused.data.error, 'not_registered', `${name}, end_session: ${JSON.stringify(refused.data)}`);
      intruders.push({ name, page });
    }

    // The session ends: the client's SRS opens; the intruders get nothing at all.
    await ask(clinician, { request: 'end_session' });
    await panelOpen(client, isMeasurePanel('SRS'));
    await new Promise((resolve) => setTimeout(resolve, quiet));
    for (const { name, page } of intruders) {
      const got = page.alliance.events.map((entry) => entry.data?.alliance);
      assert.deepEqual(got.filter((kind) => kind !== 'error'), [], `${name}: only errors on its handle, got ${JSON.stringify(got)}`);
    }
  });

  test('a token for another participant (its feed joined from another Janus session) gets wrong_participant, and nothing', async () => {
    const plan = roomPlan('stolen');
    await seedChart(sharedFhir, plan);
    const { clinician, client } = await startRoom(context(), plan);
    await panelOpen(client, isMeasurePanel('ORS'));

    // The client's own token (valid, unexpired), registered from another Janus session:
    // once without joining the room, once after joining it with a feed of its own.
    const stolen = makeToken(secret, clientClaims(plan));
    const thieves = [await openPage(janus, 'thief-not-in-room'), await openPage(janus, 'thief-in-room')];
    await joinRoom(thieves[1], plan.room, plan.room * 10 + 9);
    for (const thief of thieves) {
      await tryRegister(thief, stolen);
      const refusal = await thief.alliance.waitFor((entry) => entry.data?.alliance === 'error', wait);
      assert.equal(refusal.data.error, 'wrong_participant', `${thief.name}: ${JSON.stringify(refusal.data)}`);
    }

    // Nor can a thief answer the client's ORS (its panel id is no secret: it is a small
    // number), or end the session.
    const ors = allianceEvents(client, 'panel_open').find((entry) => isMeasurePanel('ORS')(entry.data));
    const data = panelData(ors.data.html);
    for (const thief of thieves) {
      const from = thief.alliance.events.length;
      const text = JSON.stringify({ type: 'submit', measure: 'ORS', answers: Object.fromEntries(data.items.map((item) => [item.linkId, 0])) });
      await ask(thief, { request: 'panel_message', panel: ors.data.panel, text });
      const refused = await thief.alliance.waitFor((entry) => entry.data?.alliance === 'error', wait, from);
      assert.ok(['unknown_panel', 'not_registered'].includes(refused.data.error), `${thief.name} panel_message: ${JSON.stringify(refused.data)}`);
      const ending = thief.alliance.events.length;
      await ask(thief, { request: 'end_session' });
      const notAllowed = await thief.alliance.waitFor((entry) => entry.data?.alliance === 'error', wait, ending);
      assert.ok(['not_allowed', 'not_registered', 'wrong_participant'].includes(notAllowed.data.error),
        `${thief.name} end_session: ${JSON.stringify(notAllowed.data)}`);
    }

    // The clinician's token, stolen: refused the same way, and its end_session ends nothing.
    const impostor = await openPage(janus, 'thief-clinician');
    await tryRegister(impostor, makeToken(secret, clinicianClaims(plan)));
    const impostorRefusal = await impostor.alliance.waitFor((entry) => entry.data?.alliance === 'error', wait);
    assert.equal(impostorRefusal.data.error, 'wrong_participant', JSON.stringify(impostorRefusal.data));
    await ask(impostor, { request: 'end_session' });
    await new Promise((resolve) => setTimeout(resolve, quiet));
    const states = allianceEvents(client, 'session').map((entry) => entry.data.state);
    assert.ok(!states.includes('ended'), `a stolen clinician's token ended the session: ${JSON.stringify(states)}`);
    assert.deepEqual(allianceEvents(client, 'panel_open').map((entry) => measureOf(entry.data.html)), ['ORS'], 'no SRS yet');
    thieves.push(impostor);

    // The real client is unaffected: the ORS goes through (their marks, 24, not the
    // thieves' 0), and after the end the SRS.
    await answerPanel(client, ors.data, [6.0, 6.0, 6.0, 6.0]);
    await panelPost(client, (text) => text.type === 'saved' && text.measure === 'ORS');
    const result = await panelPost(clinician, (text) => text.type === 'result' && text.measure === 'ORS');
    assert.ok(Math.abs(postedText(result).total - 24) < 0.05, `the client's own ORS, 24: ${postedText(result).total}`);
    await ask(clinician, { request: 'end_session' });
    await panelOpen(client, isMeasurePanel('SRS'));
    await new Promise((resolve) => setTimeout(resolve, quiet));
    for (const thief of thieves) {
      const got = thief.alliance.events.map((entry) => entry.data?.alliance).filter((kind) => kind !== 'error' && kind !== 'registered');
      assert.deepEqual(got, [], `${thief.name}: no panel and no session event, got ${JSON.stringify(got)}`);
    }
    // Nothing changed on the client's handle either: one ORS, one SRS; and in the chart
    // one ORS, the client's.
    assert.deepEqual(allianceEvents(client, 'panel_open').map((entry) => measureOf(entry.data.html)), ['ORS', 'SRS']);
    assert.equal(client.alliance.events.filter((entry) => entry.data?.alliance === 'error').length, 0);
    const found = await chartWhen(sharedFhir, plan.patient, (c) => c.ors.length >= 1 && c.orsTotals.length >= 1);
    assert.equal(found.ors.length, 1, describeChart(found));
    assert.deepEqual(found.orsTotals.map((o) => o.valueQuantity.value), [24], describeChart(found));
  });

  test('a client who leaves early: the session goes on, no SRS for them, the ORS in the chart', async () => {
    const plan = roomPlan('leaver');
    await seedChart(sharedFhir, plan);
    const { clinician, client } = await startRoom(context(), plan);
    const ors = await panelOpen(client, isMeasurePanel('ORS'));
    await answerPanel(client, ors.data, [7.5, 6.5, 8.0, 7.0]);  // 29.0
    await panelPost(client, (text) => text.type === 'saved' && text.measure === 'ORS');
    await panelPost(clinician, (text) => text.type === 'result' && text.measure === 'ORS');

    // The client leaves the VideoRoom (the page closed the call); its Alliance handle stays.
    const left = await client.video.message({ request: 'leave' });
    assert.equal(left?.leaving, 'ok', `leave: ${JSON.stringify(left)}`);
    await new Promise((resolve) => setTimeout(resolve, quiet));
    const clinicianStates = () => allianceEvents(clinician, 'session').map((entry) => entry.data.state);
    assert.ok(!clinicianStates().includes('ended'), `the session goes on with the clinician: ${JSON.stringify(clinicianStates())}`);

    const beforeEnd = client.alliance.events.length;
    const ended = await ask(clinician, { request: 'end_session' });
    assert.equal(ended?.alliance, 'ack', `end_session after the client left: ${JSON.stringify(ended)}`);
    await clinician.alliance.waitFor((entry) => entry.data?.alliance === 'session' && entry.data.state === 'ended', wait);
    await new Promise((resolve) => setTimeout(resolve, quiet));
    const after = client.alliance.events.slice(beforeEnd).filter((entry) => entry.data?.alliance === 'panel_open');
    assert.deepEqual(after.map((entry) => entry.data.title), [], 'no panel (no SRS) for a client who left');

    const found = await chartWhen(sharedFhir, plan.patient, (c) => c.ors.length >= 1 && c.orsTotals.length >= 1);
    assert.equal(found.ors.length, 1, describeChart(found));
    assert.equal(found.ors[0].status, 'completed', describeChart(found));
    assert.ok(Math.abs(found.orsTotals[0].valueQuantity.value - 29) < 0.05, describeChart(found));
    assert.equal(found.srs.filter((response) => response.status === 'completed').length, 0, describeChart(found));
  });

  test("the times through Janus over more rooms, and the adapter's hook timings through the Admin API", async () => {
    // More rooms, one after another, as a clinic's day would bring them: the hooks'
    // figures then rest on more than the first (cold) calls. One client for all of them.
    const plan0 = roomPlan('repeat-0');
    await seedChart(sharedFhir, plan0);
    const started = performance.now();
    for (let index = 0; index < repeatedRooms; ++index) {
      const plan = { ...roomPlan(`repeat-${index}`), patient: plan0.patient, encounter: plan0.encounter };
      const { result } = await timedRoom(context(), plan, [5.0, 5.0, 5.0, 5.0 + (index % 10) / 10]);
      assert.equal(postedText(result).participant_id, 'client-alex');
      for (const session of sessions.splice(0)) await session.destroy();
    }
    figures.repeatedRooms = repeatedRooms;
    figures.repeatedRoomsSeconds = +((performance.now() - started) / 1000).toFixed(1);
    console.log(`through Janus, every room of this run (${repeatedRooms} repeated, one after another, in ${figures.repeatedRoomsSeconds} s):`);
    console.log(`  room start (both joined and registered) to the ORS panel_open on the client's handle: ${summary(samples.roomStartToOrsPanelOpen)}`);
    console.log(`  ORS submit to "saved" on the client's handle: ${summary(samples.orsSubmitToSaved)}`);
    console.log(`  ORS submit to the result on the therapist's handle: ${summary(samples.orsSubmitToTherapistResult)}`);
    for (const [name, values] of Object.entries(samples)) figures[`${name}Summary`] = summary(values);

    const answer = await adminMessagePlugin(janus, 'janus.plugin.alliance', { request: 'hook_times' });
    assert.ok(answer && typeof answer.hooks === 'object', `hook_times: ${JSON.stringify(answer)}`);
    const rows = Object.entries(answer.hooks);
    console.log('hook timings inside Janus (microseconds):');
    console.log(`  ${'hook'.padEnd(22)} ${'count'.padStart(6)} ${'median'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`);
    for (const [hook, times] of rows) {
      console.log(`  ${hook.padEnd(22)} ${String(times.count).padStart(6)} ${String(times.median_us).padStart(8)} ` +
        `${String(times.p99_us).padStart(8)} ${String(times.max_us).padStart(8)}`);
    }
    figures.hooks = answer.hooks;
    // Every room of this Janus started and ended a session, and took an ORS.
    const rooms = 4 + repeatedRooms;
    for (const hook of ['session_started', 'session_ended', 'panel_message']) {
      assert.ok(answer.hooks[hook]?.count >= rooms, `${hook} timed ${rooms} times or more: ${JSON.stringify(answer.hooks)}`);
    }
    for (const [hook, times] of rows) {
      if (times.count > 0) assert.ok(times.median_us <= times.p99_us && times.p99_us <= times.max_us, `${hook}: ${JSON.stringify(times)}`);
    }
  });

  test('Janus stops cleanly on SIGTERM with the adapter loaded', async () => {
    for (const session of sessions.splice(0)) await session.destroy();
    const result = await janus.stop();
    assert.deepEqual(result, { code: 0, signal: null }, `janus on SIGTERM: ${JSON.stringify(result)}\n${janus.logTail(30)}`);
  });
});

// ---------------------------------------------------------------------------------------

describe('Janus restarted mid-session', { timeout: 120000 }, () => {
  const folder = path.join(work, 'restart');
  const serverOutput = path.join(folder, 'fhir-server');
  const certificates = path.dirname(testCaFile);
  let janus, secret, fhirPort, base;
  const context = () => ({ janus, secret });

  before(async () => {
    fs.rmSync(folder, { recursive: true, force: true });
    secret = writeTokenSecret(path.join(folder, 'token.secret'));
    // Alliance delivers to a FHIR server of this test's own, on a port where nothing
    // listens until Janus has been killed: delivery cannot happen before.
    fhirPort = await freePort();
    base = fhirBase(fhirPort);
    const allianceConfig = writeAllianceConfiguration(path.join(folder, 'alliance'), base);
    janus = await startJanus({
      work: folder, adapter, events, alliance: alliancePlugin, allianceConfig,
      tokenSecretFile: path.join(folder, 'token.secret'), log: (line) => console.log(line),
    });
  });

  after(async () => {
    for (const session of sessions.splice(0)) await session.destroy().catch(() => {});
    if (janus) await janus.stop();
    try { execFileSync(path.join(here, '../fhir-server/stop.sh'), [serverOutput], { stdio: 'ignore' }); } catch { /* not started */ }
  });

  test('an ORS "saved" before a SIGKILL reaches the chart exactly once after Janus starts again', async () => {
    const plan = roomPlan('restart');
    const { clinician, client } = await startRoom(context(), plan);
    const ors = await panelOpen(client, isMeasurePanel('ORS'));
    await answerPanel(client, ors.data, [3.0, 4.0, 5.0, 6.0]);  // 18.0
    await panelPost(client, (text) => text.type === 'saved' && text.measure === 'ORS');
    await panelPost(clinician, (text) => text.type === 'result' && text.measure === 'ORS');
    const killed = await janus.kill();
    assert.equal(killed.signal, 'SIGKILL');
    for (const session of sessions.splice(0)) await session.destroy().catch(() => {});

    // The FHIR server comes up on the port Alliance was given, with the chart's
    // Patient, Practitioner and Encounter; then Janus again, with the same store.
    execFileSync(path.join(here, '../fhir-server/start.sh'), [certificates, serverOutput, '--port', String(fhirPort)],
      { stdio: 'inherit', env: process.env });
    await seedChart(base, plan);
    const restarted = performance.now();
    await janus.restart();
    const found = await chartWhen(base, plan.patient, (c) => c.ors.length >= 1 && c.orsTotals.length >= 1);
    figures.restartToOrsInChartMs = Math.round(performance.now() - restarted);
    console.log(`Janus restarted to the saved ORS in the chart: ${figures.restartToOrsInChartMs} ms`);
    assert.equal(found.ors.length, 1, `the saved ORS reached the chart. ${describeChart(found)}`);

    // Exactly once: still one after several retry periods, and after another SIGKILL
    // and start (a delivered administration is not sent again).
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await janus.restart();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const later = await chart(base, plan.patient);
    assert.equal(later.ors.length, 1, `one ORS QuestionnaireResponse. ${describeChart(later)}`);
    assert.equal(later.orsTotals.length, 1, `one ORS total. ${describeChart(later)}`);
    assert.ok(Math.abs(later.orsTotals[0].valueQuantity.value - 18) < 0.05, describeChart(later));
    assert.equal(later.srs.length, 0, describeChart(later));
  });
});

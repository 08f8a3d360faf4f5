// A phone session in a real browser: the therapist reads the ORS and the SRS aloud from
// host-sim's page, enters what the client says with the keyboard, reviews and confirms;
// the card shows the result, and the chart records a verbal administration entered by
// the practitioner. The client, on the phone, gets no panel.
//
//   ctest --preset default -R browser.verbal --output-on-failure
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { tabTo } from './keyboard.mjs';
import {
  artifacts, axeCheck, chromiumPath, clinician, openPage, panelFrame, search, seed, seedClient, startHost, stopHost, wait, work,
} from './live_host.mjs';

const run = `${process.pid}-${Date.now().toString(36)}`;
const patient = `pat-browser-phone-${run}`;
const therapistTitle = 'Alliance: client feedback';

// The read-aloud form whose title starts with `measureTitle`, once it is there.
async function readAloudFrame(page, measureTitle) {
  const frame = await panelFrame(page, `iframe.panel[title^="${measureTitle}, read aloud"]`);
  await frame.waitForSelector('input[data-link-id]', { timeout: wait });
  return frame;
}

const bodyState = (frame) => frame.evaluate(() => document.body.dataset.state);

describe('a phone session, read aloud, in chromium', { timeout: 90000 }, () => {
  let browser, host, therapistPage, clientPage;

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    fs.mkdirSync(work, { recursive: true });
    if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found (./run installs chromium)`);
    await seedClient(patient, `enc-phone-${run}`, ['Alex', 'Rivera'], '1991-05-14');
    // The chart names the practitioner who entered the answers: the server checks that
    // they exist, as a real one does.
    await seed('Practitioner/pr-kim', { resourceType: 'Practitioner', id: 'pr-kim', name: [{ family: 'Kim', given: ['Jordan'] }] });
    [host, browser] = await Promise.all([
      startHost('phone', {
        session_id: `browser-phone-${run}`, appointment_kind: 'individual', medium: 'audio',
        start_time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        encounter_reference: `Encounter/enc-phone-${run}`,
        participants: [{
          participant_id: 'client-alex', role: 'client', display_name: 'Alex Rivera', age_years: 35,
          preferred_language: 'en', fhir_reference: `Patient/${patient}`,
        }, clinician],
      }),
      chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] }),
    ]);
    [therapistPage, clientPage] = await Promise.all([
      openPage(browser, host.pages['clinician-kim'].url),
      openPage(browser, host.pages['client-alex'].url),
    ]);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (host) await stopHost(host);
  });

  test('the ORS is read aloud and entered by keyboard; a number out of range is refused first', async () => {
    await therapistPage.click('#start-session');
    const frame = await readAloudFrame(therapistPage, 'Outcome Rating Scale (ORS)');
    // The script to read: the introduction and one per item, in the client's language.
    assert.notEqual((await frame.locator('#introduction-text').textContent()).trim(), '');
    const scripts = await frame.locator('fieldset.item .script q').allTextContents();
    assert.equal(scripts.length, 4);
    assert.ok(scripts.every((text) => text.trim().length > 10), `four scripts: ${JSON.stringify(scripts)}`);
    await axeCheck(frame, 'verbal-ors');
    await therapistPage.screenshot({ path: path.join(artifacts, 'verbal-ors-1280.png'), fullPage: true });

    // Keyboard only: Tab to the first entry; Enter goes on to the next.
    await therapistPage.evaluate(() => { document.activeElement?.blur(); window.focus(); });
    await tabTo(therapistPage, frame, (active) => active.id === 'entry-0');
    await therapistPage.keyboard.type('11');
    await therapistPage.keyboard.press('Enter');
    await therapistPage.keyboard.type('7,5');  // a decimal comma, as a Spanish speaker says it
    await therapistPage.keyboard.press('Enter');
    await therapistPage.keyboard.type('4.2');
    await therapistPage.keyboard.press('Enter');
    // Up from empty starts at the middle, 5.0, and then steps by tenths.
    for (let press = 0; press < 4; ++press) await therapistPage.keyboard.press('ArrowUp');
    assert.equal(await frame.locator('#entry-3').inputValue(), '5.3');
    await therapistPage.keyboard.press('Enter');  // from the last entry: the review
    assert.equal(await bodyState(frame), 'entering', '11 is out of range: still entering');
    assert.equal(await frame.evaluate(() => document.activeElement?.id), 'entry-0', 'focus on the entry to correct');
    assert.match(await frame.locator('#problem-0').textContent(), /0 to 10/);
    await therapistPage.keyboard.press('Control+A');
    await therapistPage.keyboard.type('6');
    await tabTo(therapistPage, frame, (active) => active.id === 'review');
    await therapistPage.keyboard.press('Enter');
    await frame.waitForSelector('body[data-state="reviewing"]', { timeout: wait });
    assert.equal(await frame.locator('#review-total').textContent(), '23.0 of 40');
    await axeCheck(frame, 'verbal-ors-review');
    await tabTo(therapistPage, frame, (active) => active.id === 'confirm');
    await therapistPage.keyboard.press('Enter');
    await frame.waitForSelector('body[data-state="saved"]', { timeout: wait });
    await therapistPage.screenshot({ path: path.join(artifacts, 'verbal-ors-saved-1280.png'), fullPage: true });

    // The card shows the total; the client's page got nothing.
    const card = await panelFrame(therapistPage, `iframe.panel[title="${therapistTitle}"]`);
    await card.waitForFunction(
      () => /23[.,]0/.test(document.querySelector('section.client[data-participant-id="client-alex"] .total.ors-total')?.textContent || ''),
      null, { timeout: wait });
    assert.match(await card.locator('section.client[data-participant-id="client-alex"] .session').first().textContent(),
      /given aloud/, 'the card says the ORS was given aloud');
    assert.equal(await clientPage.locator('iframe.panel').count(), 0, 'no panel on the phone client\'s page');
  });

  test('the SRS at the end, then both in the chart as verbal administrations entered by the practitioner', async () => {
    await therapistPage.click('#end-session');
    const frame = await readAloudFrame(therapistPage, 'Session Rating Scale (SRS)');
    for (const [index, value] of ['9', '9.5', '8', '9'].entries()) await frame.locator(`#entry-${index}`).fill(value);
    await frame.locator('#review').click();
    await frame.waitForSelector('body[data-state="reviewing"]', { timeout: wait });
    assert.equal(await frame.locator('#review-total').textContent(), '35.5 of 40');
    await frame.locator('#confirm').click();
    await frame.waitForSelector('body[data-state="saved"]', { timeout: wait });

    let responses = [];
    const deadline = Date.now() + 20000;
    while (responses.length < 2 && Date.now() < deadline) {
      responses = await search('QuestionnaireResponse', `subject=Patient/${patient}`);
      if (responses.length < 2) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(responses.length, 2, 'the ORS and the SRS in the chart');
    for (const response of responses) {
      assert.equal(response.author?.reference, 'Practitioner/pr-kim', 'entered by the practitioner');
      assert.equal(response.source?.reference, `Patient/${patient}`, 'answered by the client');
      const mode = (response.extension || []).find((extension) => extension.url.endsWith('/questionnaireresponse-completionMode'));
      assert.ok(mode, `a completion mode on ${JSON.stringify(response)}`);
      assert.match(JSON.stringify(mode), /"VERBAL"/);
    }
  });
});

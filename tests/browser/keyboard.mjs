// Keyboard use of a panel, as a keyboard-only user does it: shared by the browser tests
// of host-sim's pages (browser.test.mjs) and of the Janus demo's (tests/janus).

// What has focus inside `frame`, or null when the frame's document has none.
export const activeInFrame = (frame) => frame.evaluate(() => {
  const active = document.activeElement;
  if (!document.hasFocus() || !active || active === document.body) return null;
  return { id: active.id || null, linkId: active.dataset?.linkId ?? null, className: active.className || '' };
});

// Presses Tab (in the page, as a keyboard user does) until focus is on what `wanted`
// accepts inside `frame`; at most `limit` presses.
export async function tabTo(page, frame, wanted, limit = 40) {
  for (let presses = 0; presses < limit; ++presses) {
    const active = await activeInFrame(frame);
    if (active && wanted(active)) return active;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab did not reach the wanted element within ${limit} presses`);
}

// Sets a focused slider to `tenths` / 10 with keys only: Home, PageUp (+1), ArrowRight (+0.1).
export async function typeValue(page, tenths) {
  await page.keyboard.press('Home');
  for (let i = 0; i < Math.floor(tenths / 10); ++i) await page.keyboard.press('PageUp');
  for (let i = 0; i < tenths % 10; ++i) await page.keyboard.press('ArrowRight');
}

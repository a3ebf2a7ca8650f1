// Safe messaging in a real browser: a seller's scam message reaches the
// buyer with a warning, and a blocked one never reaches them at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buy, click, login, logout, startHaven, snap } from "./harness.mjs";

const BUYER = "buyer@demo.haven";
const SELLER = "lumen@demo.haven";

async function send(page, text) {
  await page.fill("#text", text);
  await click(page, "#send-message");
}

test("a buyer sees a scam warning on a seller's message", async () => {
  const haven = await startHaven();
  try {
    const page = await haven.browser.newPage();
    const base = haven.base;
    await login(page, base, BUYER);
    const orderUrl = await buy(page, base, "Beeswax candle pair");
    await click(page, "#order-messages");
    await send(page, "Hi! Could you wrap it as a gift?");
    assert.match(await page.textContent(".thread"), /wrap it as a gift/);
    const conversationUrl = page.url().replace(/#.*$/, "");
    await logout(page);

    await login(page, base, SELLER);
    await page.goto(`${orderUrl}/messages`);
    assert.equal(page.url(), conversationUrl, "the same conversation from the seller's side");
    await send(page, "Sure! Faster to chat on WhatsApp: +1 415 555 0134");
    await send(page, "Customs wants a 35 USD release fee, send it by bank transfer to IBAN DE89 3704 0044 0532 0130 00");
    const blocked = await page.textContent(".blocked-notice");
    assert.match(blocked, /Not sent/);
    assert.equal(await page.locator(".scam-warning").count(), 0, "the sender is not shown the recipient's warning");
    await logout(page);

    await login(page, base, BUYER);
    await page.goto(`${base}/messages`);
    assert.match(await page.textContent("#unread-count"), /1 unread/);
    await click(page, "text=Beeswax candle pair");
    const warning = await page.textContent(".scam-warning");
    assert.match(warning, /Be careful/);
    assert.match(warning, /outside Haven/);
    const thread = await page.textContent(".thread");
    assert.match(thread, /WhatsApp/);
    assert.doesNotMatch(thread, /release fee/, "the blocked message never reaches the buyer");
    await snap(page, "scam-warning");
  } finally {
    await haven.stop();
  }
});

// The dispute centre in the browser: evidence with a photo, a counter-offer
// declined, escalation, an agent's decision; and a seller's pressure to
// close the dispute that fails because withdrawing keeps the protection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableBalance, axeAtBothSizes, buy, click, startHaven, login, logout, snap } from "./harness.mjs";

const BUYER = "buyer@demo.haven";
const SELLER = "lumen@demo.haven";
const AGENT = "agent@demo.haven";
// A 1×1 PNG: real image bytes, so the type check by content accepts it.
const PHOTO = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

async function ship(page, base, orderUrl, deliveries) {
  await login(page, base, SELLER);
  await page.goto(orderUrl);
  await click(page, "#ship");
  for (let scan = 0; scan < deliveries; scan++) await click(page, "#advance-parcel");
  await logout(page);
}

async function fastForward(page, base, days) {
  await page.goto(`${base}/demo`);
  await click(page, `button[name=days][value='${days}']`);
}

// The demo clock's worker fires what fell due just after the jump, not
// within the request: reload until the page shows it (as a person would).
async function untilShown(page, url, selector, pattern) {
  for (let attempt = 0; attempt < 50; attempt++) {
    await page.goto(url);
    if (pattern.test(await page.textContent(selector))) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.match(await page.textContent(selector), pattern);
}

test("photo evidence, declined offer, escalation and an agent's decision", async () => {
  const haven = await startHaven();
  // axe-core checks each dispute page on the way, at both sizes.
  const violations = [];
  try {
    // The pages' CSP refuses injected scripts, as it should; axe alone is let through.
    const context = await haven.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const base = haven.base;
    await login(page, base, SELLER);
    const before = await availableBalance(page, base);
    await logout(page);
    await login(page, base, BUYER);
    const orderUrl = await buy(page, base, "Walnut desk lamp");
    await logout(page);
    await ship(page, base, orderUrl, 3);

    await login(page, base, BUYER);
    await page.goto(orderUrl);
    await click(page, "#open-dispute-link");
    await page.selectOption("#reason", "damaged");
    await page.fill("#description", "The lamp arrived with a cracked base.");
    await page.setInputFiles("#photo", { name: "crack.png", mimeType: "image/png", buffer: PHOTO });
    await click(page, "#open-dispute");
    const disputeUrl = page.url();
    assert.match(disputeUrl, /\/disputes\/[0-9a-f-]{36}$/);
    assert.match(await page.textContent("#dispute-state"), /awaiting seller/);
    assert.equal(await page.locator("img.evidence-photo").count(), 1, "the photo is in the evidence log");
    violations.push(...(await axeAtBothSizes(page, "the buyer's dispute page")));
    await logout(page);

    await login(page, base, SELLER);
    await page.goto(`${base}/seller/disputes`);
    await click(page, `a[href="${new URL(disputeUrl).pathname}"]`);
    assert.equal(page.url(), disputeUrl);
    violations.push(...(await axeAtBothSizes(page, "the seller's dispute page")));
    // A refused offer says why beside the amount.
    await page.fill("#amount", "ten");
    await click(page, "#seller-counter");
    assert.match(await page.textContent("#amount-error"), /amount like 12\.50/);
    violations.push(...(await axeAtBothSizes(page, "a refused offer")));
    await page.fill("#amount", "10.00");
    await page.fill("#counter_message", "Sorry! 10.00 back and keep it?");
    await click(page, "#seller-counter");
    assert.match(await page.textContent("#dispute-state"), /counter offered/);
    await logout(page);

    await login(page, base, BUYER);
    await page.goto(disputeUrl);
    await click(page, "#decline-offer");
    assert.match(await page.textContent("#dispute-state"), /unresolved/);
    await fastForward(page, base, 3);
    await page.goto(disputeUrl);
    await click(page, "#escalate");
    assert.match(await page.textContent("#dispute-state"), /escalated/);
    await logout(page);

    await login(page, base, AGENT);
    await page.goto(`${base}/console`);
    await click(page, `a[href="${new URL(disputeUrl).pathname}"]`);
    assert.match(await page.textContent("#histories"), /Buyer: 1 orders/);
    violations.push(...(await axeAtBothSizes(page, "the agent's dispute page")));
    await page.check("input[name=decision][value=partial_refund]");
    await page.fill("#decision-amount", "20.00");
    await page.fill("#reasons", "The photo shows a cracked base; a partial refund covers the repair.");
    await click(page, "#decide");
    // Nothing moves until the agent confirms what will.
    assert.match(await page.textContent("#to-buyer"), /\$20\.00/);
    assert.match(await page.textContent("#to-seller"), /\$34\.00/);
    violations.push(...(await axeAtBothSizes(page, "the decision's confirmation")));
    await click(page, "#confirm-decision");
    assert.match(await page.textContent("#dispute-state"), /resolved/);
    assert.match(await page.textContent("#resolution"), /refund \$20\.00/);
    await logout(page);

    await login(page, base, SELLER);
    // 54.00 paid, 20.00 refunded: 34.00 released, minus 8 % (2.72).
    assert.equal(await availableBalance(page, base), before + 3_128);
    await snap(page, "dispute-decided");
  } finally {
    await haven.stop();
  }
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
});

test("asked to close the dispute, the buyer withdraws, reopens and is still refunded", async () => {
  const haven = await startHaven();
  try {
    const page = await haven.browser.newPage();
    const base = haven.base;
    await login(page, base, BUYER);
    const orderUrl = await buy(page, base, "Linen cushion cover");
    await logout(page);
    await ship(page, base, orderUrl, 0);

    await login(page, base, BUYER);
    await page.goto(orderUrl);
    await click(page, "#open-dispute-link");
    await page.selectOption("#reason", "not_received");
    await page.fill("#description", "Nothing has arrived.");
    await click(page, "#open-dispute");
    const disputeUrl = page.url();
    await logout(page);

    await login(page, base, SELLER);
    await page.goto(disputeUrl);
    await page.fill("#text", "Please close the dispute and I will refund you outside Haven.");
    await click(page, "button:has-text('Add to the log')");
    await logout(page);

    await login(page, base, BUYER);
    await page.goto(disputeUrl);
    assert.match(await page.textContent("#evidence"), /Please close the dispute/);
    await click(page, "#withdraw-link");
    assert.match(await page.textContent("#what-you-keep"), /You keep your buyer protection/);
    await click(page, "#confirm-withdraw");
    assert.match(await page.textContent("#dispute-state"), /withdrawn/);
    await click(page, "#reopen");
    assert.match(await page.textContent("#dispute-state"), /awaiting seller/);
    const reopenedUrl = page.url();
    assert.notEqual(reopenedUrl, disputeUrl, "a new dispute, linked to the old one");

    // The seller never answers the reopened dispute: silence refunds the buyer.
    await fastForward(page, base, 5);
    await untilShown(page, reopenedUrl, "#dispute-state", /resolved/);
    await page.goto(orderUrl);
    assert.match(await page.textContent("h1"), /refunded/);
    await snap(page, "dispute-reopened");
  } finally {
    await haven.stop();
  }
});

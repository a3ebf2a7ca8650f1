// Reputation in the browser: the demo's months of history give every
// listing a trust panel; the 1★ reviews are one click away; a buyer
// reviews a completed order with a photo (blind until the seller rates);
// an agent sees the planted brushing ring caught in the console.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buy, click, startHaven, login, logout, snap } from "./harness.mjs";

const BUYER = "buyer@demo.haven";
const SELLER = "lumen@demo.haven";
const AGENT = "agent@demo.haven";
const PHOTO = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

test("the trust panel, its 1★ filter, a blind review and the integrity case", async () => {
  const haven = await startHaven();
  const { base } = haven;
  try {
    const page = await haven.browser.newPage();
    // A visitor: the listing's trust panel combines the signals.
    await page.goto(`${base}/?category=home`);
    await click(page, "text=Walnut desk lamp");
    const summary = await page.textContent("#trust-summary");
    assert.match(summary, /^Open 6 months · [\d,]+ sold · [\d.]+ % positive \(\d+ reviews\)/);
    const oneStarCount = Number(await page.textContent("#star-distribution tr:last-child td:last-child"));
    assert.ok(oneStarCount >= 1, "the demo history has honest 1★ reviews");
    await click(page, "#one-star-reviews");
    assert.match(page.url(), /\/stores\/[0-9a-f-]+\?stars=1#reviews$/);
    assert.equal(await page.getAttribute("#filter-1", "class"), "chip on");
    const stars = await page.$$eval("#review-list .review-item", (items) => items.map((i) => i.dataset.stars));
    assert.equal(stars.length, oneStarCount);
    assert.ok(stars.every((s) => s === "1"), `only 1★ reviews: ${stars}`);
    // The store with the planted ring: its reviews are shown as removed.
    await page.goto(`${base}/`);
    await page.goto(`${base}/?category=electronics`);
    await click(page, "text=Phone case, clear");
    assert.match(await page.textContent("#trust-summary"), /no reviews yet/);
    await click(page, "#store-link");
    assert.match(await page.textContent("#review-list"), /removed by review integrity/);

    // A buyer's order, shipped and delivered, then reviewed with a photo.
    await login(page, base, BUYER);
    const orderUrl = await buy(page, base, "Walnut desk lamp");
    await logout(page);
    await login(page, base, SELLER);
    await page.goto(orderUrl);
    await click(page, "#ship");
    for (let scan = 0; scan < 3; scan++) await click(page, "#advance-parcel");
    await logout(page);
    await login(page, base, BUYER);
    await page.goto(orderUrl);
    await click(page, "#confirm-receipt");
    assert.match(await page.textContent("#review-form"), /Until/);
    await page.selectOption("#rating", "4");
    await page.selectOption("#shipping_speed", "5");
    await page.fill("#review-text", "Warm light, sturdy base.");
    await page.setInputFiles("#photos", { name: "lamp.png", mimeType: "image/png", buffer: PHOTO });
    await click(page, "#submit-review");
    assert.match(await page.textContent("body"), /your review is in/);
    assert.match(await page.textContent("#my-review"), /pending/);
    await logout(page);
    // The seller rates the buyer: both are published at once.
    await login(page, base, SELLER);
    await page.goto(orderUrl);
    await page.selectOption("#buyer-rating", "5");
    await click(page, "#rate-buyer button");
    assert.match(await page.textContent("#my-review"), /published/);
    await page.goto(`${base}/stores/${await storeOf(page, base)}?photos=1#reviews`);
    assert.match(await page.textContent("#review-list"), /Warm light, sturdy base\./);
    assert.equal(await page.locator("#review-list img").count(), 1);
    await logout(page);

    // The agent sees the ring's case with its evidence.
    await login(page, base, AGENT);
    await page.goto(`${base}/console/reviews`);
    const cases = await page.textContent("#integrity-cases");
    assert.match(cases, /reviews removed/);
    assert.match(cases, /share|younger|burst|dense block/);
    await snap(page, "trust-panel");
  } finally {
    await haven.stop();
  }
});

async function storeOf(page, base) {
  await page.goto(`${base}/?category=home`);
  await click(page, "text=Walnut desk lamp");
  const href = await page.getAttribute("#store-link", "href");
  return href.split("/").pop();
}

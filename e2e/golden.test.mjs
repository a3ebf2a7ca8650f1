// The golden journey through the pages: a buyer pays, the seller ships, the
// simulated carrier delivers, the buyer confirms, and the seller is paid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableBalance, buy, cents, startHaven, login, logout, snap } from "./harness.mjs";

const BUYER = "buyer@demo.haven";
const SELLER = "lumen@demo.haven"; // Lumen & Oak sells the walnut desk lamp

test("buy, ship, deliver, confirm, and see the seller paid", async () => {
  const haven = await startHaven();
  try {
    const page = await haven.browser.newPage();
    const base = haven.base;

    await login(page, base, BUYER);
    const orderUrl = await buy(page, base, "Walnut desk lamp");
    assert.match(orderUrl, /\/orders\/[0-9a-f-]{36}$/);
    assert.match(await page.textContent("h1"), /paid/);
    assert.match(await page.textContent("#protection"), /Buyer protection ends in/);
    assert.match(await page.textContent("#promised"), /\d{4}/);
    await logout(page);

    await login(page, base, SELLER);
    const before = await availableBalance(page, base);
    await page.goto(`${base}/seller`);
    await Promise.all([page.waitForNavigation(), page.click("text=Walnut desk lamp")]);
    assert.equal(page.url(), orderUrl);
    await Promise.all([page.waitForNavigation(), page.click("#ship")]);
    assert.match(await page.textContent("h1"), /shipped/);
    for (let scan = 0; scan < 3; scan++) {
      await Promise.all([page.waitForNavigation(), page.click("#advance-parcel")]);
    }
    assert.match(await page.textContent("h1"), /delivered/);
    assert.match(await page.textContent("#tracking"), /out for delivery/);
    await logout(page);

    await login(page, base, BUYER);
    await page.goto(orderUrl);
    await Promise.all([page.waitForNavigation(), page.click("#confirm-receipt")]);
    assert.match(await page.textContent("h1"), /completed/);
    await logout(page);

    await login(page, base, SELLER);
    await page.goto(`${base}/seller`);
    // 49.00 lamp + 5.00 shipping = 54.00; 8 % commission = 4.32.
    assert.equal(cents(await page.textContent("#available-balance")), before + 4_968);
    await Promise.all([page.waitForNavigation(), page.click("#request-payout")]);
    assert.equal((await page.textContent("#available-balance")).trim(), "$0.00");
    assert.equal(cents(await page.textContent("#in-payout")), before + 4_968);
    await snap(page, "golden-seller-paid");
  } finally {
    await haven.stop();
  }
});

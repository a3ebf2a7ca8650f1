// More golden journeys, one per person's job: a newcomer opens a store and
// lists an item; a seller edits, pauses and resumes a listing; a seller is
// paid out and reads the statement; a buyer asks a seller and reports the
// chat, which an agent finds in the console; an agent works the console's
// queues and audit log; an admin adds a webhook endpoint. Each asserts on
// what the person sees and takes screenshots at desktop and phone sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, click, login, logout, snap, startHaven } from "./harness.mjs";

const BUYER = "buyer@demo.haven";
const SELLER = "lumen@demo.haven";
const AGENT = "agent@demo.haven";
const ADMIN = "admin@demo.haven";

/** A test on a fresh demo server, with one browser page. */
function journey(name, body) {
  test(name, async () => {
    const haven = await startHaven();
    try {
      await body(await haven.browser.newPage(), haven.base);
    } finally {
      await haven.stop();
    }
  });
}

journey("a newcomer registers, opens a store and publishes a listing", async (page, base) => {
  await page.goto(`${base}/`);
  assert.match(await page.textContent("#hero-title"), /money is safe/);
  await snap(page, "home");
  await page.goto(`${base}/register`);
  await page.fill("#display_name", "Nadia Potter");
  await page.fill("#email", "nadia@example.com");
  await page.fill("#password", PASSWORD);
  await click(page, "button[type=submit]");
  await click(page, "#nav-sell");
  await page.fill("#name", "Nadia's Pottery");
  await page.fill("#description", "Hand-thrown mugs and bowls.");
  await click(page, "text=Open store");
  assert.match(await page.textContent("#flash"), /Nadia's Pottery” is open/);
  await click(page, "text=New listing");
  await page.fill("#title", "Speckled stoneware mug");
  await page.fill("#description", "Glazed inside, 350 ml, dishwasher safe.");
  await page.selectOption("#category", "home");
  await page.fill("#price", "24.00");
  await click(page, "text=Publish listing");
  assert.match(await page.textContent("h1"), /Speckled stoneware mug/);
  assert.match(await page.textContent(".price"), /\$24\.00/);
  await snap(page, "new-listing");
});

journey("a seller edits a listing's price, pauses it and puts it back on sale", async (page, base) => {
  await login(page, base, SELLER);
  await page.goto(`${base}/seller`);
  await click(page, "#manage-listings");
  const row = page.locator(".listing-row", { hasText: "Walnut desk lamp" });
  assert.match(await row.textContent(), /On sale/);
  await snap(page, "seller-listings");
  await click(page, "a[aria-label='Edit Walnut desk lamp']");
  await page.fill("#price", "twelve");
  await click(page, "#save-listing");
  assert.match(await page.textContent("#price-error"), /amount/);
  await page.fill("#price", "52.00");
  await click(page, "#save-listing");
  assert.match(await page.textContent("#flash"), /Saved “Walnut desk lamp”/);
  await click(page, "button[aria-label='Pause Walnut desk lamp']");
  assert.match(await page.textContent("#flash"), /buyers cannot find or order it/);
  assert.match(await page.locator(".listing-row", { hasText: "Walnut desk lamp" }).textContent(), /Paused/);
  const listingUrl = await page.locator(".listing-row", { hasText: "Walnut desk lamp" }).locator("strong a").getAttribute("href");
  await logout(page);

  await login(page, base, BUYER);
  await page.goto(`${base}${listingUrl}`);
  assert.match(await page.textContent("#listing-paused"), /paused/);
  assert.equal(await page.locator("text=Buy now").count(), 0);
  await logout(page);

  await login(page, base, SELLER);
  await page.goto(`${base}/seller/listings`);
  await click(page, "button[aria-label='Resume Walnut desk lamp']");
  assert.match(await page.textContent("#flash"), /on sale again/);
  await page.goto(`${base}${listingUrl}`);
  assert.match(await page.textContent(".price"), /\$52\.00/);
});

journey("a seller is paid out, the bank settles it a day later, and the statement shows each step", async (page, base) => {
  await login(page, base, SELLER);
  await page.goto(`${base}/seller`);
  await click(page, "#request-payout");
  assert.match(await page.textContent("#flash"), /Payout of \$[\d,.]+ requested/);
  assert.match(await page.textContent("#payouts"), /On its way to your bank/);
  await click(page, "#statement-link");
  const first = page.locator("#statement tbody tr").first();
  assert.match(await first.textContent(), /Payout requested/);
  assert.match(await page.textContent("#statement"), /Sale paid to you, after commission/);
  assert.equal(await page.getAttribute("#statement-csv", "href"), "/seller/statement.csv?account=available");
  await snap(page, "statement");
  // The simulated bank settles a day later: move the demo clock.
  await page.goto(`${base}/demo`);
  await click(page, "button[value='1']");
  assert.match(await page.textContent("#flash"), /Moved 1 day ahead\. \d+ deadlines fired/);
  let paid = false;
  for (let i = 0; i < 20 && !paid; i++) {
    await page.goto(`${base}/seller`);
    paid = /Paid/.test(await page.textContent("#payouts"));
    if (!paid) await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(paid, "the payout shows as paid");
  assert.match(await page.textContent("#payouts"), /bank reference SIM-/);
  await page.goto(`${base}/seller/statement?account=payout`);
  assert.match(await page.textContent("#statement"), /Paid to your bank/);
});

journey("a buyer asks a seller, reports the chat, and an agent finds it in the console", async (page, base) => {
  await login(page, base, BUYER);
  await page.goto(`${base}/?category=home`);
  await click(page, "text=Beeswax candle pair");
  await click(page, "#ask-seller");
  assert.match(await page.textContent("h1"), /^Ask /);
  await page.fill("#text", "Are the candles unscented?");
  await click(page, "#send-question");
  assert.match(await page.textContent(".thread"), /unscented/);
  assert.match(await page.textContent("#conversation-with"), /With /);
  const chatUrl = page.url().replace(/#.*$/, "");
  await logout(page);

  await login(page, base, SELLER);
  await page.goto(`${base}/messages`);
  assert.match(await page.textContent("nav[aria-label=Inbox] [aria-current=page]"), /My store's buyers/);
  assert.match(await page.textContent("table"), /Beeswax candle pair/);
  await page.goto(chatUrl);
  await page.fill("#text", "Unscented, yes. For a discount pay me by bank transfer to IBAN DE89 3704 0044 0532 0130 00");
  await click(page, "#send-message");
  assert.match(await page.textContent(".blocked-notice"), /Not sent/);
  await snap(page, "blocked-message");
  await logout(page);

  await login(page, base, BUYER);
  await page.goto(chatUrl);
  await page.click("#report summary");
  await page.fill("#report-reason", "The seller offered a discount to pay outside Haven.");
  await click(page, "#send-report");
  assert.match(await page.textContent("#flash"), /An agent will read this conversation/);
  assert.match(await page.textContent("#reported"), /You reported/);
  await logout(page);

  await login(page, base, AGENT);
  await page.goto(`${base}/console`);
  assert.match(await page.textContent("#queue-conversations"), /waiting/);
  await click(page, "#queue-conversations a");
  assert.match(await page.textContent("#flagged-conversations"), /The buyer reported: The seller offered a discount/);
});

journey("an agent reads the console's queues and searches the audit log", async (page, base) => {
  await login(page, base, AGENT);
  await page.goto(`${base}/console`);
  for (const id of ["queue-disputes", "queue-payments", "queue-listings", "queue-conversations", "queue-brushing", "queue-identity", "queue-dead-letters"]) {
    assert.equal(await page.locator(`#${id}`).count(), 1, id);
  }
  await snap(page, "console");
  await click(page, "#audit-link");
  assert.ok((await page.locator("#audit li").count()) > 1, "the demo's history is in the log");
  await page.fill("#audit-q", "not an order");
  await click(page, "button:has-text('Search')");
  assert.match(await page.textContent("#audit-q-error"), /email address, an order's number/);
  // A seller's email: the histories of the store's latest orders.
  await page.fill("#audit-q", SELLER);
  await click(page, "button:has-text('Search')");
  assert.match(await page.textContent("#audit"), /\((buyer|seller)\)/);
  assert.doesNotMatch(await page.textContent("#audit"), /[0-9a-f]{8}-[0-9a-f]{4}-/, "no raw ids in the sentences");
});

journey("an admin adds a webhook endpoint and sees its secret once", async (page, base) => {
  await login(page, base, ADMIN);
  await page.goto(`${base}/admin/webhooks`);
  await page.fill("#url", "https://erp.example.com/haven");
  await page.fill("#topics", "order.paid, payout.paid");
  await page.fill("#description", "The accounting system");
  await click(page, "text=Add endpoint");
  assert.match(await page.textContent("#new-secret"), /Signing secret/);
  assert.match(await page.textContent("#endpoints"), /erp\.example\.com/);
  assert.match(await page.textContent("#endpoints"), /payout\.paid/);
  await snap(page, "admin-webhooks");
  await page.goto(`${base}/admin/webhooks`);
  assert.equal(await page.locator("#new-secret").count(), 0, "the secret is shown once");
});

// Payment risk in a real browser: an agent writes a rule, dry-runs it,
// enables it; a buyer's payment is held; the agent approves it from the
// review queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startHaven, login, logout, click, buy, snap } from "./harness.mjs";

const AGENT = "agent@demo.haven";
const BUYER = "buyer@demo.haven";

test("an agent edits, dry-runs and enables a rule, then approves a held order from the queue", async () => {
  const haven = await startHaven();
  const { base } = haven;
  try {
    const page = await haven.browser.newPage();
    await login(page, base, AGENT);
    await page.goto(`${base}/console/risk/rules`);
    // The brief's defaults are there.
    assert.match(await page.textContent("#rules"), /risk_score >= 75/);
    // A rule with a mistake is refused with where it is wrong.
    await page.fill("#name", "Hold lamps shipped to the US");
    await page.selectOption("#action", "review");
    await page.fill("#expression", "shipping_contry == 'US'");
    await click(page, "#dry-run");
    assert.match(await page.textContent("#rule-error"), /unknown attribute 'shipping_contry'.*line 1, column 1/);
    // Fixed, dry-run over past payments, then saved enabled.
    await page.fill("#expression", "shipping_country == 'US' && amount_minor >= 2000");
    await click(page, "#dry-run");
    assert.match(await page.textContent("#dry-run-result"), /Over the last \d+ payments this rule would have matched/);
    await page.check("#enabled");
    await click(page, "#save-rule");
    assert.match(await page.textContent("body"), /Rule “Hold lamps shipped to the US” enabled \(v1\)/);
    assert.match(await page.textContent("#rules"), /shipping_country == 'US' &amp;&amp; amount_minor >= 2000|shipping_country == 'US' && amount_minor >= 2000/);
    await logout(page);

    // The buyer pays; the order is held and says why.
    await login(page, base, BUYER);
    const orderUrl = await buy(page, base, "Walnut desk lamp");
    const held = await page.textContent("#held-for-review");
    assert.match(held, /held safely in escrow while Haven checks it/);
    assert.match(held, /Hold lamps shipped to the US/);
    await logout(page);

    // The agent approves it from the queue.
    await login(page, base, AGENT);
    await page.goto(`${base}/console/risk`);
    const orderId = orderUrl.split("/").pop();
    assert.match(await page.textContent(`#review-${orderId}`), /Hold lamps shipped to the US/);
    await page.fill(`#note-${orderId}`, "regular customer, address checked");
    await click(page, `#review-${orderId} button[value=approve]`);
    assert.match(await page.textContent("body"), /Approved: the seller can ship/);
    assert.equal(await page.locator(`#review-${orderId}`).count(), 0);
    await page.goto(orderUrl);
    assert.equal(await page.locator("#held-for-review").count(), 0);
    await snap(page, "risk-queue");
  } finally {
    await haven.stop();
  }
});

test("the listing checks hold a cheap branded fake, and an agent refuses its seller's brand proof", async () => {
  const haven = await startHaven();
  const { base } = haven;
  try {
    const page = await haven.browser.newPage();
    // Buyers never see the held fake: search finds only the real chargers.
    await page.goto(`${base}/search?q=voltra`);
    assert.doesNotMatch(await page.textContent("main"), /charger, original/);

    await login(page, base, AGENT);
    await page.goto(`${base}/console/safety`);
    const held = await page.textContent("#held-listings");
    assert.match(held, /Voltra PD65 charger, original/);
    assert.match(held, /protected brand "Voltra" at \d+% of the usual price/);
    assert.match(held, /Held by the listing checks/);
    const proofs = page.locator("#brand-proofs .review", { hasText: "Screenshot of a chat with our supplier" });
    assert.equal(await proofs.count(), 1);
    // Refusing needs a note for the seller.
    await proofs.locator("input[name=note]").fill("A chat screenshot is not proof; send an invoice from Voltra or its distributor.");
    await click(page, "#brand-proofs .review:has-text('Screenshot of a chat') button[value=refuse]");
    assert.match(await page.textContent("body"), /Voltra proof refused/);
    await logout(page);

    await login(page, base, "deals@demo.haven");
    await page.goto(`${base}/seller`);
    const brands = await page.textContent("#brands");
    assert.match(brands, /Refused/);
    assert.match(brands, /send an invoice from Voltra/);
    await snap(page, "listing-checks");
  } finally {
    await haven.stop();
  }
});

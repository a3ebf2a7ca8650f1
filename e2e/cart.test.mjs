// The cart in the browser: a buyer searches, filters, compares the sellers
// of one product, puts the cheapest offer and another store's item in the
// cart, applies a platform coupon, sees every total before paying (the
// final one on the button) and pays once for two orders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { click, startHaven, login, cents, snap } from "./harness.mjs";

const BUYER = "buyer@demo.haven";

async function resultTitles(page) {
  return page.$$eval("#results .card .title", (items) => items.map((i) => i.textContent.trim()));
}

// The demo's worker builds the search index just after start: wait for it.
async function searchUntilFound(page, base, query) {
  for (let attempt = 0; attempt < 50; attempt++) {
    await page.goto(`${base}/search?${query}`);
    if ((await resultTitles(page)).length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no results for ${query}`);
}

test("search, filter, compare sellers, coupon, one payment for two stores", async () => {
  const haven = await startHaven();
  const { base } = haven;
  try {
    const page = await haven.browser.newPage();
    await login(page, base, BUYER);

    // Search and filter: Guaranteed Genuine chargers that ship to the US.
    await searchUntilFound(page, base, "q=voltra+charger&to=US");
    await click(page, "[data-facet='Buyer safety'] a:has-text('Guaranteed Genuine')");
    const found = await resultTitles(page);
    assert.ok(found.length >= 2, `${found}`);
    assert.ok(found.every((t) => /charg/i.test(t)), `${found}`);

    // Compare the sellers of the product: cheapest delivered first.
    await click(page, "#results .card a:has-text('Voltra')");
    await click(page, "#compare-sellers");
    const offers = await page.$$eval("#offers tr.offer td:nth-child(4)", (cells) => cells.map((c) => c.textContent.trim()));
    assert.equal(offers.length, 3, `${offers}`);
    const delivered = offers.map(cents);
    assert.deepEqual(delivered, [...delivered].sort((a, b) => a - b), `${offers}`);
    await click(page, "#offers tr.offer >> nth=0 >> a:has-text('View')");
    await click(page, "#add-to-cart button");
    assert.match(await page.textContent("body"), /Added to your cart/);

    // Another store's item.
    await searchUntilFound(page, base, "q=merino+beanie");
    await click(page, "#results .card a:has-text('Merino wool beanie')");
    await click(page, "#add-to-cart button");

    await click(page, "#nav-cart");
    assert.equal(await page.locator(".cart-store").count(), 2);
    await click(page, "#cart-checkout");

    // Everything before paying: the address, the coupon, the totals.
    await page.fill("#name", "Ada Buyer");
    await page.fill("#line1", "1 Main Street");
    await page.fill("#city", "Springfield");
    await page.fill("#postal_code", "12345");
    await page.fill("#country", "US");
    const before = cents(await page.textContent("#total-card"));
    await page.fill("#coupon", "HAVEN10");
    await click(page, "#update-totals");
    assert.equal(await page.locator("#checkout-error").count(), 0);
    assert.equal(await page.locator(".store-order").count(), 2, "one order per store");
    const discount = cents((await page.textContent("#total-discounts")).replace("−", ""));
    assert.ok(discount > 0 && discount <= 800, `HAVEN10 takes 10 % up to 8.00: ${discount}`);
    const after = cents(await page.textContent("#total-card"));
    assert.equal(after, before - discount);
    const items = cents(await page.textContent("#total-items"));
    const shipping = cents(await page.textContent("#total-shipping"));
    assert.equal(after, items + shipping - discount, "the totals add up");
    assert.equal(await page.locator(".store-order .promised").count(), 2, "a promised date per order");
    assert.equal(cents((await page.textContent("#pay")).replace("Pay ", "")), after, "the final total is on the button");

    await page.fill("#card_number", "4242 4242 4242 4242");
    await page.fill("#exp", "12/30");
    await page.fill("#cvc", "123");
    await click(page, "#pay");
    assert.match(page.url(), /\/orders$/);
    assert.match(await page.textContent("body"), /Paid once for 2 orders/);
    await page.goto(`${base}/cart`);
    assert.equal(await page.locator("#cart-empty").count(), 1, "the bought lines left the cart");
    await snap(page, "cart-paid");
  } finally {
    await haven.stop();
  }
});

// Accessibility: axe-core (WCAG 2 A and AA rules) on the pages each kind of
// person uses, at a desktop and a phone width. A serious or critical
// violation anywhere fails the test, listing every one found.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { axeViolations, click, login, logout, payAtCheckout, startHaven } from "./harness.mjs";

// Set HAVEN_SCREENSHOTS to a folder to keep a picture of every page checked.
const SHOTS = process.env.HAVEN_SCREENSHOTS;

const SIZES = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 375, height: 740 },
];

// Who looks, and where. A path may be a function of the page, to follow a
// link to a page whose id the demo generates.
// An error page is checked too: `{ path, status }`.
const VISITS = [
  { who: "admin@demo.haven", paths: [webhookLog] },
  { who: null, paths: ["/", "/search?q=lamp", "/login", "/register", "/demo", firstListing, firstStore, compareSellers, { path: "/listings/not-a-listing", status: 404 }] },
  { who: "buyer@demo.haven", paths: ["/orders", "/disputes", "/account", "/notifications", "/cart", "/messages", askSeller, buyNow, cartCheckout, askedConversation, paidOrder] },
  { who: "lumen@demo.haven", paths: ["/seller", firstOrder, "/seller/disputes", "/seller/coupons", "/seller/listings/new", "/seller/listings", firstEdit, firstPhotos, firstShipping, "/seller/statement", "/messages"] },
  { who: "agent@demo.haven", paths: ["/console", "/console/safety", "/console/risk", "/console/risk/rules", "/console/reviews", "/console/commands", "/console/audit", "/console/coupons"] },
  { who: "admin@demo.haven", paths: ["/admin/webhooks", "/admin/settings", webhookLogWithDeliveries] },
];

// An endpoint's delivery log: the first endpoint's, added if there is none.
async function webhookLog(page, base) {
  await page.goto(`${base}/admin/webhooks`);
  const link = page.locator("a[href^='/admin/webhooks/']").first();
  if ((await link.count()) === 0) {
    await page.fill("#url", "https://erp.example.com/haven");
    await page.fill("#description", "The accounting system");
    await click(page, "form[action='/admin/webhooks'] button[type=submit]");
  }
  return page.locator("a[href^='/admin/webhooks/']").first().getAttribute("href");
}

// The same log once the buyer's payment has been fanned out to it (the
// worker does that within a second or two): rows with a Resend button.
async function webhookLogWithDeliveries(page, base) {
  const log = await webhookLog(page, base);
  for (let attempt = 0; attempt < 50; attempt++) {
    await page.goto(`${base}${log}`);
    if ((await page.locator("table tr td").count()) > 1) return log;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no delivery reached ${log}`);
}

// An order the buyer has just paid for (its page, with the countdown).
async function paidOrder(page, base) {
  await page.goto(`${base}${await firstListing(page, base)}`);
  return new URL(await payAtCheckout(page)).pathname;
}

// Compare sellers of the charger three stores sell.
async function compareSellers(page, base) {
  await page.goto(`${base}/search?q=voltra+charger`);
  await page.locator("a[href^='/listings/']").first().click();
  await page.waitForLoadState();
  const link = page.locator("#compare-sellers");
  assert.ok(await link.count(), "the charger's page offers to compare sellers");
  return link.getAttribute("href");
}

// The store behind the first listing.
async function firstStore(page, base) {
  await page.goto(`${base}${await firstListing(page, base)}`);
  return page.locator("a[href^='/stores/']").first().getAttribute("href");
}

// The buy-now checkout of the first listing.
async function buyNow(page, base) {
  return (await firstListing(page, base)).replace("/listings/", "/checkout/");
}

// The cart's checkout, with one item in the cart.
async function cartCheckout(page, base) {
  await page.goto(`${base}${await firstListing(page, base)}`);
  await page.click("#add-to-cart button[type=submit]");
  return "/cart/checkout";
}

// A conversation: the buyer's question to a seller, once sent.
async function askedConversation(page, base) {
  await page.goto(`${base}${await askSeller(page, base)}`);
  // Asked already (the first screen size): the form opens the thread.
  if (!new URL(page.url()).pathname.startsWith("/messages/")) {
    await page.fill("#text", "Does it come with a warranty?");
    await Promise.all([page.waitForURL(/\/messages\//), page.click("#send-question")]);
  }
  return new URL(page.url()).pathname;
}

async function firstListing(page, base) {
  await page.goto(`${base}/?category=home`);
  return page.locator("a[href^='/listings/']").first().getAttribute("href");
}

// The form that starts a question to a seller.
async function askSeller(page, base) {
  return `${await firstListing(page, base)}/ask`;
}

// The edit form of the seller's first listing.
async function firstEdit(page, base) {
  await page.goto(`${base}/seller/listings`);
  return page.locator("a[href$='/edit']").first().getAttribute("href");
}

// The photo and shipping pages of the seller's first listing.
async function firstPhotos(page, base) {
  await page.goto(`${base}/seller/listings`);
  return page.locator("a[href$='/photos']").first().getAttribute("href");
}

async function firstShipping(page, base) {
  await page.goto(`${base}/seller/listings`);
  return page.locator("a[href$='/shipping']").first().getAttribute("href");
}

// The demo's history gives every store orders; the buyer starts with none.
async function firstOrder(page, base) {
  await page.goto(`${base}/seller`);
  return page.locator("a[href^='/orders/']").first().getAttribute("href");
}

test("no serious or critical accessibility violations, on desktop and phone", { timeout: 600_000 }, async () => {
  const haven = await startHaven();
  const found = [];
  let pagesChecked = 0;
  try {
    for (const size of SIZES) {
      // The pages' CSP refuses injected scripts, as it should; the audit
      // alone is let through.
      const context = await haven.browser.newContext({ bypassCSP: true, viewport: { width: size.width, height: size.height } });
      const page = await context.newPage();
      for (const visit of VISITS) {
        if (visit.who) await login(page, haven.base, visit.who);
        for (const entry of visit.paths) {
          const wanted = entry.status ?? 200;
          const path = typeof entry === "function" ? await entry(page, haven.base) : entry.path ?? entry;
          assert.ok(path, `a page to check for ${visit.who ?? "a visitor"}`);
          const response = await page.goto(`${haven.base}${path}`);
          assert.equal(response.status(), wanted, `${path} as ${visit.who ?? "a visitor"}`);
          if (SHOTS) {
            mkdirSync(SHOTS, { recursive: true });
            const slug = `${visit.who?.split("@")[0] ?? "visitor"}${path.replace(/[^a-z0-9]+/gi, "-")}`.replace(/-+$/, "");
            await page.screenshot({ path: join(SHOTS, `${size.name}-${slug}.png`), fullPage: false });
          }
          for (const violation of await axeViolations(page)) {
            found.push({ size: size.name, who: visit.who ?? "visitor", path, ...violation });
          }
          pagesChecked += 1;
        }
        if (visit.who) await logout(page);
      }
      await context.close();
    }
  } finally {
    await haven.stop();
  }
  assert.equal(pagesChecked, 2 * VISITS.reduce((n, v) => n + v.paths.length, 0));
  assert.deepEqual(found, [], JSON.stringify(found, null, 2));
});

// Account security in a real browser: turn on 2FA from the account page by
// scanning (here: reading) the secret, then log in with a code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startHaven, click, logout, snap, totp } from "./harness.mjs";

/** RFC 4648 base32 (no padding) to bytes. */

test("a buyer turns on 2FA and then logs in with a code", async () => {
  const haven = await startHaven();
  try {
    const page = await haven.browser.newPage();
    const email = `twofa-${Date.now()}@example.com`;
    const password = "juniper cobalt meadow 2031";
    await page.goto(`${haven.base}/register`);
    await page.fill("#display_name", "Tess Two-Factor");
    await page.fill("#email", email);
    await page.fill("#password", password);
    await click(page, "button[type=submit]");

    await page.goto(`${haven.base}/account`);
    assert.match(await page.textContent("#two-factor"), /off/);
    await click(page, "#setup-2fa");
    assert.ok(await page.isVisible(".qr svg"), "a QR code to scan");
    const secret = (await page.textContent("#totp-secret")).trim();
    // The recovery codes come with the setup, to be saved before 2FA is on.
    const codes = await page.$$eval("#recovery-codes code", (els) => els.map((e) => e.textContent));
    assert.equal(codes.length, 10, "ten recovery codes");
    await page.fill("#enable-code", totp(secret, Date.now() / 1000));
    await click(page, "button:has-text('Turn on 2FA')");
    assert.match(await page.textContent("#flash"), /Two-factor authentication is on/);
    assert.equal(await page.$("#recovery-codes"), null, "not shown again once 2FA is on");

    await logout(page);
    await page.goto(`${haven.base}/login`);
    await page.fill("#email", email);
    await page.fill("#password", password);
    await click(page, "button[type=submit]");
    assert.match(await page.textContent("h1"), /Two-factor authentication/);
    await page.fill("#code", "000000");
    await click(page, "button:has-text('Verify')");
    assert.match(await page.textContent("[role=alert]"), /not valid/);
    // The next step's code: the one used to turn 2FA on cannot be replayed.
    await page.fill("#code", totp(secret, Date.now() / 1000 + 30));
    await click(page, "button:has-text('Verify')");
    assert.match(await page.textContent("nav"), /Tess Two-Factor/);
    await page.goto(`${haven.base}/account`);
    assert.match(await page.textContent("#two-factor"), /on/);
    await snap(page, "two-factor");
  } finally {
    await haven.stop();
  }
});

// Starts the real haven binary in demo mode on a free port with a fresh
// database, and launches Debian's Chromium through playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BIN = process.env.HAVEN_BIN ?? new URL("../target/debug/haven", import.meta.url).pathname;
export const PASSWORD = "haven-demo-password";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitUntilUp(base, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`haven exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/api/v1/listings?limit=1`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("haven did not start in time");
}

export async function startHaven() {
  const dir = mkdtempSync(join(tmpdir(), "haven-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ["demo", "--bind", `127.0.0.1:${port}`, "--database-url", `sqlite://${dir}/demo.db`], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitUntilUp(base, child, 60_000);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    base,
    browser,
    async stop() {
      await browser.close();
      child.kill("SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function login(page, base, email) {
  await page.goto(`${base}/login`);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

export async function logout(page) {
  await Promise.all([page.waitForNavigation(), page.click("nav form button")]);
}

/** Click and wait for the page it leads to. */
export async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** Buy one of a home-category listing with the test card; returns the order page URL. */
export async function buy(page, base, title) {
  await page.goto(`${base}/?category=home`);
  await click(page, `text=${title}`);
  return payAtCheckout(page);
}

// From a listing page: Buy now, a US address and the test card that pays.
export async function payAtCheckout(page) {
  await click(page, "text=Buy now");
  await page.fill("#name", "Ada Buyer");
  await page.fill("#line1", "1 Main Street");
  await page.fill("#city", "Springfield");
  await page.fill("#postal_code", "12345");
  await page.selectOption("#country", "US");
  await page.fill("#card_number", "4242 4242 4242 4242");
  await page.fill("#exp", "12/30");
  await page.fill("#cvc", "123");
  await click(page, "button:has-text('Pay')");
  return page.url();
}

// The first amount in "$952.20" (or "-$1,234.50", or a deal's "$29.00
// $45.00") as cents: the pages write money as English does, and the
// browser asks for English.
export function cents(text) {
  const match = text.trim().match(/(-)?[^\d-]*(\d[\d,]*(?:\.\d+)?)/);
  if (!match) return NaN;
  const amount = Number(match[2].replace(/,/g, ""));
  return Math.round((match[1] ? -amount : amount) * 100);
}

// The signed-in seller's available balance, in cents (the demo's history
// has already paid every demo store, so tests compare differences).
export async function availableBalance(page, base) {
  await page.goto(`${base}/seller`);
  return cents(await page.textContent("#available-balance"));
}

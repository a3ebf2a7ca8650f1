// Starts the real haven binary in demo mode on a free port with a fresh
// database, and launches Debian's Chromium through playwright-core.
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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
    // In its own folder: the demo writes its emails to ./haven-data/mail.
    cwd: dir,
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
    dir,
    /** `haven verify` on the demo's database: its report, and whether it passed. */
    verify() {
      const out = spawnSync(BIN, ["verify", "--database-url", `sqlite://${dir}/demo.db`], { encoding: "utf8" });
      return { ok: out.status === 0, report: `${out.stdout}${out.stderr}` };
    },
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
  await Promise.all([page.waitForNavigation(), page.click("nav form button:visible")]);
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

// From a listing page: Buy now, a US address and a test card (by default
// the one that pays).
export async function payAtCheckout(page, card = "4242 4242 4242 4242") {
  await click(page, "text=Buy now");
  await page.fill("#name", "Ada Buyer");
  await page.fill("#line1", "1 Main Street");
  await page.fill("#city", "Springfield");
  await page.fill("#postal_code", "12345");
  await page.selectOption("#country", "US");
  await page.fill("#card_number", card);
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

// Screenshots of what a person sees, at desktop and phone sizes, into
// e2e/screenshots/ (or $HAVEN_SCREENSHOTS): the journeys' record, and
// where the README's pictures come from.
const SHOTS = process.env.HAVEN_SCREENSHOTS ?? new URL("./screenshots/", import.meta.url).pathname;
const SIZES = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 375, height: 812 },
];

export async function snap(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.screenshot({ path: join(SHOTS, `${name}-${size.name}.png`), fullPage: false });
  }
  await page.setViewportSize({ width: SIZES[0].width, height: SIZES[0].height });
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** The serious and critical WCAG 2 A/AA violations axe-core finds on the
 * page as it is (the page's context must bypass CSP to let axe in). */
export async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
}

/** axe on the page as it is, at desktop and phone widths; each violation
 * is labelled with `label` and the size. The page is left at desktop size. */
export async function axeAtBothSizes(page, label) {
  const found = [];
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const violation of await axeViolations(page)) found.push({ page: label, size: size.name, ...violation });
  }
  await page.setViewportSize({ width: SIZES[0].width, height: SIZES[0].height });
  return found;
}

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const value = alphabet.indexOf(ch);
    if (value < 0) throw new Error(`not base32: ${ch}`);
    bits += value.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), what an authenticator app shows. */
export function totp(secretBase32, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", base32Decode(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

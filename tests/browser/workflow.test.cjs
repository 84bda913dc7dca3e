// The rectification loop in a real browser together with real tablets:
// headless Chromium (Debian's `chromium`) driven by playwright-core against a
// real paicha-server on loopback.
//
// Run by tests/tests/browser_console.rs (`the_review_flow_between_tablets_and_the_console`),
// which starts the server, sets the passwords, has an inspector's tablet
// report two hidden dangers and the enterprise's tablet submit evidence for
// the first, runs this script, and afterwards checks on the tablets that
// the approval made here and the evidence uploaded here (with its photo)
// arrived. Environment: PAICHA_CONSOLE_URL, PAICHA_TEST_PASSWORD,
// PAICHA_REVIEWED (the hazard with the tablet's evidence), PAICHA_UPLOAD (the
// hazard whose evidence is uploaded from the browser), PAICHA_EVIL_TEXT (the
// HTML in its description), CHROMIUM, PLAYWRIGHT_CORE, PAICHA_SCREENSHOTS.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
function fail(message) {
  console.error(`browser tests: ${message}`);
  process.exit(1);
}
const need = (name) => process.env[name] || fail(`${name} is not set (see the head of ${path.relative(root, __filename)})`);

const BASE = need("PAICHA_CONSOLE_URL").replace(/\/$/, "");
const PASSWORD = need("PAICHA_TEST_PASSWORD");
const REVIEWED = need("PAICHA_REVIEWED");
const UPLOAD = need("PAICHA_UPLOAD");
const EVIL = need("PAICHA_EVIL_TEXT");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PW = process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/playwright/node_modules/playwright-core");
const SHOTS = process.env.PAICHA_SCREENSHOTS || path.join(root, "docs/screenshots");
const JPEG = path.join(__dirname, "fixtures", "upload.jpg");

if (!fs.existsSync(CHROMIUM)) fail(`no browser at ${CHROMIUM}: run bash scripts/install-tools.sh or set CHROMIUM`);
if (!fs.existsSync(path.join(PW, "package.json"))) fail(`playwright-core is not in ${PW}: run bash scripts/install-tools.sh`);
const { chromium } = require(PW);

let passed = 0;
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
  } catch (e) {
    console.error(`FAIL ${name}\n${e && e.stack ? e.stack : e}`);
    throw e;
  }
  passed += 1;
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

async function signIn(page, login) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("账号").fill(login);
  await page.getByLabel("密码").fill(PASSWORD);
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "登录" }).click()]);
  assert.equal(new URL(page.url()).pathname, "/", `${login} signed in`);
}

// Every visible control has a label with text (or an aria-label), every button a name.
async function assertLabelled(page, where) {
  const unlabelled = await page.$$eval("input:not([type=hidden]), select, textarea", (els) =>
    els
      .filter((el) => !(el.labels && el.labels.length > 0 && el.labels[0].textContent.trim()) && !el.getAttribute("aria-label"))
      .map((el) => el.name || el.id)
  );
  assert.deepEqual(unlabelled, [], `unlabelled controls on ${where}`);
  const nameless = await page.$$eval("button", (els) => els.filter((b) => !b.textContent.trim()).length);
  assert.equal(nameless, 0, `buttons without a name on ${where}`);
}

// No script from user text ran.
async function assertNotPwned(page) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "a script from user text ran");
}

(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  const newContext = () =>
    browser.newContext({ locale: "zh-CN", timezoneId: "Asia/Shanghai", viewport: { width: 1200, height: 800 } });
  let exitCode = 0;
  try {
    await step("the tablet's evidence is in the supervisor's review queue, photos side by side, user HTML as text", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "sup-chen");
      await page.goto(`${BASE}/review`);
      const card = page.locator(`article[data-hazard="${REVIEWED}"]`);
      await card.waitFor();
      await card.getByText(EVIL).first().waitFor(); // shown literally
      await assertNotPwned(page);
      // Both photos are served (in scope) and decode as images.
      for (const side of ["before", "after"]) {
        const img = card.locator(`section.${side} img`).first();
        await img.waitFor();
        const ok = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
        assert.ok(ok, `${side} photo loads`);
      }
      await assertLabelled(page, "/review");
      await page.screenshot({ path: path.join(SHOTS, "review-queue.png"), fullPage: true });
      await context.close();
    });

    await step("keyboard only: from the queue's opinion field to the approval, then the case file", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "sup-chen");
      await page.goto(`${BASE}/review`);
      // Tab from the top of the page to the card's opinion field.
      let reached = false;
      for (let i = 0; i < 60 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await page.evaluate(
          (id) => {
            const el = document.activeElement;
            return !!el && el.name === "opinion" && !!el.closest(`article[data-hazard="${id}"]`);
          },
          REVIEWED
        );
      }
      assert.ok(reached, "the opinion field is reachable with Tab");
      await page.keyboard.type("整改到位，同意销号");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "通过复查（销号）");
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      assert.equal(new URL(page.url()).pathname, `/hazards/${REVIEWED}`);
      await page.getByText("已记录：复查").waitFor();
      assert.equal((await page.textContent("#status")).trim(), "已销号");
      // The case file names the device and both times of every event (R1).
      const history = await page.$$eval("table.history tbody tr", (rows) => rows.map((r) => r.textContent));
      assert.ok(history.some((t) => t.includes("web-sup-chen") && t.includes("镇街监管人员")), history.join("\n"));
      assert.ok(history.some((t) => t.includes("tab-ent-a")), "the tablet's evidence is in the history");
      await assertNotPwned(page);
      await page.emulateMedia({ media: "print" });
      assert.equal(await page.locator("header.top").isVisible(), false, "print hides the navigation");
      await page.screenshot({ path: path.join(SHOTS, "case-file-print.png"), fullPage: true });
      await context.close();
    });

    let uploadedSha = "";
    await step("the enterprise uploads evidence with a JPEG from the browser; a GIF is refused", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "ent-a");
      await page.goto(`${BASE}/hazards`);
      await page.locator(`tr[data-hazard="${UPLOAD}"] a`).click();
      await page.waitForURL(`**/hazards/${UPLOAD}`);
      await assertLabelled(page, "the enterprise's hazard page");
      // Not a JPEG: refused, named, nothing changed.
      await page.getByLabel("整改情况说明").fill("已加装防护罩");
      await page.getByLabel(/^整改后照片（JPEG/).setInputFiles({ name: "x.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a not a jpeg") });
      const [refused] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "提交整改材料" }).click()]);
      assert.equal(refused.status(), 400);
      await page.getByText("不是 JPEG").waitFor();
      await page.goBack();
      await page.reload();
      assert.equal((await page.textContent("#status")).trim(), "整改中");
      await page.getByLabel("整改情况说明").fill("已加装防护罩<script>window.__pwned=3</script>");
      await page.getByLabel("整改完成日期").fill(new Date().toISOString().slice(0, 10));
      await page.getByLabel(/^整改后照片（JPEG/).setInputFiles(JPEG);
      await page.screenshot({ path: path.join(SHOTS, "enterprise-evidence.png"), fullPage: true });
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "提交整改材料" }).click()]);
      await page.getByText("已记录：提交整改材料").waitFor();
      assert.equal((await page.textContent("#status")).trim(), "待复查");
      await assertNotPwned(page);
      const src = await page.locator("section.after img").first().getAttribute("src");
      uploadedSha = src.split("/").pop();
      assert.match(uploadedSha, /^[0-9a-f]{64}$/);
      await context.close();
    });

    await step("another enterprise reaches neither the record nor its photo by URL", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "ent-b");
      for (const url of [`/hazards/${UPLOAD}`, `/photos/${uploadedSha}`, `/hazards/${REVIEWED}`]) {
        const r = await page.goto(`${BASE}${url}`);
        assert.equal(r.status(), 404, url);
        assert.doesNotMatch(await page.content(), /防护罩|灭火器/);
      }
      await page.goto(`${BASE}/hazards`);
      assert.equal(await page.locator(`tr[data-hazard="${UPLOAD}"]`).count(), 0);
      await context.close();
    });

    await step("an inspector trying to close in the console is refused by R8, nothing changes", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "insp-wang");
      await page.goto(`${BASE}/hazards/${UPLOAD}`);
      assert.equal(await page.getByRole("button", { name: "通过复查（销号）" }).count(), 0, "no such form for an inspector");
      // Posting the review anyway, with a valid token of this session.
      const status = await page.evaluate(async (id) => {
        const csrf = document.querySelector("input[name=csrf]").value;
        const r = await fetch(`/hazards/${id}/act`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ csrf, action: "review_approve", opinion: "关闭" }).toString(),
          redirect: "manual",
        });
        const text = await r.text();
        return [r.status, text.includes("规则 R8")];
      }, UPLOAD);
      assert.deepEqual(status, [403, true]);
      await page.reload();
      assert.equal((await page.textContent("#status")).trim(), "待复查");
      await context.close();
    });

    await step("the district's pages: verification, overdue board, statistics with chart and exports, quarantine", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "admin-xu");
      for (const [url, shot] of [
        ["/verification", "verification-queue.png"],
        ["/overdue", "overdue-board.png"],
        ["/stats?group=township", "statistics.png"],
        ["/quarantine", "quarantine.png"],
        ["/policy", "policy.png"],
      ]) {
        const r = await page.goto(`${BASE}${url}`);
        assert.equal(r.status(), 200, url);
        await assertLabelled(page, url);
        await page.screenshot({ path: path.join(SHOTS, shot), fullPage: true });
      }
      await page.goto(`${BASE}/stats?group=township`);
      assert.equal(await page.locator("figure.chart svg rect").count() > 0, true);
      const csv = await page.request.get(`${BASE}/stats.csv?group=township`);
      assert.equal(csv.status(), 200);
      assert.match(await csv.text(), /玉山镇/);
      const xlsx = await page.request.get(`${BASE}/stats.xlsx?group=township`);
      assert.equal(xlsx.status(), 200);
      assert.equal((await xlsx.body()).subarray(0, 2).toString(), "PK");
      await context.close();
    });

    await step("the supervisor's overdue board and the enterprise's list", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "sup-chen");
      await page.goto(`${BASE}/overdue`);
      await assertLabelled(page, "/overdue");
      await page.goto(`${BASE}/hazards/${UPLOAD}`);
      await page.screenshot({ path: path.join(SHOTS, "case-file.png"), fullPage: true });
      await context.close();
      const ent = await newContext();
      const p2 = await ent.newPage();
      await signIn(p2, "ent-a");
      await p2.goto(`${BASE}/hazards`);
      await p2.screenshot({ path: path.join(SHOTS, "enterprise-hazards.png"), fullPage: true });
      await ent.close();
    });
  } catch (e) {
    exitCode = 1;
  } finally {
    await browser.close();
  }
  console.log(`${passed} browser steps passed`);
  process.exit(exitCode);
})();

// The web console in a real browser: headless Chromium (Debian's `chromium`)
// driven by playwright-core, against a real paicha-server on loopback.
//
// Run by tests/tests/browser_console.rs, which starts the server, sets the
// passwords, enrolls the tablet whose device is revoked here, and checks
// afterwards that the tablet's sync is refused. By hand:
//
//   PAICHA_CONSOLE_URL=http://127.0.0.1:7878 PAICHA_TEST_PASSWORD=... \
//   PAICHA_REVOKE_DEVICE=tab-x PAICHA_EVIL_USER=evil-1 node tests/browser/console.test.cjs
//
// Environment: CHROMIUM (default /usr/bin/chromium), PLAYWRIGHT_CORE (default
// .tools/playwright/node_modules/playwright-core), PAICHA_SCREENSHOTS
// (default docs/screenshots). Exits non-zero on the first failure, and when
// the browser or playwright-core is missing (never a silent skip).
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const need = (name) => {
  const v = process.env[name];
  if (!v) fail(`${name} is not set (see the head of ${path.relative(root, __filename)})`);
  return v;
};
function fail(message) {
  console.error(`browser tests: ${message}`);
  process.exit(1);
}

const BASE = need("PAICHA_CONSOLE_URL").replace(/\/$/, "");
const PASSWORD = need("PAICHA_TEST_PASSWORD");
const REVOKE = need("PAICHA_REVOKE_DEVICE");
const EVIL = need("PAICHA_EVIL_USER");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PW = process.env.PLAYWRIGHT_CORE || path.join(root, ".tools/playwright/node_modules/playwright-core");
const SHOTS = process.env.PAICHA_SCREENSHOTS || path.join(root, "docs/screenshots");

if (!fs.existsSync(CHROMIUM)) {
  fail(`no browser at ${CHROMIUM}: install Debian's chromium (bash scripts/install-tools.sh) or set CHROMIUM`);
}
if (!fs.existsSync(path.join(PW, "package.json"))) {
  fail(`playwright-core is not in ${PW}: run bash scripts/install-tools.sh or set PLAYWRIGHT_CORE`);
}
const { chromium } = require(PW);

const SESSION = "paicha_session";
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

async function sessionCookie(context) {
  const cookies = await context.cookies(BASE);
  return cookies.find((c) => c.name === SESSION);
}

async function signIn(page, login, password) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("账号").fill(login);
  await page.getByLabel("密码").fill(password);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole("button", { name: "登录" }).click(),
  ]);
  return response;
}

(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const newContext = () =>
    browser.newContext({ locale: "zh-CN", timezoneId: "Asia/Shanghai", viewport: { width: 1200, height: 760 } });
  let exitCode = 0;
  try {
    await step("the login form: labels on every control, keyboard only, screenshot", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await page.goto(`${BASE}/login`);
      assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
      // Every visible control of the form has a label (or, for buttons, a name).
      const unlabelled = await page.$$eval("form input:not([type=hidden]), form select, form textarea", (els) =>
        els.filter((el) => !(el.labels && el.labels.length > 0 && el.labels[0].textContent.trim())).map((el) => el.name)
      );
      assert.deepEqual(unlabelled, []);
      const nameless = await page.$$eval("button", (els) => els.filter((b) => !b.textContent.trim()).length);
      assert.equal(nameless, 0);
      await page.screenshot({ path: path.join(SHOTS, "login.png") });
      // Keyboard: the name field has focus, Tab goes to the password, then the button; Enter signs in.
      assert.equal(await page.evaluate(() => document.activeElement.id), "login");
      await page.keyboard.type("sup-chen");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), "password");
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "登录");
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      assert.equal(new URL(page.url()).pathname, "/");
      await assert.doesNotReject(page.getByText("镇街监管人员").first().waitFor());
      await context.close();
    });

    await step("a wrong password is refused and signs nobody in", async () => {
      const context = await newContext();
      const page = await context.newPage();
      const response = await signIn(page, "sup-chen", "not-the-password");
      assert.equal(response.status(), 401);
      assert.equal(new URL(page.url()).pathname, "/login");
      await page.getByText("账号或密码错误").waitFor();
      assert.equal(await sessionCookie(context), undefined);
      await context.close();
    });

    await step("sign-in makes a new session id (no fixation); home shows who, role and scope; screenshot", async () => {
      const context = await newContext();
      const planted = "ab".repeat(32);
      await context.addCookies([{ name: SESSION, value: planted, url: BASE }]);
      const page = await context.newPage();
      const response = await signIn(page, "sup-chen", PASSWORD);
      assert.equal(response.status(), 200);
      const cookie = await sessionCookie(context);
      assert.ok(cookie, "a session cookie");
      assert.notEqual(cookie.value, planted);
      assert.match(cookie.value, /^[0-9a-f]{64}$/);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Lax");
      await page.getByText("欢迎，陈监管。").waitFor();
      assert.equal((await page.textContent("#scope")).trim(), "玉山镇");
      await page.screenshot({ path: path.join(SHOTS, "home-supervisor.png"), fullPage: true });
      // Signed in, the sign-in page sends the person home.
      await page.goto(`${BASE}/login`);
      assert.equal(new URL(page.url()).pathname, "/");
      await context.close();
    });

    await step("a POST without the CSRF token, or with a wrong one, is refused and changes nothing", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "sup-chen", PASSWORD);
      const missing = await page.request.post(`${BASE}/logout`, { form: {}, maxRedirects: 0 });
      assert.equal(missing.status(), 403);
      assert.match(await missing.text(), /安全令牌/);
      const wrong = await page.request.post(`${BASE}/logout`, { form: { csrf: "0".repeat(64) }, maxRedirects: 0 });
      assert.equal(wrong.status(), 403);
      // A script in the page (fetch) fares no better without the token.
      const viaFetch = await page.evaluate(async () => {
        const r = await fetch("/logout", {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: "csrf=",
          redirect: "manual",
        });
        return r.status;
      });
      assert.equal(viaFetch, 403);
      // Still signed in.
      const home = await page.goto(`${BASE}/`);
      assert.equal(new URL(home.url()).pathname, "/");
      await page.getByText("欢迎，陈监管。").waitFor();
      // The sign-in form is protected too.
      const login = await page.request.post(`${BASE}/login`, {
        form: { login: "sup-chen", password: PASSWORD },
        maxRedirects: 0,
      });
      assert.equal(login.status(), 403);
      await context.close();
    });

    await step("sign-out ends the session on the server: the old cookie no longer works", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "sup-chen", PASSWORD);
      const old = await sessionCookie(context);
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "退出登录" }).click()]);
      assert.equal(new URL(page.url()).pathname, "/login");
      await page.getByText("您已退出登录。").waitFor();
      // Put the old cookie back in a fresh browser: it is worthless.
      const replay = await newContext();
      await replay.addCookies([{ name: SESSION, value: old.value, url: BASE }]);
      const p2 = await replay.newPage();
      await p2.goto(`${BASE}/`);
      assert.equal(new URL(p2.url()).pathname, "/login");
      await replay.close();
      await context.close();
    });

    await step("five wrong passwords lock the account, known or not, without saying which", async () => {
      const context = await newContext();
      const page = await context.newPage();
      const messages = {};
      for (const login of ["ent-a", "ghost-user"]) {
        for (let i = 1; i <= 4; i++) {
          const r = await signIn(page, login, `wrong-${i}-password`);
          assert.equal(r.status(), 401, `${login} attempt ${i}`);
        }
        const fifth = await signIn(page, login, "wrong-5-password");
        assert.equal(fifth.status(), 401);
        await page.getByText("请 1 分钟后再试").waitFor();
        // Now even the right password waits.
        const locked = await signIn(page, login, PASSWORD);
        assert.equal(locked.status(), 429);
        messages[login] = (await page.textContent("[role=alert]")).trim();
        assert.equal(await sessionCookie(context), undefined);
      }
      assert.equal(messages["ent-a"], messages["ghost-user"], "the same words for an existing and a made-up account");
      await context.close();
    });

    await step("HTML in a person's name is shown as text, never run", async () => {
      const context = await newContext();
      const page = await context.newPage();
      const dialogs = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss();
      });
      await signIn(page, EVIL, PASSWORD);
      assert.equal(new URL(page.url()).pathname, "/");
      const shown = await page.textContent("table.facts tbody tr:nth-child(2) td");
      assert.match(shown, /<script>/);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      assert.equal(await page.locator("table.facts script, table.facts img").count(), 0);
      assert.deepEqual(dialogs, []);
      await context.close();
    });

    await step("a district admin issues an enrollment code and revokes a device; screenshots", async () => {
      const context = await newContext();
      const page = await context.newPage();
      await signIn(page, "admin-xu", PASSWORD);
      assert.equal((await page.textContent("#scope")).trim(), "全区");
      await page.screenshot({ path: path.join(SHOTS, "home-admin.png"), fullPage: true });
      await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "设备", exact: true }).click()]);
      assert.equal(new URL(page.url()).pathname, "/devices");
      const row = page.locator(`tr[data-device="${REVOKE}"]`);
      assert.equal((await row.locator("td.state").textContent()).trim(), "已注册");
      // Issue a code for a new tablet.
      await page.getByLabel("设备编号").fill("tab-new-li");
      await page.getByLabel("使用人").selectOption("insp-li");
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "签发注册码" }).click()]);
      const issued = await page.textContent("[role=status]");
      assert.match(issued, /tab-new-li/);
      assert.match(issued, /注册码：[0-9A-F]{12}/);
      assert.equal((await page.locator('tr[data-device="tab-new-li"] td.state').textContent()).trim(), "等待注册");
      // Revoke the enrolled tablet, confirming the question.
      let asked = "";
      page.once("dialog", (d) => {
        asked = d.message();
        d.accept();
      });
      await Promise.all([page.waitForNavigation(), row.getByRole("button", { name: `吊销设备 ${REVOKE}` }).click()]);
      assert.match(asked, new RegExp(`确定吊销设备 ${REVOKE}`));
      await page.getByText(`设备 ${REVOKE} 已吊销`).waitFor();
      assert.match(await page.locator(`tr[data-device="${REVOKE}"] td.state`).textContent(), /^已吊销/);
      await page.screenshot({ path: path.join(SHOTS, "devices.png"), fullPage: true });
      await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: "用户", exact: true }).click()]);
      // The evil name is text here too.
      await page.getByText("<script>", { exact: false }).first().waitFor();
      await page.screenshot({ path: path.join(SHOTS, "users.png"), fullPage: true });
      await context.close();
    });
    console.log(`browser tests: ${passed} passed`);
  } catch (e) {
    exitCode = 1;
  } finally {
    await browser.close();
  }
  process.exit(exitCode);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

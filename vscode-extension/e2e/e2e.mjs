// Playwright (playwright-core + Debian chromium) script driving code-server; started by e2e/run.sh.
// Records every step in $E2E_OUT/summary.json (pass / fail / not run) and screenshots next to it.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const { E2E_URL, E2E_WS, E2E_MODE = "fake", E2E_OUT = ".", E2E_DOCS_PNG, E2E_LOGS } = process.env;
const real = E2E_MODE === "real";
const GEN_TIMEOUT = real ? 300_000 : 30_000;
const results = [];
let failed = false;

const shot = async (page, name) => {
  const file = path.join(E2E_OUT, `${name}.png`);
  await page.screenshot({ path: file }).catch(() => {});
  return file;
};

/** The last lines of the extension's "TestTailor" output channel (the server's log), for a failed step. */
function serverLogTail(lines = 25) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name === "TestTailor.log") {
        found.push(p);
      }
    }
  };
  if (E2E_LOGS) {
    walk(E2E_LOGS);
  }
  return found.flatMap((f) => fs.readFileSync(f, "utf8").trimEnd().split("\n").slice(-lines));
}

async function step(page, name, fn) {
  if (failed) {
    results.push({ name, status: "not run" });
    return undefined;
  }
  const t0 = Date.now();
  try {
    const detail = await fn();
    results.push({ name, status: "pass", ms: Date.now() - t0, ...(detail === undefined ? {} : { detail }) });
    console.log(`PASS ${name}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
    return detail;
  } catch (e) {
    failed = true;
    const file = await shot(page, `FAIL-${name.replace(/\W+/g, "-")}`);
    results.push({ name, status: "fail", ms: Date.now() - t0, error: String(e?.message ?? e).split("\n").slice(0, 6).join("\n"), screenshot: file, serverLog: serverLogTail() });
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
    return undefined;
  }
}

const statusItem = (page) => page.locator(".statusbar .statusbar-item").filter({ hasText: /TestTailor:/ }).first();
const toasts = (page) => page.locator(".notifications-toasts .notification-toast");
const rows = (page) => page.locator(".quick-input-widget .monaco-list-row");

async function waitStatus(page, re, timeout) {
  await page.waitForFunction(
    (src) => [...document.querySelectorAll(".statusbar .statusbar-item")].some((e) => new RegExp(src).test(e.textContent ?? "")),
    re.source,
    { timeout, polling: 250 },
  );
  return (await statusItem(page).textContent())?.trim();
}

async function waitToast(page, re, timeout) {
  const t = toasts(page).filter({ hasText: re }).first();
  await t.waitFor({ state: "visible", timeout });
  return (await t.innerText()).replace(/\s+/g, " ").trim();
}

async function palette(page, text) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${text}`);
  await page.waitForTimeout(400);
}

async function runCommand(page, title) {
  await palette(page, title);
  const row = rows(page).filter({ hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: 10_000 });
  await page.keyboard.press("Enter");
}

function countTests(ws) {
  const counts = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith(".java")) {
        counts[path.relative(ws, p)] = (fs.readFileSync(p, "utf8").match(/@Test\b/g) ?? []).length;
      }
    }
  };
  walk(path.join(ws, "src", "test"));
  return counts;
}

/** A focal method: env E2E_FILE (relative) or the first public non-constructor method of cart/Cart.java. */
function focal(ws) {
  const rel = process.env.E2E_FILE ?? "src/main/java/io/shopkit/cart/Cart.java";
  const lines = fs.readFileSync(path.join(ws, rel), "utf8").split("\n");
  const cls = path.basename(rel, ".java");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+public\s+(?:static\s+)?(?:final\s+)?[\w<>[\], ?]+\s+(\w+)\s*\(/.exec(lines[i]);
    if (m && m[1] !== cls) {
      return { rel, line: i + 1, column: lines[i].indexOf(m[1]) + 2, method: m[1] };
    }
  }
  throw new Error(`no public method in ${rel}`);
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: !process.env.E2E_HEADED, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.setDefaultTimeout(30_000);

await step(page, "workbench loads", async () => {
  await page.goto(E2E_URL);
  await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });
});

await step(page, "status bar item shows (extension activated)", async () => waitStatus(page, /TestTailor:/, 60_000));

const f = focal(E2E_WS);
await step(page, `open ${path.basename(f.rel)} at ${f.method} (line ${f.line})`, async () => {
  await page.keyboard.press("Control+P");
  await page.locator(".quick-input-widget input").fill(f.rel);
  await rows(page).first().waitFor({ state: "visible" });
  await page.waitForTimeout(300);
  await page.keyboard.press("Enter");
  await page.locator(".tabs-container .tab.active").filter({ hasText: path.basename(f.rel) }).waitFor({ state: "visible" });
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").fill(`:${f.line}:${f.column}`);
  await page.waitForTimeout(200);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(500);
  return { status: await statusItem(page).textContent() };
});

await step(page, "palette lists the four TestTailor commands", async () => {
    await palette(page, "TestTailor:");
  await page.waitForTimeout(800);
  const labels = (await rows(page).allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim());
  await page.keyboard.press("Escape");
  await page.waitForTimeout(200);
  for (const t of ["Generate Unit Test", "Customize Model to This Project", "Show Adapters", "Restart Server"]) {
    if (!labels.some((l) => l.includes(t))) {
      throw new Error(`missing "${t}" in ${JSON.stringify(labels)}`);
    }
  }
  return labels;
});

await step(page, "editor context menu has Generate Unit Test", async () => {
  await page.locator(".monaco-editor .view-line").nth(f.line > 5 ? 5 : 0).click({ button: "right" });
  const item = page.locator(".context-view .action-label, .monaco-menu .action-label").filter({ hasText: "Generate Unit Test" }).first();
  await item.waitFor({ state: "visible", timeout: 10_000 });
  await page.keyboard.press("Escape");
  // the right click moved the cursor: go back to the method
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").fill(`:${f.line}:${f.column}`);
  await page.waitForTimeout(200);
  await page.keyboard.press("Enter");
});

if (E2E_MODE === "missing") {
  await step(page, "status bar says not installed", async () => waitStatus(page, /not installed/, 60_000));
  await step(page, "install hint names the pip command", async () => {
    await runCommand(page, "TestTailor: Generate Unit Test");
    const text = await waitToast(page, /-m pip install testtailor/, 60_000);
    await shot(page, "install-hint");
    return text;
  });
} else {
  await step(page, "server started (status none/ready)", async () => waitStatus(page, /TestTailor: (none|ready)/, real ? 120_000 : 30_000));

  const before = countTests(E2E_WS);
  let pickedTitle;
  const labelsNow = async () => (await rows(page).allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim());
  let early;
  await step(page, "Generate Unit Test lists the project's nearest tests at once", async () => {
    const t0 = Date.now();
    await runCommand(page, "TestTailor: Generate Unit Test");
    await page.locator(".quick-input-widget .quick-input-title").filter({ hasText: "tests for" }).waitFor({ state: "visible", timeout: GEN_TIMEOUT });
    await rows(page).first().waitFor({ state: "visible", timeout: GEN_TIMEOUT });
    early = await labelsNow();
    await shot(page, "generate-nearest-first");
    return { labels: early, ms: Date.now() - t0 };
  });
  await step(page, "then the full list, the model's candidate last", async () => {
    const deadline = Date.now() + GEN_TIMEOUT;
    let labels = await labelsNow();
    while (labels.length <= early.length && Date.now() < deadline) {
      await page.waitForTimeout(250);
      labels = await labelsNow();
    }
    if (labels.length <= early.length) {
      throw new Error(`the list did not grow past the ${early.length} nearest tests: ${JSON.stringify(labels)}`);
    }
    await shot(page, "generate-candidates");
    pickedTitle = labels[0];
    await page.keyboard.press("Enter");
    return labels;
  });
  let testFile;
  await step(page, "chosen test is inserted into the test file", async () => {
    const tab = page.locator(".tabs-container .tab.active").filter({ hasText: /Test\.java/ });
    await tab.waitFor({ state: "visible", timeout: 30_000 });
    await page.waitForTimeout(700);
    await shot(page, "generate-applied");
    if (E2E_DOCS_PNG) {
      fs.mkdirSync(path.dirname(E2E_DOCS_PNG), { recursive: true });
      await page.screenshot({ path: E2E_DOCS_PNG });
    }
    await page.keyboard.press("Control+S");
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const after = countTests(E2E_WS);
      const grown = Object.keys(after).filter((k) => after[k] > (before[k] ?? 0));
      if (grown.length) {
        testFile = grown[0];
        return { file: testFile, tests: `${before[testFile] ?? 0} -> ${after[testFile]}`, picked: pickedTitle };
      }
      await page.waitForTimeout(500);
    }
    throw new Error("no test file on disk gained a @Test");
  });

  await step(page, "Customize shows progress notification and training status", async () => {
    await runCommand(page, "TestTailor: Customize Model to This Project");
    const status = await waitStatus(page, /TestTailor: training/, 60_000);
    const toast = await waitToast(page, /customiz|mining|epoch|training/i, real ? 120_000 : 15_000);
    await shot(page, "customize-progress");
    return { status, toast };
  });
  await step(page, "Customize finishes: status ready, result message", async () => {
    const status = await waitStatus(page, /TestTailor: ready/, real ? 900_000 : 60_000);
    const msg = await waitToast(page, /customized with/, 30_000);
    await shot(page, "customize-done");
    return { status, msg };
  });
  await step(page, "Show Adapters lists the new adapter", async () => {
    await runCommand(page, "TestTailor: Show Adapters");
    await page.locator(".quick-input-widget .quick-input-title").filter({ hasText: "TestTailor adapters" }).waitFor({ state: "visible" });
    const labels = (await rows(page).allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim());
    await shot(page, "adapters");
    await page.keyboard.press("Escape");
    // the row names the project and the validation loss (the server's listAdapters fields reach the picker)
    if (!labels.some((l) => /shopkit · (l-ldb|lora|prefix|l-eo|full)/.test(l) && /val loss \d/.test(l))) {
      throw new Error(`no adapter row for shopkit with a validation loss in ${JSON.stringify(labels)}`);
    }
    return labels;
  });
  if (!real) {
    await step(page, "Cancel on the progress notification cancels customization", async () => {
      await runCommand(page, "TestTailor: Customize Model to This Project");
      const toast = toasts(page).filter({ hasText: /customiz|epoch|mining/i }).first();
      await toast.waitFor({ state: "visible", timeout: 15_000 });
      await toast.hover();
      await toast.locator(".monaco-button, a.monaco-button").filter({ hasText: "Cancel" }).first().click();
      return await waitToast(page, /cancelled/, 20_000);
    });
  }
}

await shot(page, "final");
await browser.close();
fs.writeFileSync(path.join(E2E_OUT, "summary.json"), `${JSON.stringify({ mode: E2E_MODE, results }, null, 2)}\n`);
console.log(`\n${results.filter((r) => r.status === "pass").length}/${results.length} steps passed (${E2E_MODE}); summary: ${path.join(E2E_OUT, "summary.json")}`);
process.exit(failed ? 1 : 0);

// Checks package.json against the contract: commands, menus, settings, engines.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ClientCommands } from "../src/protocol";
import { DEFAULTS, STRATEGIES } from "../src/settings";

// compiled to out/tsc/test/, so the package root is three levels up
const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8"));

test("engines, publisher, entry point", () => {
  assert.equal(pkg.engines.vscode, "^1.100.0");
  assert.equal(pkg.publisher, "testtailor");
  assert.equal(pkg.main, "./out/extension.js");
  assert.equal(pkg.license, "Apache-2.0");
  assert.ok(pkg.repository?.url);
});

test("every client command is contributed with a TestTailor title", () => {
  const contributed = new Map<string, { title: string; category: string }>(pkg.contributes.commands.map((c: { command: string }) => [c.command, c]));
  const titles: Record<string, string> = {
    [ClientCommands.generateTest]: "Generate Unit Test",
    [ClientCommands.customize]: "Customize Model to This Project",
    [ClientCommands.showAdapters]: "Show Adapters",
    [ClientCommands.restart]: "Restart Server",
  };
  for (const [id, title] of Object.entries(titles)) {
    assert.equal(contributed.get(id)?.title, title, id);
    assert.equal(contributed.get(id)?.category, "TestTailor", id);
  }
  const ctx = pkg.contributes.menus["editor/context"];
  assert.ok(ctx.some((m: { command: string; when: string }) => m.command === ClientCommands.generateTest && m.when.includes("editorLangId == java")));
});

test("settings have descriptions, enums and defaults matching src/settings.ts", () => {
  const props = pkg.contributes.configuration.properties;
  for (const [k, v] of Object.entries(DEFAULTS)) {
    const p = props[`testtailor.${k}`];
    assert.ok(p, `testtailor.${k} contributed`);
    assert.deepEqual(p.default, v, `default of ${k}`);
    assert.ok(p.description || p.markdownDescription, `description of ${k}`);
  }
  assert.deepEqual(Object.keys(props).length, Object.keys(DEFAULTS).length);
  const strategy = props["testtailor.strategy"];
  assert.deepEqual(strategy.enum, [...STRATEGIES]);
  assert.equal(strategy.enumDescriptions.length, STRATEGIES.length);
  for (const d of strategy.enumDescriptions) {
    assert.ok(!d.includes("\n") && d.length > 20 && d.length < 160, d);
  }
  const device = new RegExp(props["testtailor.device"].pattern);
  for (const ok of ["auto", "cpu", "cuda", "cuda:0", "cuda:12"]) {
    assert.ok(device.test(ok), ok);
  }
  for (const bad of ["gpu", "cuda:", "cuda:x", "CPU", ""]) {
    assert.ok(!device.test(bad), bad);
  }
  assert.equal(props["testtailor.candidates"].minimum, 1);
  assert.equal(props["testtailor.candidates"].maximum, 10);
});

test("activation covers Java", () => {
  assert.ok(pkg.activationEvents.includes("onLanguage:java"));
});

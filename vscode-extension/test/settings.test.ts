import assert from "node:assert/strict";
import { test } from "node:test";
import { changedKeys, DEFAULTS, needsRestart, readSettings, type TestTailorSettings } from "../src/settings";

const read = (o: Record<string, unknown>) => readSettings((k) => o[k]);

test("defaults when nothing is set", () => {
  assert.deepEqual(read({}), DEFAULTS);
  assert.equal(DEFAULTS.strategy, "l-ldb");
  assert.equal(DEFAULTS.candidates, 5);
  assert.equal(DEFAULTS.customizeMaxMinutes, 10);
});

test("values are normalized", () => {
  const s = read({ strategy: "lora", device: "cuda:1", candidates: 99, pythonPath: "  /venv/bin/python ", customizeMaxMinutes: 0, validate: true });
  assert.equal(s.strategy, "lora");
  assert.equal(s.device, "cuda:1");
  assert.equal(s.candidates, 10);
  assert.equal(s.pythonPath, "/venv/bin/python");
  assert.equal(s.customizeMaxMinutes, 1);
  assert.equal(s.validate, true);
  assert.equal(read({ device: "gpu" }).device, "auto");
  assert.equal(read({ device: "cuda" }).device, "cuda");
  assert.equal(read({ candidates: "3" }).candidates, 5);
});

test("restart only when pythonPath changes", () => {
  const base: TestTailorSettings = { ...DEFAULTS };
  assert.equal(needsRestart(base, { ...base }), false);
  assert.equal(needsRestart(base, { ...base, strategy: "prefix", device: "cpu", candidates: 3, baseModel: "/m" }), false);
  assert.equal(needsRestart(base, { ...base, pythonPath: "/venv/bin/python" }), true);
  assert.deepEqual(changedKeys(base, { ...base, strategy: "full", autoCustomize: true }), ["strategy", "autoCustomize"]);
});

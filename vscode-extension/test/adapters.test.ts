import assert from "node:assert/strict";
import { test } from "node:test";
import { adapterItems, customizeSummary, isAdapterList } from "../src/adapters";
import type { AdapterInfo } from "../src/protocol";

const now = new Date("2025-06-01T12:00:00Z");
const a: AdapterInfo = {
  repo: "/home/u/src/shopkit",
  strategy: "l-eo",
  created: "2025-05-01T12:00:00Z",
  bestValLoss: 1.5,
  sizeBytes: 3 * 1024 * 1024,
  path: "/data/testtailor/abc/l-eo",
  active: false,
};

test("adapter items: active first, then newest", () => {
  const items = adapterItems([a, { ...a, strategy: "l-ldb", created: "2025-06-01T10:00:00Z", active: true }, { ...a, strategy: "lora", created: "2025-05-30T12:00:00Z" }], now);
  assert.deepEqual(items.map((i) => i.adapter.strategy), ["l-ldb", "lora", "l-eo"]);
  assert.equal(items[0].label, "$(check) shopkit · l-ldb");
  assert.equal(items[0].description, "2h ago · val loss 1.500 · 3.00 MB");
  assert.equal(items[2].label, "shopkit · l-eo");
  assert.equal(items[2].detail, "/data/testtailor/abc/l-eo");
});

test("isAdapterList", () => {
  assert.equal(isAdapterList([a]), true);
  assert.equal(isAdapterList([]), true);
  assert.equal(isAdapterList([{}]), false);
  assert.equal(isAdapterList({}), false);
});

test("customize summary", () => {
  assert.equal(
    customizeSummary({ adapter: "/x/l-ldb", strategy: "l-ldb", bestValLoss: 1.2, baseValLoss: 1.85, wallSeconds: 312 }),
    "TestTailor: customized with l-ldb in 5m 12s — validation loss 1.200 (base model 1.850). Adapter: /x/l-ldb",
  );
  assert.match(customizeSummary({ adapter: "a", strategy: "retrieve", bestValLoss: null, baseValLoss: null, wallSeconds: 1 }), /validation loss n\/a\./);
});

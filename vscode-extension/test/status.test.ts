import assert from "node:assert/strict";
import { test } from "node:test";
import { clientStateView, parseStatus, progressMessage, progressStep, statusFromAdapters, statusView } from "../src/status";

const now = new Date("2025-06-01T12:00:00Z");

test("status texts match the contract", () => {
  assert.equal(statusView({ state: "none" }, now).text, "TestTailor: none");
  assert.equal(statusView({ state: "training", percent: 43.4 }, now).text, "TestTailor: training 43%");
  assert.equal(statusView({ state: "training" }, now).text, "TestTailor: training");
  assert.equal(
    statusView({ state: "ready", strategy: "l-ldb", createdAt: "2025-06-01T10:00:00Z" }, now).text,
    "TestTailor: ready (l-ldb, 2h)",
  );
  assert.equal(statusView({ state: "ready" }, now).text, "TestTailor: ready");
  const err = statusView({ state: "error", message: "CUDA out of memory" }, now);
  assert.equal(err.text, "TestTailor: error");
  assert.equal(err.severity, "error");
  assert.match(err.tooltip, /CUDA out of memory/);
});

test("training percent is clamped; ready with age refreshes over time", () => {
  assert.equal(statusView({ state: "training", percent: 140 }, now).text, "TestTailor: training 100%");
  assert.equal(statusView({ state: "training", percent: -3 }, now).text, "TestTailor: training 0%");
  assert.equal(statusView({ state: "ready", strategy: "lora", createdAt: now.toISOString() }, now).timeDependent, true);
});

test("client-side states", () => {
  assert.equal(clientStateView("notInstalled").text, "TestTailor: not installed");
  assert.equal(clientStateView("notInstalled").severity, "warning");
  assert.equal(clientStateView("starting").text, "TestTailor: starting");
});

test("parseStatus validates the notification", () => {
  assert.deepEqual(parseStatus({ state: "training", percent: 5, strategy: "l-ldb", extra: 1 }), {
    state: "training",
    percent: 5,
    strategy: "l-ldb",
  });
  assert.equal(parseStatus({ state: "bogus" }), undefined);
  assert.equal(parseStatus(null), undefined);
  assert.equal(parseStatus("ready"), undefined);
  assert.deepEqual(parseStatus({ state: "ready", percent: "x" }), { state: "ready" });
});

test("statusFromAdapters picks the active adapter", () => {
  assert.deepEqual(statusFromAdapters([]), { state: "none" });
  const a = { repo: "r", strategy: "prefix", created: "2025-01-01T00:00:00Z", bestValLoss: 1, sizeBytes: 1, path: "/p", active: false };
  assert.deepEqual(statusFromAdapters([a]), { state: "none" });
  assert.deepEqual(statusFromAdapters([a, { ...a, strategy: "l-ldb", active: true }]), {
    state: "ready",
    strategy: "l-ldb",
    createdAt: "2025-01-01T00:00:00Z",
  });
});

test("progressStep converts absolute percentages into increments", () => {
  assert.deepEqual(progressStep(0, 10), { increment: 10, current: 10 });
  assert.deepEqual(progressStep(10, 5), { increment: 0, current: 10 });
  assert.deepEqual(progressStep(90, 150), { increment: 10, current: 100 });
  assert.deepEqual(progressStep(40, undefined), { increment: undefined, current: 40 });
  assert.equal(progressMessage("Customizing", "epoch 2"), "Customizing: epoch 2");
  assert.equal(progressMessage(undefined, "epoch 2"), "epoch 2");
  assert.equal(progressMessage(undefined, undefined), undefined);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAge, formatBytes, formatDuration, formatLoss } from "../src/format";

const now = new Date("2025-06-01T12:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();

test("formatAge buckets", () => {
  assert.equal(formatAge(ago(5), now), "now");
  assert.equal(formatAge(ago(5 * 60), now), "5m");
  assert.equal(formatAge(ago(2 * 3600 + 59), now), "2h");
  assert.equal(formatAge(ago(3 * 86400), now), "3d");
  assert.equal(formatAge(ago(30 * 86400), now), "4w");
  assert.equal(formatAge(ago(800 * 86400), now), "2y");
});

test("formatAge tolerates missing, invalid and future dates", () => {
  assert.equal(formatAge(undefined, now), undefined);
  assert.equal(formatAge("not a date", now), undefined);
  assert.equal(formatAge(new Date(now.getTime() + 60_000).toISOString(), now), "now");
});

test("formatBytes", () => {
  assert.equal(formatBytes(12), "12 B");
  assert.equal(formatBytes(2048), "2.00 KB");
  assert.equal(formatBytes(5 * 1024 * 1024 + 100), "5.00 MB");
  assert.equal(formatBytes(150 * 1024 * 1024), "150 MB");
  assert.equal(formatBytes(-1), "?");
  assert.equal(formatBytes(undefined), "?");
});

test("formatDuration and formatLoss", () => {
  assert.equal(formatDuration(42), "42s");
  assert.equal(formatDuration(312), "5m 12s");
  assert.equal(formatDuration(3780), "1h 03m");
  assert.equal(formatDuration(Number.NaN), "?");
  assert.equal(formatLoss(1.23456), "1.235");
  assert.equal(formatLoss(null), "n/a");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { bestCandidate, candidateItems, clampCandidates, firstLine, isGenerateResult, retrievedFirstCount, shouldPick } from "../src/candidates";
import type { Candidate, GenerateCandidatesResult } from "../src/protocol";

const range = { start: { line: 10, character: 0 }, end: { line: 20, character: 1 } };
function cand(rank: number, text: string, extra: Partial<Candidate> = {}): Candidate {
  return { rank, text, score: -0.1234 * rank, parses: rank !== 2, edit: {}, testUri: "file:///t/CartTest.java", testRange: range, ...extra };
}
const result: GenerateCandidatesResult = {
  method: "Cart.addItem",
  model: "base + shopkit/l-ldb",
  candidates: [cand(2, "@Test\npublic void testAddItem2() {\n}"), cand(1, "@Test\n  public void testAddItem() {\n}", { title: "testAddItem" })],
};

test("firstLine skips annotations, comments and blanks", () => {
  assert.equal(firstLine("\n  @Test\n  // hi\n  public void t() {\n}"), "public void t() {");
  assert.equal(firstLine("@Test"), "@Test");
  assert.equal(firstLine(""), "");
});

test("candidate items are ordered by rank with title, model and score", () => {
  const items = candidateItems(result);
  assert.equal(items.length, 2);
  assert.equal(items[0].label, "1. testAddItem");
  assert.equal(items[0].index, 1);
  assert.equal(items[0].description, "base + shopkit/l-ldb");
  assert.equal(items[0].detail, "score -0.123 · parses");
  assert.equal(items[1].label, "2. public void testAddItem2() {");
  assert.equal(items[1].detail, "score -0.247 · does not parse");
});

test("a model candidate's defects are in its detail", () => {
  const items = candidateItems({ ...result, candidates: [cand(1, "void t() {}", { defects: ["declares a local twice", "repeats itself"] })] });
  assert.equal(items[0].detail, "score -0.123 · parses · declares a local twice · repeats itself");
});

test("long labels are truncated", () => {
  const long = candidateItems({ ...result, candidates: [cand(1, `public void ${"x".repeat(200)}() {}`)] });
  assert.ok(long[0].label.length <= 90);
  assert.ok(long[0].label.endsWith("…"));
});

test("picker only when K > 1 and more than one candidate", () => {
  assert.equal(shouldPick(5, result), true);
  assert.equal(shouldPick(1, result), false);
  assert.equal(shouldPick(5, { ...result, candidates: [cand(1, "x")] }), false);
  assert.equal(bestCandidate(result)?.rank, 1);
  assert.equal(bestCandidate({ ...result, candidates: [] }), undefined);
});

test("clampCandidates and result validation", () => {
  assert.equal(clampCandidates(0), 1);
  assert.equal(clampCandidates(42), 10);
  assert.equal(clampCandidates("3"), 5);
  assert.equal(isGenerateResult(result), true);
  assert.equal(isGenerateResult({ method: "m" }), false);
  assert.equal(isGenerateResult(null), false);
});

test("retrieved-first count mirrors the server: the model keeps the last place of a list of two or more", () => {
  assert.equal(retrievedFirstCount(5, 4), 4);
  assert.equal(retrievedFirstCount(3, 4), 2);
  assert.equal(retrievedFirstCount(1, 4), 1);
  assert.equal(retrievedFirstCount(5, 0), 0);
});

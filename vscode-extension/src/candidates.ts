// QuickPick items for generated candidates (pure; no `vscode` import).
import type { Candidate, GenerateCandidatesResult } from "./protocol";

export interface CandidateItem {
  label: string;
  description: string;
  detail: string;
  /** Index into `result.candidates`. */
  index: number;
}

const MAX_LABEL = 90;

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The first meaningful line of a test: skips blank lines, annotations and comments. */
export function firstLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const meaningful = lines.find((l) => l && !l.startsWith("@") && !l.startsWith("//") && !l.startsWith("/*") && !l.startsWith("*"));
  return meaningful ?? lines.find((l) => l) ?? "";
}

export function candidateLabel(c: Candidate): string {
  const base = c.title && c.title.trim() ? c.title.trim() : firstLine(c.text);
  return truncate(`${c.rank}. ${base || "(empty candidate)"}`, MAX_LABEL);
}

/** Items ordered by rank: label = title (or first line), detail = score + parses + defects, description = model. */
export function candidateItems(result: GenerateCandidatesResult): CandidateItem[] {
  return result.candidates
    .map((c, index) => ({ c, index }))
    .sort((a, b) => a.c.rank - b.c.rank)
    .map(({ c, index }) => ({
      label: candidateLabel(c),
      description: result.model,
      detail: [`score ${Number.isFinite(c.score) ? c.score.toFixed(3) : "?"}`, c.parses ? "parses" : "does not parse",
        ...(c.defects ?? [])].join(" · "),
      index,
    }));
}

/** Whether to show a picker (K > 1 and more than one candidate) or apply the single/best one directly. */
export function shouldPick(requested: number, result: GenerateCandidatesResult): boolean {
  return requested > 1 && result.candidates.length > 1;
}

/**
 * How many of `k` candidates are the project's nearest tests (the server's `retrieved_tests_first`): up to
 * `retrievedFirst`, but a list of two or more keeps its last place for the model. They can be listed at once
 * (`retrievedOnly`) while the model's candidate is generated.
 */
export function retrievedFirstCount(k: number, retrievedFirst: number): number {
  return Math.max(0, Math.min(retrievedFirst, k > 1 ? k - 1 : k));
}

/** The best candidate (lowest rank). */
export function bestCandidate(result: GenerateCandidatesResult): Candidate | undefined {
  return [...result.candidates].sort((a, b) => a.rank - b.rank)[0];
}

/** Clamp the `testtailor.candidates` setting to the contributed range 1–10. */
export function clampCandidates(k: unknown): number {
  const n = typeof k === "number" && Number.isFinite(k) ? Math.round(k) : 5;
  return Math.max(1, Math.min(10, n));
}

/** Defensive check of the server's answer before touching it. */
export function isGenerateResult(raw: unknown): raw is GenerateCandidatesResult {
  if (!raw || typeof raw !== "object") {
    return false;
  }
  const r = raw as Record<string, unknown>;
  return Array.isArray(r.candidates);
}

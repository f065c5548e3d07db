// Status bar text for the adapter state (pure; no `vscode` import).
import { formatAge } from "./format";
import type { AdapterInfo, StatusParams } from "./protocol";

export const STATUS_PREFIX = "TestTailor";

/** Client-side states that exist before/without a server status notification. */
export type ClientState = "starting" | "notInstalled" | "stopped";

export interface StatusView {
  text: string;
  tooltip: string;
  /** "error" / "warning" map to the status bar's error/warning background. */
  severity: "normal" | "warning" | "error";
  /** Whether the text changes with time (ready: age) and needs a periodic refresh. */
  timeDependent: boolean;
}

function clampPercent(p: number): number {
  return Math.max(0, Math.min(100, Math.round(p)));
}

/** `TestTailor: none`, `TestTailor: training 43%`, `TestTailor: ready (l-ldb, 2h)`, `TestTailor: error`. */
export function statusView(status: StatusParams, now: Date = new Date()): StatusView {
  const click = "Click to show adapters.";
  switch (status.state) {
    case "training": {
      const pct = typeof status.percent === "number" && Number.isFinite(status.percent)
        ? ` ${clampPercent(status.percent)}%` : "";
      const strategy = status.strategy ? ` (${status.strategy})` : "";
      return {
        text: `${STATUS_PREFIX}: training${pct}`,
        tooltip: `Customizing the model to this project${strategy}${status.message ? `: ${status.message}` : ""}. ${click}`,
        severity: "normal",
        timeDependent: false,
      };
    }
    case "ready": {
      const age = formatAge(status.createdAt, now);
      const parts = [status.strategy, age].filter((x): x is string => !!x);
      return {
        text: `${STATUS_PREFIX}: ready${parts.length ? ` (${parts.join(", ")})` : ""}`,
        tooltip: `Generating with this project's adapter${status.strategy ? ` (${status.strategy})` : ""}`
          + `${status.createdAt ? `, created ${status.createdAt}` : ""}. ${click}`,
        severity: "normal",
        timeDependent: !!age,
      };
    }
    case "error":
      return {
        text: `${STATUS_PREFIX}: error`,
        tooltip: `${status.message ?? "TestTailor reported an error"}. ${click}`,
        severity: "error",
        timeDependent: false,
      };
    case "none":
    default:
      return {
        text: `${STATUS_PREFIX}: none`,
        tooltip: `No adapter for this project yet: generation uses the base model. ${click}`,
        severity: "normal",
        timeDependent: false,
      };
  }
}

export function clientStateView(state: ClientState): StatusView {
  switch (state) {
    case "starting":
      return { text: `${STATUS_PREFIX}: starting`, tooltip: "Starting the TestTailor language server…", severity: "normal", timeDependent: false };
    case "notInstalled":
      return {
        text: `${STATUS_PREFIX}: not installed`,
        tooltip: "The TestTailor language server is not installed for the configured Python interpreter. Click for details.",
        severity: "warning",
        timeDependent: false,
      };
    case "stopped":
    default:
      return { text: `${STATUS_PREFIX}: stopped`, tooltip: "The TestTailor language server is not running. Click for details.", severity: "warning", timeDependent: false };
  }
}

/** Derive an initial status from `testtailor.listAdapters` when the server has not sent one yet. */
export function statusFromAdapters(adapters: readonly AdapterInfo[]): StatusParams {
  const active = adapters.find((a) => a.active);
  if (!active) {
    return { state: "none" };
  }
  return { state: "ready", strategy: active.strategy, createdAt: active.created };
}

/** Validate an incoming notification payload; unknown/malformed → undefined. */
export function parseStatus(raw: unknown): StatusParams | undefined {
  if (!raw || typeof raw !== "object") {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  if (r.state !== "none" && r.state !== "training" && r.state !== "ready" && r.state !== "error") {
    return undefined;
  }
  const out: StatusParams = { state: r.state };
  if (typeof r.percent === "number" && Number.isFinite(r.percent)) {
    out.percent = r.percent;
  }
  if (typeof r.strategy === "string") {
    out.strategy = r.strategy;
  }
  if (typeof r.createdAt === "string") {
    out.createdAt = r.createdAt;
  }
  if (typeof r.message === "string") {
    out.message = r.message;
  }
  return out;
}

/**
 * VS Code's progress API takes increments; LSP work-done progress reports absolute percentages.
 * Returns the increment to report and the new absolute value (never goes backwards, capped at 100).
 */
export function progressStep(previous: number, percentage: number | undefined): { increment: number | undefined; current: number } {
  if (typeof percentage !== "number" || !Number.isFinite(percentage)) {
    return { increment: undefined, current: previous };
  }
  const next = Math.max(previous, Math.min(100, percentage));
  return { increment: next - previous, current: next };
}

/** Message shown in a progress notification from an LSP `begin`/`report` value. */
export function progressMessage(title: string | undefined, message: string | undefined): string | undefined {
  if (title && message) {
    return `${title}: ${message}`;
  }
  return message || title || undefined;
}

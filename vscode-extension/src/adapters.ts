// Adapter list presentation and the Customize result message (pure; no `vscode` import).
import { formatAge, formatBytes, formatDuration, formatLoss } from "./format";
import type { AdapterInfo, CustomizeProjectResult } from "./protocol";

export interface AdapterItem {
  label: string;
  description: string;
  detail: string;
  adapter: AdapterInfo;
}

function repoName(repo: string | undefined): string {
  if (typeof repo !== "string" || !repo) {
    return "?";
  }
  const parts = repo.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : repo;
}

/** Active adapters first, then newest first. */
export function adapterItems(adapters: readonly AdapterInfo[], now: Date = new Date()): AdapterItem[] {
  return [...adapters]
    .sort((a, b) => Number(!!b.active) - Number(!!a.active) || (Date.parse(b.created) || 0) - (Date.parse(a.created) || 0))
    .map((a) => {
      const age = formatAge(a.created, now);
      return {
        label: `${a.active ? "$(check) " : ""}${repoName(a.repo)} · ${a.strategy}`,
        description: [age ? `${age} ago`.replace("now ago", "just now") : undefined, `val loss ${formatLoss(a.bestValLoss)}`, formatBytes(a.sizeBytes)]
          .filter(Boolean)
          .join(" · "),
        detail: a.path ?? "",
        adapter: a,
      };
    });
}

export function isAdapterList(raw: unknown): raw is AdapterInfo[] {
  return Array.isArray(raw) && raw.every((a) => a && typeof a === "object" && typeof (a as AdapterInfo).strategy === "string");
}

/** The info message after Customize finished. */
export function customizeSummary(r: CustomizeProjectResult): string {
  const improvement = r.bestValLoss !== null && r.baseValLoss !== null && Number.isFinite(r.bestValLoss) && Number.isFinite(r.baseValLoss)
    ? ` (base model ${formatLoss(r.baseValLoss)})`
    : "";
  return `TestTailor: customized with ${r.strategy} in ${formatDuration(r.wallSeconds)} — validation loss ${formatLoss(r.bestValLoss)}${improvement}. Adapter: ${r.adapter}`;
}

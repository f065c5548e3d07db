// Small formatting helpers shared by the pure modules (no `vscode` import).

/** Compact age of an ISO timestamp relative to `now`: "now", "5m", "2h", "3d", "4w", "2y". */
export function formatAge(createdAt: string | undefined, now: Date = new Date()): string | undefined {
  if (!createdAt) {
    return undefined;
  }
  const t = Date.parse(createdAt);
  if (Number.isNaN(t)) {
    return undefined;
  }
  const seconds = Math.max(0, (now.getTime() - t) / 1000);
  if (seconds < 60) {
    return "now";
  }
  const minutes = seconds / 60;
  if (minutes < 60) {
    return `${Math.floor(minutes)}m`;
  }
  const hours = minutes / 60;
  if (hours < 24) {
    return `${Math.floor(hours)}h`;
  }
  const days = hours / 24;
  if (days < 14) {
    return `${Math.floor(days)}d`;
  }
  if (days < 365) {
    return `${Math.floor(days / 7)}w`;
  }
  return `${Math.floor(days / 365)}y`;
}

/** "1.2 MB", "340 KB", "12 B". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) {
    return "?";
  }
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** "42s", "5m 12s", "1h 03m". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return "?";
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Loss with 3 decimals, or "n/a". */
export function formatLoss(loss: number | null | undefined): string {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? "n/a" : loss.toFixed(3);
}

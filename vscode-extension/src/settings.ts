// The `testtailor.*` settings as one object (pure; no `vscode` import).

export const SECTION = "testtailor";

export const STRATEGIES = ["full", "l-eo", "l-ldb", "prefix", "lora", "retrieve"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface TestTailorSettings {
  strategy: string;
  device: string;
  runtime: string;
  baseModel: string;
  candidates: number;
  retrievedFirst: number;
  autoCustomize: boolean;
  validate: boolean;
  pythonPath: string;
  customizeMaxMinutes: number;
}

export const DEFAULTS: TestTailorSettings = {
  strategy: "l-ldb",
  device: "auto",
  runtime: "auto",
  baseModel: "",
  candidates: 5,
  retrievedFirst: 4,
  autoCustomize: false,
  validate: false,
  pythonPath: "",
  customizeMaxMinutes: 10,
};

export const DEVICE_PATTERN = /^(auto|cpu|cuda(:[0-9]+)?)$/;

/** Build the settings object from a getter (vscode's WorkspaceConfiguration.get in the extension). */
export function readSettings(get: (key: keyof TestTailorSettings) => unknown): TestTailorSettings {
  const str = (k: keyof TestTailorSettings, d: string): string => {
    const v = get(k);
    return typeof v === "string" ? v.trim() : d;
  };
  const num = (k: keyof TestTailorSettings, d: number): number => {
    const v = get(k);
    return typeof v === "number" && Number.isFinite(v) ? v : d;
  };
  const bool = (k: keyof TestTailorSettings, d: boolean): boolean => {
    const v = get(k);
    return typeof v === "boolean" ? v : d;
  };
  const device = str("device", DEFAULTS.device);
  return {
    strategy: str("strategy", DEFAULTS.strategy) || DEFAULTS.strategy,
    device: DEVICE_PATTERN.test(device) ? device : DEFAULTS.device,
    runtime: str("runtime", DEFAULTS.runtime) || DEFAULTS.runtime,
    baseModel: str("baseModel", DEFAULTS.baseModel),
    candidates: Math.max(1, Math.min(10, Math.round(num("candidates", DEFAULTS.candidates)))),
    retrievedFirst: Math.max(0, Math.min(10, Math.round(num("retrievedFirst", DEFAULTS.retrievedFirst)))),
    autoCustomize: bool("autoCustomize", DEFAULTS.autoCustomize),
    validate: bool("validate", DEFAULTS.validate),
    pythonPath: str("pythonPath", DEFAULTS.pythonPath),
    customizeMaxMinutes: Math.max(1, num("customizeMaxMinutes", DEFAULTS.customizeMaxMinutes)),
  };
}

/** Keys whose change requires restarting the server process (everything else goes via didChangeConfiguration). */
export const RESTART_KEYS: readonly (keyof TestTailorSettings)[] = ["pythonPath"];

/** Which settings differ between two snapshots. */
export function changedKeys(a: TestTailorSettings, b: TestTailorSettings): (keyof TestTailorSettings)[] {
  return (Object.keys(DEFAULTS) as (keyof TestTailorSettings)[]).filter((k) => a[k] !== b[k]);
}

/** Restart only when the interpreter setting changed. */
export function needsRestart(a: TestTailorSettings, b: TestTailorSettings): boolean {
  return changedKeys(a, b).some((k) => RESTART_KEYS.includes(k));
}

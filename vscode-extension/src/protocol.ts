// The LSP contract between this extension and `testtailor-lsp` (lsp_server/). No `vscode` import:
// plain LSP JSON shapes, shared by the extension and its unit tests.

/** Commands the server implements (`workspace/executeCommand`). */
export const ServerCommands = {
  generateCandidates: "testtailor.generateCandidates",
  customizeProject: "testtailor.customizeProject",
  listAdapters: "testtailor.listAdapters",
} as const;

/** Commands this extension contributes (package.json `contributes.commands`). */
export const ClientCommands = {
  generateTest: "testtailor.generateTest",
  customize: "testtailor.customize",
  showAdapters: "testtailor.showAdapters",
  restart: "testtailor.restart",
} as const;

/** Server → client notification with the adapter state of the workspace. */
export const StatusNotification = "testtailor/status";

/** Code action kind the server offers on a Java method (CodeActionKind.Refactor + ".generateTest"). */
export const GenerateTestCodeActionKind = "refactor.generateTest";

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

/** Argument of `testtailor.generateCandidates`. */
export interface GenerateCandidatesParams {
  uri: string;
  position: LspPosition;
  candidates: number;
  /** Only the project's nearest existing tests, adapted, without running the model (fast). */
  retrievedOnly?: boolean;
}

export interface Candidate {
  rank: number;
  text: string;
  score: number;
  parses: boolean;
  /** What is visibly wrong with a model candidate ("declares a local twice", "repeats itself"); absent or empty: nothing. */
  defects?: string[];
  title?: string;
  /** An LSP WorkspaceEdit (kept opaque here; converted with protocol2CodeConverter). */
  edit: unknown;
  testUri: string;
  testRange: LspRange;
}

export interface GenerateCandidatesResult {
  method: string;
  model: string;
  candidates: Candidate[];
}

/** Argument of `testtailor.customizeProject`. */
export interface CustomizeProjectParams {
  uri: string;
  strategy?: string;
  maxMinutes?: number;
}

export interface CustomizeProjectResult {
  adapter: string;
  strategy: string;
  bestValLoss: number | null;
  baseValLoss: number | null;
  wallSeconds: number;
}

/** One element of the `testtailor.listAdapters` result. */
export interface AdapterInfo {
  repo: string;
  strategy: string;
  created: string;
  bestValLoss: number | null;
  sizeBytes: number;
  path: string;
  active: boolean;
}

export type AdapterState = "none" | "training" | "ready" | "error";

/** Params of the `testtailor/status` notification. */
export interface StatusParams {
  state: AdapterState;
  percent?: number;
  strategy?: string;
  createdAt?: string;
  message?: string;
}

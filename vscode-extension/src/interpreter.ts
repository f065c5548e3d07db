// Which Python runs the server, and what to tell the user when TestTailor is missing (pure; no `vscode` import).

export type InterpreterSource = "setting" | "pythonExtension" | "default";

export interface Interpreter {
  command: string;
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** `testtailor.pythonPath` (may contain ~ or ${workspaceFolder}). */
  setting?: string;
  /** The interpreter selected in the Python extension, if it is installed and has one. */
  pythonExtension?: string;
  workspaceFolder?: string;
  home?: string;
  platform?: string;
}

/** Expand `~` and `${workspaceFolder}` / `${userHome}` in a configured path. */
export function expandPath(p: string, workspaceFolder?: string, home?: string): string {
  let out = p.trim();
  if (home && (out === "~" || out.startsWith("~/") || out.startsWith("~\\"))) {
    out = home + out.slice(1);
  }
  if (workspaceFolder) {
    out = out.split("${workspaceFolder}").join(workspaceFolder);
  }
  if (home) {
    out = out.split("${userHome}").join(home);
  }
  return out;
}

export function defaultPython(platform: string = process.platform): string {
  return platform === "win32" ? "python" : "python3";
}

/** Resolution order: testtailor.pythonPath → the Python extension's active interpreter → python3. */
export function resolveInterpreter(i: InterpreterInputs): Interpreter {
  if (i.setting && i.setting.trim()) {
    return { command: expandPath(i.setting, i.workspaceFolder, i.home), source: "setting" };
  }
  if (i.pythonExtension && i.pythonExtension.trim()) {
    return { command: i.pythonExtension.trim(), source: "pythonExtension" };
  }
  return { command: defaultPython(i.platform), source: "default" };
}

/** Arguments that start the stdio language server. */
export function serverArgs(): string[] {
  return ["-m", "lsp_server"];
}

/**
 * Arguments of the "is it installed?" probe: `import lsp_server`, and fail (exit 3) when that only finds a
 * namespace package (no __init__.py: a stale editable install or an unrelated folder named lsp_server).
 */
export function probeArgs(): string[] {
  return ["-c", "import sys, lsp_server; sys.exit(0 if getattr(lsp_server, '__file__', None) else 3)"];
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, "\\$1")}"`;
}

/** The exact shell command that installs the server into `python`. */
export function installCommand(python: string): string {
  return `${quote(python)} -m pip install testtailor`;
}

export type ProbeFailure = "notFound" | "notInstalled";

/** The notification text when the probe fails. */
export function installHint(interp: Interpreter, failure: ProbeFailure): string {
  const from = interp.source === "setting" ? "testtailor.pythonPath" : interp.source === "pythonExtension" ? "the Python extension's selected interpreter" : "the default interpreter";
  const checkout = "From a TestTailor checkout: run `bash scripts/demo.sh` (creates .venv) and set testtailor.pythonPath to <checkout>/.venv/bin/python.";
  if (failure === "notFound") {
    return `TestTailor: cannot run Python "${interp.command}" (${from}). Install Python 3.11+ or set testtailor.pythonPath, then run: ${installCommand(interp.command)}. ${checkout}`;
  }
  return `TestTailor: the language server is not installed for ${interp.command} (${from}). Install it with: ${installCommand(interp.command)}. ${checkout}`;
}

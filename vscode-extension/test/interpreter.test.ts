import assert from "node:assert/strict";
import { test } from "node:test";
import { expandPath, installCommand, installHint, probeArgs, resolveInterpreter, serverArgs } from "../src/interpreter";

test("resolution order: setting, then Python extension, then python3", () => {
  assert.deepEqual(resolveInterpreter({ setting: "/venv/bin/python", pythonExtension: "/usr/bin/python3.12", platform: "linux" }), {
    command: "/venv/bin/python",
    source: "setting",
  });
  assert.deepEqual(resolveInterpreter({ setting: "  ", pythonExtension: "/usr/bin/python3.12", platform: "linux" }), {
    command: "/usr/bin/python3.12",
    source: "pythonExtension",
  });
  assert.deepEqual(resolveInterpreter({ platform: "linux" }), { command: "python3", source: "default" });
  assert.deepEqual(resolveInterpreter({ platform: "win32" }), { command: "python", source: "default" });
});

test("setting paths expand ~ and ${workspaceFolder}", () => {
  assert.equal(expandPath("~/venv/bin/python", "/ws", "/home/u"), "/home/u/venv/bin/python");
  assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", "/ws", "/home/u"), "/ws/.venv/bin/python");
  assert.equal(expandPath("${userHome}/py", undefined, "/home/u"), "/home/u/py");
  assert.equal(resolveInterpreter({ setting: "${workspaceFolder}/.venv/bin/python", workspaceFolder: "/w" }).command, "/w/.venv/bin/python");
});

test("server command line and probe", () => {
  assert.deepEqual(serverArgs(), ["-m", "lsp_server"]);
  assert.equal(probeArgs()[0], "-c");
  assert.match(probeArgs()[1], /^import sys, lsp_server;/);
});

test("install hint names the exact command", () => {
  assert.equal(installCommand("/venv/bin/python"), "/venv/bin/python -m pip install testtailor");
  assert.equal(installCommand("/my venv/bin/python"), '"/my venv/bin/python" -m pip install testtailor');
  const msg = installHint({ command: "python3", source: "default" }, "notInstalled");
  assert.match(msg, /python3 -m pip install testtailor/);
  assert.match(msg, /bash scripts\/demo\.sh/);
  assert.match(msg, /\.venv\/bin\/python/);
  assert.match(installHint({ command: "/nope/python", source: "setting" }, "notFound"), /cannot run Python "\/nope\/python" \(testtailor\.pythonPath\)/);
});

// A stand-in for `testtailor-lsp` implementing the extension's LSP contract (see src/protocol.ts) with canned
// answers, for end-to-end tests of the client in a real VS Code. Not part of the product.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { fileURLToPath, pathToFileURL } = require("node:url");
const {
  createConnection, ProposedFeatures, TextDocumentSyncKind, CodeActionKind, ResponseError, WorkDoneProgress,
} = require("vscode-languageserver/node");

const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
const log = (m) => connection.console.log(`[fake-server] ${m}`);
let settings = {};
let adapter = null; // {strategy, created, ...}

connection.onInitialize((params) => {
  settings = params.initializationOptions || {};
  log(`initialize: initializationOptions=${JSON.stringify(settings)}`);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeActionProvider: { codeActionKinds: [CodeActionKind.Refactor + ".generateTest"], resolveProvider: false },
      executeCommandProvider: { commands: ["testtailor.generateCandidates", "testtailor.customizeProject", "testtailor.listAdapters"] },
    },
    serverInfo: { name: "testtailor-lsp (e2e fake)", version: "0" },
  };
});

connection.onInitialized(async () => {
  const cfg = await connection.workspace.getConfiguration("testtailor").catch(() => null);
  log(`workspace/configuration testtailor=${JSON.stringify(cfg)}`);
  connection.sendNotification("testtailor/status", { state: "none" });
});

connection.onDidChangeConfiguration((p) => {
  log(`didChangeConfiguration: ${JSON.stringify(p.settings)}`);
  if (p.settings && p.settings.testtailor) {
    settings = p.settings.testtailor;
  }
});

function methodAt(file, line) {
  const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = /^\s*(?:public|protected|private|static|final|synchronized|\s)*[\w<>[\], ?]+\s+(\w+)\s*\([^)]*\)\s*(?:throws [\w., ]+)?\s*\{?\s*$/.exec(lines[i]);
    if (m && !["if", "for", "while", "switch", "catch", "return", "new"].includes(m[1])) {
      return m[1];
    }
  }
  return null;
}

function testFileFor(file) {
  const cls = path.basename(file, ".java");
  const testFile = file.replace(`${path.sep}src${path.sep}main${path.sep}`, `${path.sep}src${path.sep}test${path.sep}`).replace(/\.java$/, "Test.java");
  return { cls, testFile };
}

connection.onExecuteCommand(async (params, token) => {
  const arg = (params.arguments || [])[0] || {};
  log(`executeCommand ${params.command} ${JSON.stringify(arg)}`);
  if (params.command === "testtailor.generateCandidates") {
    const file = fileURLToPath(arg.uri);
    const name = methodAt(file, arg.position.line);
    if (!name) {
      connection.window.showErrorMessage("TestTailor: no method to test at that position");
      throw new ResponseError(-32803, "no method at that position");
    }
    // the project's nearest tests come at once, the full list (the model's last) takes longer, as on a CPU
    await new Promise((r) => setTimeout(r, arg.retrievedOnly ? 50 : 2500));
    if (token.isCancellationRequested) {
      throw new ResponseError(-32800, "cancelled");
    }
    const { cls, testFile } = testFileFor(file);
    const testUri = pathToFileURL(testFile).href;
    const exists = fs.existsSync(testFile);
    const k = Math.max(1, Math.min(10, arg.candidates || 1));
    const cap = name.charAt(0).toUpperCase() + name.slice(1);
    const candidates = [];
    for (let rank = 1; rank <= k; rank++) {
      const method = `test${cap}${rank === 1 ? "" : rank}`;
      const body = `    @Test\n    public void ${method}() {\n        ${cls} subject = new ${cls}();\n        assertNotNull(subject);\n    }\n`;
      let edit;
      let start;
      if (exists) {
        const text = fs.readFileSync(testFile, "utf8");
        const lines = text.split("\n");
        let last = lines.length - 1;
        while (last > 0 && !lines[last].includes("}")) {
          last--;
        }
        start = last;
        edit = { changes: { [testUri]: [{ range: { start: { line: last, character: 0 }, end: { line: last, character: 0 } }, newText: `\n${body}` }] } };
        start = last + 1;
      } else {
        const pkg = (/^\s*package\s+([\w.]+)\s*;/m.exec(fs.readFileSync(file, "utf8")) || [])[1];
        const text = `${pkg ? `package ${pkg};\n\n` : ""}import static org.junit.jupiter.api.Assertions.assertNotNull;\n\nimport org.junit.jupiter.api.Test;\n\nclass ${cls}Test {\n\n${body}}\n`;
        start = (pkg ? 2 : 0) + 6;
        edit = { documentChanges: [
          { kind: "create", uri: testUri, options: { ignoreIfExists: true } },
          { textDocument: { uri: testUri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: text }] },
        ] };
      }
      candidates.push({
        rank, text: body, score: -0.2 * rank, parses: true, title: `${exists ? "Add to" : "Create"} ${cls}Test.java: ${method}`, edit, testUri,
        testRange: { start: { line: start, character: 0 }, end: { line: start + 4, character: 5 } },
      });
    }
    if (arg.retrievedOnly) {
      candidates.forEach((c) => { c.title = `${c.title} (nearest project test)`; });
      return { method: `${cls}.${name}`, model: "retrieval (fake)", candidates };
    }
    return { method: `${cls}.${name}`, model: adapter ? `adapter ${adapter.strategy}` : "base model (fake)", candidates };
  }
  if (params.command === "testtailor.customizeProject") {
    const strategy = arg.strategy || settings.strategy || "l-ldb";
    const progressToken = `customize-${Date.now()}`;
    await connection.sendRequest("window/workDoneProgress/create", { token: progressToken });
    let cancelled = false;
    const sub = connection.onNotification("window/workDoneProgress/cancel", (p) => {
      if (p.token === progressToken) {
        cancelled = true;
      }
    });
    connection.sendProgress(WorkDoneProgress.type, progressToken, { kind: "begin", title: "TestTailor: customizing", message: "mining", percentage: 0, cancellable: true });
    const started = Date.now();
    const steps = Number(process.env.FAKE_CUSTOMIZE_STEPS || 8);
    for (let i = 1; i <= steps && !cancelled && !token.isCancellationRequested; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const pct = Math.round((100 * i) / steps);
      connection.sendProgress(WorkDoneProgress.type, progressToken, { kind: "report", message: `epoch ${i}/${steps}, val loss ${(2 - i * 0.1).toFixed(2)}`, percentage: pct });
      connection.sendNotification("testtailor/status", { state: "training", percent: pct, strategy });
    }
    sub.dispose();
    connection.sendProgress(WorkDoneProgress.type, progressToken, { kind: "end", message: cancelled ? "cancelled" : "done" });
    if (cancelled) {
      connection.sendNotification("testtailor/status", adapter ? { state: "ready", strategy: adapter.strategy, createdAt: adapter.created } : { state: "none" });
      connection.window.showInformationMessage("TestTailor: customization cancelled; the previous model is kept");
      return null;
    }
    const root = fileURLToPath(arg.uri);
    adapter = { repo: root, strategy, created: new Date().toISOString(), bestValLoss: 1.2, sizeBytes: 3 * 1024 * 1024, path: `/tmp/testtailor-fake/${strategy}`, active: true };
    connection.sendNotification("testtailor/status", { state: "ready", strategy, createdAt: adapter.created });
    return { adapter: adapter.path, strategy, bestValLoss: 1.2, baseValLoss: 1.9, wallSeconds: (Date.now() - started) / 1000 };
  }
  if (params.command === "testtailor.listAdapters") {
    return adapter ? [adapter] : [];
  }
  throw new ResponseError(-32601, `unknown command ${params.command}`);
});

connection.listen();

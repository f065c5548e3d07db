// TestTailor VS Code extension: starts `testtailor-lsp` and exposes its features.
import { execFile } from "node:child_process";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  LSPErrorCodes,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  type WorkspaceEdit as LspWorkspaceEdit,
} from "vscode-languageclient/node";
import { adapterItems, customizeSummary, isAdapterList } from "./adapters";
import { bestCandidate, type CandidateItem, candidateItems, isGenerateResult, retrievedFirstCount, shouldPick } from "./candidates";
import {
  type Interpreter,
  installCommand,
  installHint,
  type ProbeFailure,
  probeArgs,
  resolveInterpreter,
  serverArgs,
} from "./interpreter";
import { installProgressHandler } from "./progress";
import {
  type AdapterInfo,
  type Candidate,
  ClientCommands,
  type CustomizeProjectParams,
  type CustomizeProjectResult,
  type GenerateCandidatesParams,
  type GenerateCandidatesResult,
  ServerCommands,
  StatusNotification,
  type StatusParams,
} from "./protocol";
import { needsRestart, readSettings, SECTION, type TestTailorSettings } from "./settings";
import { type ClientState, clientStateView, parseStatus, statusFromAdapters, statusView, type StatusView } from "./status";

const CLIENT_ID = "testtailor";
const CLIENT_NAME = "TestTailor";

function getSettings(): TestTailorSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  return readSettings((k) => cfg.get(k));
}

/** The server answered generateCandidates with something that is not a candidate list. */
class UnexpectedResult extends Error {}

function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    return e.message;
  }
  return String(e);
}

/** LSP RequestFailed: the server already told the user (window/showMessage) what went wrong. */
function alreadyReported(e: unknown): boolean {
  return e instanceof ResponseError && e.code === LSPErrorCodes.RequestFailed;
}

function isCancelled(e: unknown): boolean {
  return (
    (e instanceof ResponseError && (e.code === LSPErrorCodes.RequestCancelled || e.code === -32800)) ||
    (e instanceof vscode.CancellationError)
  );
}

/** The interpreter selected in the Python extension (ms-python.python), if that extension is installed. */
async function pythonExtensionInterpreter(resource: vscode.Uri | undefined, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (!ext) {
    return undefined;
  }
  try {
    const activate = (async () => (ext.isActive ? ext.exports : await ext.activate()))();
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const api: any = await Promise.race([activate, timeout]);
    const envs = api?.environments;
    const envPath = envs?.getActiveEnvironmentPath?.(resource);
    if (!envPath?.path) {
      return undefined;
    }
    const resolved = await envs.resolveEnvironment?.(envPath);
    const exe: string | undefined = resolved?.executable?.uri?.fsPath;
    return exe || envPath.path;
  } catch (e) {
    log.warn(`Python extension: could not read the selected interpreter: ${errorMessage(e)}`);
    return undefined;
  }
}

function probe(python: string, cwd: string | undefined): Promise<{ ok: true } | { ok: false; failure: ProbeFailure; detail: string }> {
  return new Promise((resolve) => {
    execFile(python, probeArgs(), { cwd, timeout: 60_000, windowsHide: true }, (err, _stdout, stderr) => {
      if (!err) {
        resolve({ ok: true });
      } else if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "EACCES") {
        resolve({ ok: false, failure: "notFound", detail: err.message });
      } else {
        const code = (err as { code?: unknown }).code;
        const detail = code === 3 ? "lsp_server is only a namespace package here (stale editable install? reinstall with pip install -e)" : (stderr || err.message).trim();
        resolve({ ok: false, failure: "notInstalled", detail });
      }
    });
  });
}

class TestTailor implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientSubscriptions: vscode.Disposable[] = [];
  private starting: Promise<LanguageClient | undefined> | undefined;
  private interpreter: Interpreter | undefined;
  private settings: TestTailorSettings = getSettings();
  private readonly statusItem: vscode.StatusBarItem;
  private serverStatus: StatusParams | undefined;
  private clientState: ClientState = "starting";
  private localTraining = false;
  private customizing = false;
  private readonly refreshTimer: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.LogOutputChannel) {
    this.statusItem = vscode.window.createStatusBarItem("testtailor.status", vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = "TestTailor";
    this.statusItem.command = ClientCommands.showAdapters;
    this.render();
    this.statusItem.show();
    this.refreshTimer = setInterval(() => this.render(), 60_000);
  }

  // ---------------------------------------------------------------- status bar

  private render(): void {
    let view: StatusView;
    if (this.serverStatus && this.client?.state === State.Running) {
      view = statusView(this.serverStatus);
    } else {
      view = clientStateView(this.clientState);
    }
    this.statusItem.text = view.text.replace(/^TestTailor:/, "$(beaker) TestTailor:");
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
    this.statusItem.accessibilityInformation = { label: view.text };
  }

  private setServerStatus(s: StatusParams, local = false): void {
    this.serverStatus = s;
    this.localTraining = local;
    this.render();
  }

  private setClientState(s: ClientState): void {
    this.clientState = s;
    this.render();
  }

  // ---------------------------------------------------------------- server lifecycle

  private workspaceDir(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  private async resolve(): Promise<Interpreter> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const fromExt = this.settings.pythonPath ? undefined : await pythonExtensionInterpreter(folder?.uri, this.output);
    return resolveInterpreter({
      setting: this.settings.pythonPath,
      pythonExtension: fromExt,
      workspaceFolder: folder?.uri.fsPath,
      home: os.homedir(),
    });
  }

  /** The running client, starting it if needed; undefined (after telling the user) when it cannot run. */
  async ensureClient(): Promise<LanguageClient | undefined> {
    if (this.client && this.client.state === State.Running) {
      return this.client;
    }
    if (!this.starting) {
      this.starting = this.start().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  /** After ensureClient() gave no client: repeats the install hint when the server is not installed; whether it did. */
  private hintIfNotInstalled(): boolean {
    if (this.interpreter && this.clientState === "notInstalled") {
      void this.showInstallHint(this.interpreter, "notInstalled");
      return true;
    }
    return false;
  }

  private async start(): Promise<LanguageClient | undefined> {
    if (this.client) {
      await this.stop();
    }
    this.setClientState("starting");
    this.serverStatus = undefined;
    const interp = await this.resolve();
    this.interpreter = interp;
    const cwd = this.workspaceDir();
    this.output.info(`Python: ${interp.command} (from ${interp.source}); starting: ${interp.command} ${serverArgs().join(" ")}`);
    const probed = await probe(interp.command, cwd);
    if (!probed.ok) {
      this.output.error(`Server check failed (${interp.command} ${probeArgs().join(" ")}): ${probed.detail}`);
      this.setClientState("notInstalled");
      void this.showInstallHint(interp, probed.failure);
      return undefined;
    }

    const serverOptions: ServerOptions = {
      command: interp.command,
      args: serverArgs(),
      // No `transport`: languageclient would append --stdio; the server speaks stdio by default.
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", language: "java" }],
      synchronize: { configurationSection: SECTION },
      initializationOptions: { ...this.settings },
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationFailedHandler: (e) => {
        this.output.error(`Server initialization failed: ${errorMessage(e)}`);
        return false;
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.clientSubscriptions.push(
      client.onNotification(StatusNotification, (raw: unknown) => {
        const s = parseStatus(raw);
        if (s) {
          this.setServerStatus(s);
        } else {
          this.output.warn(`Ignoring malformed ${StatusNotification}: ${JSON.stringify(raw)}`);
        }
      }),
      client.onDidChangeState((e) => {
        if (e.newState === State.Stopped) {
          this.setClientState("stopped");
        } else {
          this.render();
        }
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (e) {
      this.output.error(`Could not start the server: ${errorMessage(e)}`);
      this.setClientState("stopped");
      void vscode.window
        .showErrorMessage(`TestTailor: the language server did not start (${errorMessage(e)}).`, "Show Log")
        .then((c) => c && this.output.show());
      return undefined;
    }
    this.clientSubscriptions.push(installProgressHandler(client));
    this.output.info("Server started.");
    this.render();
    if (!this.serverStatus) {
      void this.refreshStatusFromAdapters();
    }
    return client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientSubscriptions.splice(0)) {
      d.dispose();
    }
    if (client) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.output.warn(`Stopping the server: ${errorMessage(e)}`);
      }
      try {
        await client.dispose();
      } catch {
        // already stopped
      }
    }
    this.setClientState("stopped");
  }

  async restart(): Promise<void> {
    this.output.info("Restarting the server.");
    await this.stop();
    await this.ensureClient();
  }

  private async showInstallHint(interp: Interpreter, failure: ProbeFailure): Promise<void> {
    const copy = "Copy Install Command";
    const settings = "Set Python Path";
    const log = "Show Log";
    const choice = await vscode.window.showErrorMessage(installHint(interp, failure), copy, settings, log);
    if (choice === copy) {
      await vscode.env.clipboard.writeText(installCommand(interp.command));
    } else if (choice === settings) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "testtailor.pythonPath");
    } else if (choice === log) {
      this.output.show();
    }
  }

  /** `workspace/executeCommand` with one argument (or none), cancellable. */
  private async exec<T>(client: LanguageClient, command: string, args: unknown[], token?: vscode.CancellationToken): Promise<T> {
    return (await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token)) as T;
  }

  private async refreshStatusFromAdapters(): Promise<void> {
    const client = this.client;
    if (!client) {
      return;
    }
    try {
      const raw = await this.exec<unknown>(client, ServerCommands.listAdapters, []);
      if (isAdapterList(raw) && (!this.serverStatus || this.localTraining)) {
        this.setServerStatus(statusFromAdapters(raw));
      }
    } catch (e) {
      this.output.debug(`listAdapters for the status bar: ${errorMessage(e)}`);
      if (!this.serverStatus) {
        this.setServerStatus({ state: "none" });
      }
    }
  }

  // ---------------------------------------------------------------- settings

  async onSettingsChanged(): Promise<void> {
    const next = getSettings();
    const prev = this.settings;
    this.settings = next;
    // Other keys reach the server through languageclient's didChangeConfiguration (synchronize.configurationSection).
    if (needsRestart(prev, next)) {
      this.output.info("testtailor.pythonPath changed: restarting the server.");
      await this.restart();
    }
  }

  async onPythonInterpreterChanged(): Promise<void> {
    if (!this.settings.pythonPath) {
      this.output.info("The Python extension's interpreter changed: restarting the server.");
      await this.restart();
    }
  }

  // ---------------------------------------------------------------- commands

  async generateTest(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== "java") {
      void vscode.window.showWarningMessage("TestTailor: put the cursor in a method of a Java file, then run Generate Unit Test.");
      return;
    }
    const client = await this.ensureClient();
    if (!client) {
      this.hintIfNotInstalled();
      return;
    }
    const k = this.settings.candidates;
    const pos = editor.selection.active;
    const params: GenerateCandidatesParams = {
      uri: client.code2ProtocolConverter.asUri(editor.document.uri),
      position: { line: pos.line, character: pos.character },
      candidates: k,
    };
    const first = retrievedFirstCount(k, this.settings.retrievedFirst);
    if (k > 1 && first > 0) {
      await this.pickWhileGenerating(client, params, first);
      return;
    }
    let result: GenerateCandidatesResult | undefined;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "Generating test…", cancellable: true },
        (_p, token) => this.requestCandidates(client, params, token),
      );
    } catch (e) {
      if (e instanceof UnexpectedResult) {
        this.output.error(e.message);
        void vscode.window.showErrorMessage("TestTailor: the server returned an unexpected result (see the TestTailor output).");
        return;
      }
      if (!isCancelled(e)) {
        this.output.error(`generateCandidates failed: ${errorMessage(e)}`);
      }
      if (!isCancelled(e) && !alreadyReported(e)) {
        void vscode.window.showErrorMessage(`TestTailor: generation failed: ${errorMessage(e)}`);
      }
      return;
    }
    if (!result) {
      return; // the server explained why with window/showMessage
    }
    if (result.candidates.length === 0) {
      void vscode.window.showInformationMessage(`TestTailor: no test could be generated for ${result.method || "this method"}.`);
      return;
    }
    let chosen: Candidate | undefined;
    if (shouldPick(k, result)) {
      const picked = await vscode.window.showQuickPick(candidateItems(result), {
        title: `TestTailor: tests for ${result.method}`,
        placeHolder: `Pick a test to insert (${result.model})`,
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (!picked) {
        return;
      }
      chosen = result.candidates[picked.index];
    } else {
      chosen = bestCandidate(result);
    }
    if (chosen) {
      await this.applyCandidate(client, chosen);
    }
  }

  /**
   * `testtailor.generateCandidates`, its result checked: undefined when the server declined (it said why with
   * window/showMessage), UnexpectedResult when the answer is not a candidate list.
   */
  private async requestCandidates(client: LanguageClient, params: GenerateCandidatesParams,
    token: vscode.CancellationToken): Promise<GenerateCandidatesResult | undefined> {
    const raw = await this.exec<unknown>(client, ServerCommands.generateCandidates, [params], token);
    if (!raw) {
      return undefined;
    }
    if (!isGenerateResult(raw)) {
      throw new UnexpectedResult(`Unexpected generateCandidates result: ${JSON.stringify(raw).slice(0, 500)}`);
    }
    return raw;
  }

  /**
   * The picker with the project's nearest tests at once (`retrievedOnly`: milliseconds), busy while the full list,
   * whose last candidate is the model's (seconds on a CPU), is generated; the items are replaced when it arrives.
   * Picking early takes the shown candidate and cancels the rest; closing the picker cancels both requests.
   */
  private async pickWhileGenerating(client: LanguageClient, params: GenerateCandidatesParams, first: number): Promise<void> {
    const cts = new vscode.CancellationTokenSource();
    const quick = vscode.window.createQuickPick<CandidateItem>();
    quick.title = "TestTailor: tests for this method";
    quick.placeholder = "The project's nearest tests first; generating the model's candidate…";
    quick.matchOnDescription = true;
    quick.matchOnDetail = true;
    quick.busy = true;
    let shown: GenerateCandidatesResult | undefined;
    let failure: unknown;
    const show = (result: GenerateCandidatesResult, done: boolean): void => {
      if (result.candidates.length === 0 && !done) {
        return; // no project tests to show first: wait for the model's
      }
      shown = result;
      quick.title = `TestTailor: tests for ${result.method}`;
      quick.items = candidateItems(result);
      if (done) {
        quick.placeholder = `Pick a test to insert (${result.model})`;
      }
    };
    const request = (p: GenerateCandidatesParams): Promise<GenerateCandidatesResult | undefined> =>
      this.requestCandidates(client, p, cts.token);
    const chosen = new Promise<Candidate | undefined>((resolve) => {
      quick.onDidAccept(() => {
        const item = quick.selectedItems[0] ?? quick.activeItems[0];
        resolve(item && shown ? shown.candidates[item.index] : undefined);
        quick.hide();
      });
      quick.onDidHide(() => resolve(undefined));
    });
    quick.show();
    const quickList = request({ ...params, candidates: first, retrievedOnly: true })
      .then((r) => r && !cts.token.isCancellationRequested && shown === undefined && show(r, false))
      .catch((e) => this.output.debug(`retrievedOnly generateCandidates: ${errorMessage(e)}`));
    const fullList = request(params)
      .then((r) => r && !cts.token.isCancellationRequested && show(r, true))
      .catch((e) => { failure = e; })
      .finally(() => { quick.busy = false; });
    void Promise.all([quickList, fullList]).then(() => {
      if (cts.token.isCancellationRequested) {
        return;
      }
      if (failure !== undefined && !shown) {
        quick.hide();
      } else if (failure !== undefined) {
        quick.placeholder = `Pick a test to insert (the model's candidate failed: ${errorMessage(failure)})`;
      } else if (!shown || shown.candidates.length === 0) {
        quick.hide();
        void vscode.window.showInformationMessage("TestTailor: no test could be generated for this method.");
      }
    });
    const picked = await chosen;
    cts.cancel();
    quick.dispose();
    if (failure !== undefined && !picked && !isCancelled(failure)) {
      this.output.error(`generateCandidates failed: ${errorMessage(failure)}`);
      if (!alreadyReported(failure)) {
        void vscode.window.showErrorMessage(`TestTailor: generation failed: ${errorMessage(failure)}`);
      }
    }
    if (picked) {
      await this.applyCandidate(client, picked);
    }
  }

  private async applyCandidate(client: LanguageClient, c: Candidate): Promise<void> {
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(c.edit as LspWorkspaceEdit);
    if (!edit || !(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage("TestTailor: the test could not be inserted (the edit was rejected).");
      return;
    }
    try {
      const uri = client.protocol2CodeConverter.asUri(c.testUri);
      const range = client.protocol2CodeConverter.asRange(c.testRange);
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc, { preview: false, selection: new vscode.Selection(range.start, range.start) });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      this.output.warn(`Could not open ${c.testUri}: ${errorMessage(e)}`);
    }
  }

  private async pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const active = vscode.window.activeTextEditor?.document.uri;
    const fromEditor = active ? vscode.workspace.getWorkspaceFolder(active) : undefined;
    if (fromEditor) {
      return fromEditor;
    }
    if (folders.length <= 1) {
      return folders[0];
    }
    return vscode.window.showWorkspaceFolderPick({ placeHolder: "Folder (repository) to customize the model to" });
  }

  async customize(): Promise<void> {
    if (this.customizing) {
      void vscode.window.showInformationMessage("TestTailor: customization is already running (see its progress notification).");
      return;
    }
    const folder = await this.pickFolder();
    if (!folder) {
      void vscode.window.showWarningMessage("TestTailor: open the project's folder first; customization learns from its git-tracked tests.");
      return;
    }
    const client = await this.ensureClient();
    if (!client) {
      this.hintIfNotInstalled();
      return;
    }
    const params: CustomizeProjectParams = {
      uri: client.code2ProtocolConverter.asUri(folder.uri),
      strategy: this.settings.strategy,
      maxMinutes: this.settings.customizeMaxMinutes,
    };
    this.customizing = true;
    if (this.serverStatus?.state !== "training") {
      this.setServerStatus({ state: "training", strategy: params.strategy }, true);
    }
    this.output.info(`Customizing ${folder.uri.fsPath} (strategy ${params.strategy}, at most ${params.maxMinutes} min).`);
    try {
      const r = await this.exec<CustomizeProjectResult | null>(client, ServerCommands.customizeProject, [params]);
      if (r) {
        this.output.info(customizeSummary(r));
        const open = "Show Adapters";
        void vscode.window.showInformationMessage(customizeSummary(r), open).then((c) => {
          if (c === open) {
            void this.showAdapters();
          }
        });
      }
    } catch (e) {
      if (isCancelled(e)) {
        void vscode.window.showInformationMessage("TestTailor: customization cancelled; the previous adapter (if any) stays in use.");
      } else if (alreadyReported(e)) {
        this.output.error(`customizeProject failed: ${errorMessage(e)}`);
      } else {
        this.output.error(`customizeProject failed: ${errorMessage(e)}`);
        void vscode.window
          .showErrorMessage(`TestTailor: customization failed: ${errorMessage(e)}`, "Show Log")
          .then((c) => c && this.output.show());
      }
    } finally {
      this.customizing = false;
      if (this.localTraining || this.serverStatus?.state === "training") {
        await this.refreshStatusFromAdapters();
      }
    }
  }

  async showAdapters(): Promise<void> {
    const client = await this.ensureClient();
    if (!client) {
      if (!this.hintIfNotInstalled()) {
        this.output.show();
      }
      return;
    }
    let raw: unknown;
    try {
      raw = await this.exec<unknown>(client, ServerCommands.listAdapters, []);
    } catch (e) {
      this.output.error(`listAdapters failed: ${errorMessage(e)}`);
      if (!alreadyReported(e)) {
        void vscode.window.showErrorMessage(`TestTailor: could not list adapters: ${errorMessage(e)}`);
      }
      return;
    }
    const adapters: AdapterInfo[] = isAdapterList(raw) ? raw : [];
    const customizeNow = "Customize now";
    if (adapters.length === 0) {
      const c = await vscode.window.showInformationMessage(
        "TestTailor: no adapters yet — generation uses the base model. Customize the model to this project?",
        customizeNow,
      );
      if (c === customizeNow) {
        await this.customize();
      }
      return;
    }
    type Item = vscode.QuickPickItem & { adapter?: AdapterInfo; action?: "customize" };
    const items: Item[] = adapterItems(adapters).map((a) => ({ label: a.label, description: a.description, detail: a.detail, adapter: a.adapter }));
    items.push({ label: "", kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: "$(sync) Customize now", description: `strategy ${this.settings.strategy}`, action: "customize" });
    const picked = await vscode.window.showQuickPick(items, { title: "TestTailor adapters", placeHolder: "Pick an adapter to open its meta.json" });
    if (!picked) {
      return;
    }
    if (picked.action === "customize") {
      await this.customize();
    } else if (picked.adapter?.path) {
      const meta = vscode.Uri.joinPath(vscode.Uri.file(picked.adapter.path), "meta.json");
      try {
        await vscode.window.showTextDocument(meta, { preview: true });
      } catch {
        void vscode.window.showInformationMessage(`TestTailor adapter: ${picked.adapter.path}`);
      }
    }
  }

  dispose(): void {
    clearInterval(this.refreshTimer);
    this.statusItem.dispose();
    for (const d of this.disposables.splice(0)) {
      d.dispose();
    }
  }
}

let instance: TestTailor | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("TestTailor", { log: true });
  const tt = new TestTailor(output);
  instance = tt;
  context.subscriptions.push(
    output,
    tt,
    vscode.commands.registerCommand(ClientCommands.generateTest, () => tt.generateTest()),
    vscode.commands.registerCommand(ClientCommands.customize, () => tt.customize()),
    vscode.commands.registerCommand(ClientCommands.showAdapters, () => tt.showAdapters()),
    vscode.commands.registerCommand(ClientCommands.restart, () => tt.restart()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) {
        void tt.onSettingsChanged();
      }
    }),
  );
  const py = vscode.extensions.getExtension("ms-python.python");
  if (py) {
    void (async () => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const api: any = py.isActive ? py.exports : await py.activate();
        const ev = api?.environments?.onDidChangeActiveEnvironmentPath;
        if (typeof ev === "function") {
          context.subscriptions.push(ev(() => void tt.onPythonInterpreterChanged()));
        }
      } catch (e) {
        output.debug(`Python extension events unavailable: ${errorMessage(e)}`);
      }
    })();
  }
  void tt.ensureClient();
}

export async function deactivate(): Promise<void> {
  await instance?.stop();
  instance = undefined;
}

// Renders server-initiated work-done progress (window/workDoneProgress/create + $/progress).
// vscode-languageclient shows such progress in the status bar (ProgressLocation.Window) without a
// Cancel button; TestTailor's long operations (customizeProject) are cancellable, so cancellable
// progress is shown as a notification whose Cancel sends window/workDoneProgress/cancel.
import * as vscode from "vscode";
import {
  type LanguageClient,
  type ProgressToken,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type WorkDoneProgressReport,
  type WorkDoneProgressEnd,
} from "vscode-languageclient/node";
import { progressMessage, progressStep } from "./status";
// (the notification's title is the server's `begin.title`; messages and percentages follow in `report`s)

type Value = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/** Install the handler; call after `client.start()` so it replaces the default one. */
export function installProgressHandler(client: LanguageClient, onValue?: (v: Value) => void): vscode.Disposable {
  return client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    trackToken(client, token, onValue);
  });
}

function trackToken(client: LanguageClient, token: ProgressToken, onValue?: (v: Value) => void): void {
  let report: ((v: WorkDoneProgressReport) => void) | undefined;
  let finish: (() => void) | undefined;
  let ended = false;
  const pending: WorkDoneProgressReport[] = [];

  const sub = client.onProgress(WorkDoneProgress.type, token, (value: Value) => {
    onValue?.(value);
    if (value.kind === "begin") {
      start(value);
    } else if (value.kind === "report") {
      if (report) {
        report(value);
      } else {
        pending.push(value);
      }
    } else {
      ended = true;
      sub.dispose();
      finish?.();
    }
  });

  function start(begin: WorkDoneProgressBegin): void {
    const location = begin.cancellable ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window;
    void vscode.window.withProgress(
      { location, cancellable: !!begin.cancellable, title: begin.title || "TestTailor" },
      (progress, cancel) =>
        new Promise<void>((resolve) => {
          let current = 0;
          const apply = (message: string | undefined, percentage: number | undefined): void => {
            const step = progressStep(current, percentage);
            current = step.current;
            progress.report({ message: progressMessage(undefined, message), increment: step.increment });
          };
          apply(begin.message, begin.percentage);
          report = (v) => apply(v.message, v.percentage);
          finish = resolve;
          cancel.onCancellationRequested(() => {
            void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
          });
          for (const v of pending.splice(0)) {
            report(v);
          }
          if (ended) {
            resolve();
          }
        }),
    );
  }
}

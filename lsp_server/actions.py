"""``textDocument/codeAction`` (cheap: tree-sitter only) and ``codeAction/resolve`` (model work in a thread)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from customizer.defaults import Settings
from customizer.errors import TestTailorError
from lsp_server import convert, pipeline, runtime
from lsp_server.documents import cached_adapter, java_document, parsed
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)
GENERATE_TEST_KIND = "refactor.generateTest"


def action_title(ls: TestTailorServer, name: str, repo: Path) -> str:
    checked = "; compiles and runs it first" if ls.settings.validate else ""
    if ls.settings.strategy == "retrieve":
        return f"Generate unit test for `{name}` (from the project's nearest existing test{checked})"
    meta = cached_adapter(ls, repo)
    model = "base model" if meta is None else f"personalized: {getattr(meta, 'strategy', ls.settings.strategy)}"
    if ls.settings.retrieved_first > 0:  # the best candidate is then the project's nearest test, when it has one
        model = f"nearest project test, or {model}"
    return f"Generate unit test for `{name}` ({model}{checked})"


def verified_title(name: str, best: pipeline.Placed) -> str:
    """The title once the candidate was validated: what was verified, e.g. ``(compiles, passes)``."""
    return f"Generate unit test for `{name}` ({best.validation.summary()})" if best.validation else ""


def list_actions(ls: TestTailorServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    if params.context.only and not any(GENERATE_TEST_KIND.startswith(kind) for kind in params.context.only):
        return None
    doc = java_document(ls, params.text_document.uri)
    if doc is None:
        return None
    start = ls.workspace.position_codec.position_from_client_units(
        doc.document.lines, types.Position(line=params.range.start.line, character=params.range.start.character))
    tree = parsed(ls, doc)
    if start.line >= tree.line_count:
        return None
    method = pipeline.testable_method_at(tree, start.line, start.character)
    if method is None:
        return None
    data = {"uri": doc.uri, "line": method.start_line, "character": method.name_col, "name": method.name,
            "version": doc.version}
    return [types.CodeAction(title=action_title(ls, method.name, doc.repo), kind=GENERATE_TEST_KIND, data=data)]


def resolve_candidates(settings: Settings) -> int:
    """How many candidates a resolve generates. It applies only the best one; with the project's nearest tests
    first (``retrievedFirst`` > 0) the best is the nearest test, adapted, so a single candidate gives the same
    edit without running the model: milliseconds instead of seconds with the 42M base model
    (docs/benchmarks.md). With ``validate`` all ``candidates`` are compiled and run to pick the best, and with
    ``retrievedFirst`` 0 the best is the model's; both need the full list. A project without tests gets the
    model's best candidate either way. ``testtailor.generateCandidates`` (the pick list) always makes all of them.
    """
    if settings.validate or settings.retrieved_first <= 0:
        return settings.candidates
    return 1


def open_texts(ls: TestTailorServer) -> dict[Path, str]:
    """Texts of the open Java buffers by path (a test file open in the editor is edited as shown there)."""
    texts = {}
    for uri, doc in ls.workspace.text_documents.items():
        path = to_fs_path(uri)
        if path and path.endswith(".java"):
            texts[Path(path).resolve()] = doc.source
    return texts


def document_version(ls: TestTailorServer, uri: str) -> int | None:
    doc = ls.workspace.text_documents.get(uri)
    return doc.version if doc is not None else None


async def generate(ls: TestTailorServer, uri: str, name: str, line: int, k: int,
                   strategy: str | None = None, retrieved_only: bool = False) -> pipeline.Result:
    """``k`` candidates for method ``name`` placed in the project (``strategy``: the setting unless given;
    ``retrieved_only``: the project's nearest tests alone, as the full list orders them, nothing decoded)."""
    doc = java_document(ls, uri)
    if doc is None:
        raise TestTailorError(f"{to_fs_path(uri) or uri} is not a Java file inside a git repository; "
                              "open a .java file of your project")
    strategy, texts = strategy or ls.settings.strategy, open_texts(ls)
    validate, classpath, first = ls.settings.validate, ls.settings.classpath, ls.settings.retrieved_first

    def work() -> pipeline.Result:  # in the model thread: importing and loading the model is slow too
        return pipeline.generate_placed(ls.generator, ls.conventions, doc.repo, doc.path, doc.text, name, line,
                                        k, strategy, texts, validate=validate, classpath=classpath,
                                        retrieved_first=first, retrieved_only=retrieved_only)

    try:
        return await ls.in_model_thread(work)
    finally:
        runtime.after_generation(ls)  # the runtime's fallback note (once), progress of an export it started


async def resolve_action(ls: TestTailorServer, action: types.CodeAction) -> types.CodeAction:
    data: Any = action.data
    if not isinstance(data, dict) or not {"uri", "line", "name"} <= data.keys():
        return action
    try:
        result = await generate(ls, data["uri"], data["name"], int(data["line"]), resolve_candidates(ls.settings))
    except Exception as exc:
        ls.report(exc)
        reason = exc.message if isinstance(exc, TestTailorError) else "internal error; see the server log"
        action.disabled = types.CodeActionDisabled(reason=reason)
        return action
    best = result.best()
    test_uri = convert.test_uri(best.edit)
    action.edit = convert.workspace_edit(ls.workspace, best.edit, document_version(ls, test_uri),
                                         convert.EditSupport.of(ls.client_capabilities))
    if action.edit is None:  # a new test file, and the client cannot create files through an edit
        action.command = convert.create_command(ls.workspace, best.edit)
    verb = "Create" if best.edit.created else "Add to"
    logger.info("%s %s: %s", verb, best.edit.path, best.edit.method_name)
    if best.validation is not None:  # clients that render the title before resolving still learn the outcome
        action.title = verified_title(data["name"], best)
        detail = f": {best.validation.message}" if best.validation.message else ""
        ls.show(f"the test for `{data['name']}` {best.validation.summary()}{detail} "
                f"(best of {len(result.placed)} checked)")
    return action


def register(server: TestTailorServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[GENERATE_TEST_KIND], resolve_provider=True))
    def code_action(ls: TestTailorServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        try:
            return list_actions(ls, params)
        except Exception as exc:  # listing must never fail loudly: a broken file just has no action
            logger.exception("code action listing failed for %s: %s", params.text_document.uri, exc)
            return None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: TestTailorServer, action: types.CodeAction) -> types.CodeAction:
        return await resolve_action(ls, action)

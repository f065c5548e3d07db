"""``customizer`` results as LSP objects: a :class:`TestEdit` becomes a ``WorkspaceEdit`` the client can apply.

Clients that advertise ``workspace.workspaceEdit.documentChanges`` (or resource operations) get
``documentChanges`` (versioned, so a buffer changed meanwhile rejects the edit), plus a ``CreateFile`` for a new
test file when they advertise the ``create`` resource operation. Others get plain ``changes`` for an existing
test file; a new test file cannot be expressed as an edit for them at all (``changes`` may only touch existing
documents), so the caller offers the ``testtailor.createTestFile`` command instead (:mod:`lsp_server.new_file`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.uris import from_fs_path
from pygls.workspace import Workspace

from customizer.placement import TestEdit

_converter = get_converter()
CREATE_TEST_FILE = "testtailor.createTestFile"  # the command lives in lsp_server.new_file


def to_json(value: Any) -> Any:
    """An lsprotocol object as plain JSON data (for command results)."""
    return _converter.unstructure(value)


def from_json(value: Any, cls: type[Any]) -> Any:
    """Plain JSON data as an lsprotocol object of type ``cls``."""
    return _converter.structure(value, cls)


def _position(workspace: Workspace, lines: list[str], line: int, col: int) -> types.Position:
    return workspace.position_codec.position_to_client_units(lines, types.Position(line=line, character=col))


def test_range(workspace: Workspace, edit: TestEdit) -> types.Range:
    lines = edit.final_text.splitlines(keepends=True)
    sl, sc, el, ec = edit.test_range
    return types.Range(start=_position(workspace, lines, sl, sc), end=_position(workspace, lines, el, ec))


@dataclass(frozen=True)
class EditSupport:
    """Which ``WorkspaceEdit`` forms the client applies (from its ``ClientCapabilities``)."""

    document_changes: bool = True
    create_files: bool = True

    @classmethod
    def of(cls, capabilities: types.ClientCapabilities) -> EditSupport:
        """Resource operations exist only inside ``documentChanges``: a client advertising them (Neovim does,
        without ``documentChanges: true``) applies ``documentChanges``."""
        workspace_edit = capabilities.workspace.workspace_edit if capabilities.workspace else None
        operations = (workspace_edit.resource_operations if workspace_edit else None) or []
        document_changes = bool(workspace_edit and (workspace_edit.document_changes or operations))
        return cls(document_changes, types.ResourceOperationKind.Create in operations)


def workspace_edit(workspace: Workspace, edit: TestEdit, version: int | None = None,
                   support: EditSupport | None = None) -> types.WorkspaceEdit | None:
    """``CreateFile`` plus the whole content for a new test file; insertions for an existing one (``version``:
    the open document's version, so a client rejects the edit if the buffer changed meanwhile). None when the
    test file is new and the client cannot create files."""
    support = support or EditSupport()
    uri = from_fs_path(str(edit.path)) or edit.path.as_uri()
    if edit.created and not support.create_files:
        return None
    changes: list[Any] = []
    if edit.created:
        changes.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False,
                                                                                 ignore_if_exists=False)))
        start = types.Position(line=0, character=0)
        edits = [types.TextEdit(range=types.Range(start=start, end=start), new_text=edit.new_text or "")]
    else:
        lines = (edit.original_text or "").splitlines(keepends=True)
        edits = []
        for ins in edit.insertions:
            at = _position(workspace, lines, ins.line, ins.col)
            edits.append(types.TextEdit(range=types.Range(start=at, end=at), new_text=ins.text))
    if not support.document_changes:
        return types.WorkspaceEdit(changes={uri: edits})
    changes.append(types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=edits))
    return types.WorkspaceEdit(document_changes=changes)


def test_uri(edit: TestEdit) -> str:
    return from_fs_path(str(edit.path)) or edit.path.as_uri()


def create_command(workspace: Workspace, edit: TestEdit) -> types.Command:
    """``testtailor.createTestFile`` for ``edit``'s new test file: what a client that cannot create files through
    an edit runs instead (see the module docstring)."""
    return types.Command(title=f"Create {edit.path.name}", command=CREATE_TEST_FILE,
                         arguments=[{"uri": test_uri(edit), "text": edit.new_text or "",
                                     "selection": to_json(test_range(workspace, edit))}])

"""``customizer`` results as LSP objects: a :class:`TestEdit` becomes a ``WorkspaceEdit`` with ``documentChanges``."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.uris import from_fs_path
from pygls.workspace import Workspace

from customizer.placement import TestEdit

_converter = get_converter()


def to_json(value: Any) -> Any:
    """An lsprotocol object as plain JSON data (for command results)."""
    return _converter.unstructure(value)


def _position(workspace: Workspace, lines: list[str], line: int, col: int) -> types.Position:
    return workspace.position_codec.position_to_client_units(lines, types.Position(line=line, character=col))


def test_range(workspace: Workspace, edit: TestEdit) -> types.Range:
    lines = edit.final_text.splitlines(keepends=True)
    sl, sc, el, ec = edit.test_range
    return types.Range(start=_position(workspace, lines, sl, sc), end=_position(workspace, lines, el, ec))


def workspace_edit(workspace: Workspace, edit: TestEdit, version: int | None = None) -> types.WorkspaceEdit:
    """``CreateFile`` plus the whole content for a new test file; insertions for an existing one (``version``:
    the open document's version, so a client rejects the edit if the buffer changed meanwhile)."""
    uri = from_fs_path(str(edit.path)) or edit.path.as_uri()
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
    changes.append(types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=edits))
    return types.WorkspaceEdit(document_changes=changes)


def test_uri(edit: TestEdit) -> str:
    return from_fs_path(str(edit.path)) or edit.path.as_uri()

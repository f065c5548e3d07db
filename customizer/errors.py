"""User-facing errors. Each carries a one-line, actionable message and a distinct exit code.

The CLI prints ``testtailor: error: <message>`` and exits with ``exit_code``; the language server
turns the same errors into ``window/showMessage``. Never raise bare exceptions for bad user input.
"""

from __future__ import annotations


class TestTailorError(Exception):
    """Base class: bad input or environment the user can fix. Message says what to do."""

    __test__ = False  # not a pytest test class despite the name
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAGitRepositoryError(TestTailorError):
    exit_code = 10


class NoJavaFilesError(TestTailorError):
    exit_code = 11


class NoTestsFoundError(TestTailorError):
    exit_code = 12


class JavaSyntaxError(TestTailorError):
    exit_code = 13


class NotJavaFileError(TestTailorError):
    exit_code = 14


class NoMethodAtPositionError(TestTailorError):
    exit_code = 15


class UnknownContextLevelError(TestTailorError):
    exit_code = 16


class UnsafeTestPathError(TestTailorError):
    """The test file would lie outside the repository (a crafted path, a symlink, odd conventions)."""

    exit_code = 27


class DatasetFormatError(TestTailorError):
    """A pairs file that is not the JSONL written by ``testtailor mine``."""

    exit_code = 28


class ClasspathError(TestTailorError):
    """A user-given classpath entry (``--classpath``, ``testtailor.classpath``) that does not exist."""

    exit_code = 29


class DatasetTooSmallError(TestTailorError):
    exit_code = 20


class UnknownStrategyError(TestTailorError):
    exit_code = 21


class DeviceError(TestTailorError):
    exit_code = 22


class ModelLoadError(TestTailorError):
    exit_code = 23


class AdapterError(TestTailorError):
    """A corrupt, missing or mismatched adapter."""

    exit_code = 24


class AdapterMismatchError(AdapterError):
    exit_code = 25


class StorageError(TestTailorError):
    """Disk full or unwritable location while saving; the previous state is intact."""

    exit_code = 26


class ServingSettingsError(TestTailorError):
    """An invalid adapter-serving setting (cache limits, a batch the serving cache cannot run)."""

    exit_code = 33


class OnnxExportError(TestTailorError):
    """The ONNX Runtime path cannot serve this model (onnxruntime missing, unsupported model or strategy).

    Generation catches it and falls back to PyTorch with its message; it exits only where ONNX was required.
    """

    exit_code = 34


class TrainingInterrupted(TestTailorError):
    exit_code = 130

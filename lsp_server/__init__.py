"""TestTailor language server: offers "Generate unit test" as a code action on Java methods.

A thin pygls 2 server: each feature module maps LSP requests onto ``customizer`` calls. Model work runs in a
worker thread, customization in a subprocess, so the event loop keeps answering.
"""

from customizer import __version__

__all__ = ["__version__"]

"""The shipped base model's recipe: pretokenize the Debian corpus, train a small BART, export it into the package.

Everything here is resumable across sessions: data and checkpoints live outside the work tree
(default ``~/.cache/testtailor-dev/basemodel``; override with ``TESTTAILOR_DEV_CACHE``).
"""

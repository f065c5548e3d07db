"""Debian Java source packages → git repositories → the base model's pretraining corpus.

Modules: :mod:`paths` (cache layout), :mod:`lists` (which packages may be used), :mod:`debian`
(source package → git repository), :mod:`build` (mine repos → per-package JSONL), :mod:`dedup`
(exact and near-duplicate removal), :mod:`merge` (shards + stats), :mod:`report` (``docs/corpus.md``),
:mod:`tokenizer` (byte-level BPE).
"""

"""Test mining: git-tracked Java files → (focal method, test method) pairs, test conventions, folds."""

from customizer.mining.conventions import TestConventions
from customizer.mining.folds import split_folds, train_val_split
from customizer.mining.miner import MiningResult, MiningSummary, mine_repository
from customizer.mining.pairs import Pair, read_pairs, write_pairs

__all__ = [
    "MiningResult",
    "MiningSummary",
    "Pair",
    "TestConventions",
    "mine_repository",
    "read_pairs",
    "split_folds",
    "train_val_split",
    "write_pairs",
]

"""Evaluation: the paper's metrics, k-fold customization runs, statistics and the report."""

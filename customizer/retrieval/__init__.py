"""Retrieval from the project's own tests: the baseline to beat, and context for the model."""

from customizer.retrieval.index import RetrievalIndex, Retrieved
from customizer.retrieval.rename import adapt_test

__all__ = ["RetrievalIndex", "Retrieved", "adapt_test"]

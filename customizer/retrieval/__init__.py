"""Retrieval from the project's own tests: the baseline to beat, and context for the model."""

from customizer.retrieval.augment import render_retrieved, retrieved_for_pairs, retrieved_texts, training_retrieval
from customizer.retrieval.index import RetrievalIndex, Retrieved
from customizer.retrieval.nearest import nearest_adapted
from customizer.retrieval.rename import adapt_test

__all__ = ["RetrievalIndex", "Retrieved", "adapt_test", "nearest_adapted", "render_retrieved", "retrieved_for_pairs",
           "retrieved_texts", "training_retrieval"]

"""TestTailor's engine: Java analysis, test mining, customization strategies, training, generation."""

__version__ = "0.1.0"

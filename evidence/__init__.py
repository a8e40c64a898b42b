"""evidence: clinical-trial reports -> a structured, verified evidence database."""

__version__ = "0.1.0"

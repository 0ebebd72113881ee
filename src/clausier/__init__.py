"""Clausier — the back office that bills exactly what the terms of sale say."""

__version__ = "0.1.0"

"""Deposits and guarantees."""

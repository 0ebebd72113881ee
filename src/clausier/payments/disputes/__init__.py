"""Disputes of invoices."""

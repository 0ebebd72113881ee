"""SEPA direct debit: creditor, mandates, collections, files and returns."""

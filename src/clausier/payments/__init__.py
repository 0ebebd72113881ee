"""Payments and collections: payments, SEPA direct debit and returns, late interest, dunning, deposits, disputes, letters."""

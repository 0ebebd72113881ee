"""The dunning ladder."""

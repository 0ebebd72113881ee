"""Payments received, credits, refunds and set-off; late payment."""

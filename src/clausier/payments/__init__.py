"""Payments and collections, every figure from the general terms the customer signed:

* ``ledger`` — payments received and their allocation, credits, refunds, set-off;
  ``ledger.late_payment`` — legal interest rates, late interest, the recovery indemnity;
* ``sepa`` — creditor account, mandates, debits, pain.008 files (``sepa.files``), returns;
* ``dunning`` — the dunning ladder, staff decisions, letters' receipts, reconnection;
* ``deposits``, ``disputes``;
* ``overview`` — the collections view of a customer; ``daily`` — the collections tick;
* ``common`` — the customer, its terms and operator; ``invoices`` — billing's invoices as
  the payment rules read them; ``rules`` — the pure rules of all of them.

Other rooms are read through their ``facts``; invoices' payment status moves only through
``billing.invoices.service.record_payment``, one-off amounts go to the next invoice through
``billing.ledger.charges.add_charge``; letters, e-mails and SMS go through ``notifications``."""

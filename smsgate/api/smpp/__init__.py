"""The SMPP server for customers: binds, submits, queries and the receipts and MO handed
to their binds, over the `smsgate.smpp` library."""

"""The pure domain of smsgate: money, accounts, ledger, pricing, messages, receipts.

Nothing here awaits, reads a clock or touches I/O; time and ids come in as arguments.
"""

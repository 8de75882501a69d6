"""Webhooks: the outbox sender and the signature customers verify."""

"""Upstream connectors: the built-in simulated operator, SMPP and HTTP upstreams."""

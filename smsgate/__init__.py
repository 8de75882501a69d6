"""smsgate: a self-hosted SMS gateway and reseller platform."""

__version__ = "0.1.0"

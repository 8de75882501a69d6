"""The SMSC dialect (/sys/*.php): `Api` gives its routes."""

from smsgate.api.compat.smsc.routes import SmscApi as Api

__all__ = ["Api"]

"""The SMS Partner dialect (/v1): `Api` gives its routes."""

from smsgate.api.compat.smspartner.routes import SmsPartnerApi as Api

__all__ = ["Api"]

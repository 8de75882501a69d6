"""The Agile Telecom dialect (/services): `Api` gives its routes."""

from smsgate.api.compat.agiletelecom.routes import AgileTelecomApi as Api

__all__ = ["Api"]

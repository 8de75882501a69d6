"""The files a gateway keeps in its data directory: the directory itself, the webhook
secret (unless configured) and the key portal sessions are signed with, each generated
once and kept with mode 0600, so every process and restart uses the same."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from smsgate.config import Settings


def prepare_data_dir(settings: Settings) -> str:
    """Create the data directory; return the webhook secret: the configured one, else
    one generated once and kept there."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    if settings.webhook_secret:
        return settings.webhook_secret
    path = Path(settings.data_dir) / "webhook.secret"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_hex(32)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


def portal_secret(settings: Settings) -> bytes:
    """The key portal sessions are signed with: generated once into the data directory,
    so every process (and every restart) accepts the same cookies."""
    path = Path(settings.data_dir) / "portal.secret"
    if not path.exists():
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f"portal.secret.{secrets.token_hex(8)}")
        fresh.write_text(secrets.token_hex(32) + "\n")
        fresh.chmod(0o600)
        # A link never replaces a file: of two processes starting at once, one key wins.
        with contextlib.suppress(FileExistsError):
            os.link(fresh, path)
        fresh.unlink()
    return bytes.fromhex(path.read_text().strip())

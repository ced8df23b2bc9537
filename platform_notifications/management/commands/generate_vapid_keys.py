"""Generate the VAPID key pair of the web push channel and print the settings that hold it."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand
from py_vapid import Vapid01


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate() -> tuple[str, str]:
    """(private key as base64url DER, public key as base64url uncompressed point for ``applicationServerKey``)."""
    vapid = Vapid01()
    vapid.generate_keys()
    private = vapid.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64(private), _b64(public)


class Command(BaseCommand):
    help = "Generate a VAPID key pair for web push and print the two settings to add (keep the private key secret)."

    def handle(self, *args, **options) -> None:
        private, public = generate()
        self.stdout.write(f'NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY = "{private}"\n')
        self.stdout.write(f'NOTIFICATIONS_WEBPUSH_VAPID_PUBLIC_KEY = "{public}"\n')

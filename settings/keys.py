"""The standalone server's JWT signing keys: from the environment, else from a key file, else made for this process.

Every process that verifies a JWT must hold the same public key as the process that signed it. A key pair made
per process therefore only serves a single process; ``make run`` starts a web server, a live-stream server and
workers, so the demo keeps its pair in a file under ``var/`` (like its VAPID keys) and every process loads it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def _generate() -> tuple[str, str]:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_jwk = {**json.loads(RSAAlgorithm.to_jwk(key)), "kid": "standalone"}
    public_jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "standalone"}
    return json.dumps(private_jwk), json.dumps({"keys": [public_jwk]})


def signing_keys(key_file: Path | None = None) -> tuple[str, str, bool]:
    """(private JWK, public JWK set, ephemeral) as Open edX's ``JWT_AUTH`` settings take the first two.

    ``ephemeral`` is true when the pair was made for this process only (no environment, no key file): the
    system check ``platform_notifications.W030`` then warns a production deployment.
    """
    private = os.environ.get("JWT_PRIVATE_SIGNING_JWK")
    public = os.environ.get("JWT_PUBLIC_SIGNING_JWK_SET")
    if private and public:
        return private, public, False
    if key_file is None:
        return (*_generate(), True)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        private, public = _generate()
        # Written to a private temporary file, then linked into place: when several processes start at once,
        # one link wins and every process reads the same complete pair.
        temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"private": private, "public": public}, out)
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    stored = json.loads(key_file.read_text())
    return stored["private"], stored["public"], False

"""The standalone server's JWT signing keys: from the environment, else a key pair made for this process."""

from __future__ import annotations

import json
import os


def signing_keys() -> tuple[str, str]:
    """(private JWK, public JWK set) as JSON strings, the shapes Open edX's ``JWT_AUTH`` settings take."""
    private = os.environ.get("JWT_PRIVATE_SIGNING_JWK")
    public = os.environ.get("JWT_PUBLIC_SIGNING_JWK_SET")
    if private and public:
        return private, public
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_jwk = {**json.loads(RSAAlgorithm.to_jwk(key)), "kid": "standalone"}
    public_jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "standalone"}
    return json.dumps(private_jwk), json.dumps({"keys": [public_jwk]})

"""The node's identity: its id, its signing key (made on first start), the origin of its log."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import Settings
from signing.keys import Keyring, SigningKey


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    name: str
    endpoint: str
    key: SigningKey
    keyring: Keyring = field(repr=False)

    @property
    def origin(self) -> str:
        """The checkpoint origin line and note signer name: unique per node log."""
        return f"ggzy-gateway/{self.node_id}"


def load_or_create_key(path: Path, *, alg: str, passphrase: bytes | None) -> SigningKey:
    if path.exists():
        return SigningKey.from_pem(path.read_bytes(), passphrase)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate(alg)
    tmp = path.with_suffix(".tmp")
    # Private key: owner-only from the moment the file exists, then an atomic rename.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.to_pem(passphrase))
    os.replace(tmp, path)
    return key


def load_identity(settings: Settings) -> NodeIdentity:
    secret = settings.signing.key_passphrase.get_secret_value().encode() or None
    key = load_or_create_key(settings.key_file, alg=settings.signing.alg, passphrase=secret)
    return NodeIdentity(
        node_id=settings.node.id,
        name=settings.node.name,
        endpoint=settings.node.endpoint,
        key=key,
        keyring=Keyring([key.public]),
    )

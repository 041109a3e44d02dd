"""The failures of the signing core. `SignatureError` is the only base a caller needs to catch."""

from __future__ import annotations

from schemas.errors import GatewayError


class SignatureError(GatewayError):
    """A signature, key, token or signed structure that cannot be trusted or cannot be made."""

    code = "signature.invalid"
    status = 422


class UnknownKeyError(SignatureError):
    """The key id is not in the keyring, is revoked, or is outside its validity window."""

    code = "signature.unknown_key"


class CanonicalizationError(SignatureError):
    """A value that has no RFC 8785 form (NaN, infinities, unsafe integers, lone surrogates, ...)."""

    code = "canonical.unsupported_value"


class EnvelopeError(SignatureError):
    """An envelope that does not have the shape of DESIGN.md §4.2."""

    code = "envelope.invalid"


class ProofError(SignatureError):
    """A Merkle inclusion or consistency proof that does not check out."""

    code = "log.proof_invalid"

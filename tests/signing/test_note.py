from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest

from signing.errors import SignatureError
from signing.keys import PublicKey, SigningKey
from signing.note import (
    Checkpoint,
    NoteKind,
    NoteVerifier,
    add_signature,
    checkpoint_body,
    cosign,
    cosignature_timestamp,
    note_key_id,
    open_note,
    parse_checkpoint,
    sign_note,
    verify_note,
)

INVALID = "signature.invalid"
ORIGIN = "ggzy.example/530600"
WITNESS = "audit.example/530000"
ROOT = hashlib.sha256(b"a root").digest()
BODY = checkpoint_body(ORIGIN, 42, ROOT)
NOW = 1_700_000_000


@pytest.fixture(scope="module")
def node_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def witness_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def sm2_key() -> SigningKey:
    return SigningKey.generate("SM2")


@pytest.fixture(scope="module")
def note(node_key: SigningKey) -> str:
    return sign_note(BODY, ORIGIN, node_key)


@pytest.fixture(scope="module")
def node_verifier(node_key: SigningKey) -> NoteVerifier:
    return NoteVerifier(ORIGIN, node_key.public)


@pytest.fixture(scope="module")
def witness_verifier(witness_key: SigningKey) -> NoteVerifier:
    return NoteVerifier(WITNESS, witness_key.public, "cosignature")


def signature_blob(line: str) -> bytes:
    return base64.b64decode(line.rstrip("\n").rsplit(" ", 1)[1])


def line_with_blob(name: str, blob: bytes) -> str:
    return f"— {name} {base64.b64encode(blob).decode()}\n"


def sloppy_last_character(character: str) -> str:
    """The base64 character one above: same decoded bytes when the low bits are unused padding bits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return alphabet[alphabet.index(character) + 1]


def assert_invalid(excinfo: pytest.ExceptionInfo[SignatureError]) -> None:
    assert excinfo.value.code == INVALID


class TestCheckpointBody:
    def test_lines_are_origin_size_and_base64_root(self) -> None:
        expected = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
        assert checkpoint_body(ORIGIN, 42, ROOT) == expected

    def test_extensions_follow_the_root(self) -> None:
        body = checkpoint_body(ORIGIN, 0, ROOT, ["ext one", "ext two"])
        assert body.endswith("\next one\next two\n")
        assert parse_checkpoint(body) == Checkpoint(ORIGIN, 0, ROOT, ("ext one", "ext two"))

    def test_spec_example_round_trips(self) -> None:
        # The checkpoint example of https://c2sp.org/tlog-checkpoint (C2SP/C2SP, tlog-checkpoint.md).
        body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        checkpoint = parse_checkpoint(body)
        assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
        assert checkpoint.body() == body

    @pytest.mark.parametrize(
        ("origin", "size", "root", "extensions"),
        [
            ("", 1, ROOT, ()),
            ("two\nlines", 1, ROOT, ()),
            ("tab\there", 1, ROOT, ()),
            (ORIGIN, -1, ROOT, ()),
            (ORIGIN, 2**64, ROOT, ()),
            (ORIGIN, 1, ROOT[:31], ()),
            (ORIGIN, 1, ROOT, ("",)),
            (ORIGIN, 1, ROOT, ("a\nb",)),
        ],
    )
    def test_rejects_what_cannot_be_a_checkpoint(
        self, origin: str, size: int, root: bytes, extensions: tuple[str, ...]
    ) -> None:
        with pytest.raises(SignatureError, match=r"checkpoint|tree size|root hash") as caught:
            checkpoint_body(origin, size, root, extensions)
        assert_invalid(caught)


class TestParseCheckpoint:
    def test_round_trip(self) -> None:
        assert parse_checkpoint(BODY) == Checkpoint(ORIGIN, 42, ROOT)
        assert parse_checkpoint(BODY).body() == BODY

    def test_largest_size(self) -> None:
        assert parse_checkpoint(checkpoint_body(ORIGIN, 2**64 - 1, ROOT)).size == 2**64 - 1

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (BODY[:-1], "end with a newline"),
            (f"{ORIGIN}\n42\n", "needs an origin"),
            (BODY.replace("\n42\n", "\n042\n"), "canonical decimal"),
            (BODY.replace("\n42\n", "\n+42\n"), "canonical decimal"),
            (BODY.replace("\n42\n", "\n 42\n"), "canonical decimal"),
            (BODY.replace("\n42\n", "\n٤٢\n"), "canonical decimal"),
            (BODY.replace("\n42\n", f"\n{2**64}\n"), "canonical decimal"),
            (BODY.replace("\n42\n", "\n\n"), "canonical decimal"),
            ("\n" + BODY.split("\n", 1)[1], "must not be empty"),
            (BODY + "\n", "must not be empty"),
            (BODY.replace("=\n", "\n"), "not valid base64"),
            (BODY.replace(base64.b64encode(ROOT).decode(), "*" * 44), "not valid base64"),
            (checkpoint_body(ORIGIN, 1, ROOT).replace("=\n", "9\n"), "must be 32 bytes"),
            (f"{ORIGIN}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "must be 32 bytes"),
            (BODY.replace(ORIGIN, ORIGIN + "\r"), "control characters"),
        ],
    )
    def test_rejects_malformed_bodies(self, body: str, message: str) -> None:
        with pytest.raises(SignatureError, match=message) as caught:
            parse_checkpoint(body)
        assert_invalid(caught)

    def test_rejects_non_canonical_base64(self) -> None:
        encoded = base64.b64encode(ROOT).decode()
        # Same bytes, but the unused low bits of the last character are set.
        sloppy = encoded[:-2] + sloppy_last_character(encoded[-2]) + "="
        assert base64.b64decode(sloppy) == ROOT
        with pytest.raises(SignatureError, match="canonical base64") as caught:
            parse_checkpoint(BODY.replace(encoded, sloppy))
        assert_invalid(caught)


class TestSignNote:
    def test_round_trip(self, note: str, node_verifier: NoteVerifier) -> None:
        verified = verify_note(note, [node_verifier])
        assert verified.body == BODY
        assert verified.checkpoint == Checkpoint(ORIGIN, 42, ROOT)
        assert verified.signers == (ORIGIN,)
        assert verified.cosignatures == {}

    def test_format_is_body_blank_line_and_signature_line(self, note: str, node_key: SigningKey) -> None:
        body, _, line = note.partition("\n\n")
        assert body + "\n" == BODY
        assert line.startswith(f"— {ORIGIN} ")
        assert line.endswith("\n")
        assert line.count("\n") == 1
        blob = signature_blob(line)
        expected_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + node_key.public.raw).digest()[:4]
        assert blob[:4] == expected_id == note_key_id(ORIGIN, node_key.public)
        node_key.public.verify(blob[4:], BODY.encode())

    @pytest.mark.parametrize(
        "tampered_body",
        [
            checkpoint_body(ORIGIN, 43, ROOT),
            checkpoint_body(ORIGIN, 42, hashlib.sha256(b"another root").digest()),
            checkpoint_body("ggzy.example/530621", 42, ROOT),
            checkpoint_body(ORIGIN, 42, ROOT, ["extension"]),
        ],
    )
    def test_tampered_body_is_rejected(
        self, note: str, node_verifier: NoteVerifier, tampered_body: str
    ) -> None:
        forged = tampered_body + note[len(BODY) :]
        with pytest.raises(SignatureError, match="does not verify") as caught:
            verify_note(forged, [node_verifier])
        assert_invalid(caught)

    def test_tampered_signature_is_rejected(self, note: str, node_verifier: NoteVerifier) -> None:
        blob = bytearray(signature_blob(note[len(BODY) + 1 :]))
        blob[10] ^= 1
        forged = BODY + "\n" + line_with_blob(ORIGIN, bytes(blob))
        with pytest.raises(SignatureError, match=f"trusted key {ORIGIN} does not verify") as caught:
            verify_note(forged, [node_verifier])
        assert_invalid(caught)

    def test_signature_by_another_key_under_a_known_id_is_rejected(
        self, node_verifier: NoteVerifier, other_key: SigningKey
    ) -> None:
        forged_blob = node_verifier.key_id + other_key.sign(BODY.encode())
        with pytest.raises(SignatureError, match="does not verify") as caught:
            verify_note(BODY + "\n" + line_with_blob(ORIGIN, forged_blob), [node_verifier])
        assert_invalid(caught)

    def test_unknown_signers_are_ignored(
        self, note: str, node_verifier: NoteVerifier, other_key: SigningKey
    ) -> None:
        stranger = sign_note(BODY, "stranger.example", other_key).split("\n\n")[1]
        same_name_other_key = sign_note(BODY, ORIGIN, other_key).split("\n\n")[1]
        garbage = line_with_blob("garbage.example", b"\x00" * 20)
        combined = add_signature(add_signature(add_signature(note, stranger), same_name_other_key), garbage)
        verified = verify_note(combined, [node_verifier])
        assert verified.signers == (ORIGIN,)

    def test_wrong_key_finds_no_trusted_signature(self, note: str, other_key: SigningKey) -> None:
        with pytest.raises(SignatureError, match="no signature on the note is from a trusted key") as caught:
            verify_note(note, [NoteVerifier(ORIGIN, other_key.public)])
        assert_invalid(caught)

    def test_no_verifiers_trusts_nothing(self, note: str) -> None:
        with pytest.raises(SignatureError, match="trusted key"):
            verify_note(note, [])

    def test_verify_note_requires_a_checkpoint(
        self, node_key: SigningKey, node_verifier: NoteVerifier
    ) -> None:
        signed = sign_note("just some text\n", ORIGIN, node_key)
        assert open_note(signed, [node_verifier]).body == "just some text\n"
        with pytest.raises(SignatureError, match="checkpoint needs") as caught:
            verify_note(signed, [node_verifier])
        assert_invalid(caught)

    def test_body_with_blank_lines_round_trips(
        self, node_key: SigningKey, node_verifier: NoteVerifier
    ) -> None:
        body = "first\n\nsecond\n\n"
        assert open_note(sign_note(body, ORIGIN, node_key), [node_verifier]).body == body

    def test_identical_repeated_lines_count_once(self, note: str, node_verifier: NoteVerifier) -> None:
        repeated = note + note[len(BODY) + 1 :]
        assert verify_note(repeated, [node_verifier]).signers == (ORIGIN,)

    def test_two_keys_with_one_name_and_key_id_are_refused(self) -> None:
        # Two Ed25519 keys whose 4-byte key IDs under this name collide, found by a birthday search
        # over the seeds SHA-256("seed <i>").
        name = "collide.example"
        first, second = (
            SigningKey.from_secret("EdDSA", hashlib.sha256(f"seed {i}".encode()).digest())
            for i in (60655, 80725)
        )
        verifiers = [NoteVerifier(name, first.public), NoteVerifier(name, second.public)]
        assert verifiers[0].key_id == verifiers[1].key_id == bytes.fromhex("6579dd02")
        with pytest.raises(SignatureError, match="share the name") as caught:
            verify_note(sign_note(BODY, name, first), verifiers)
        assert_invalid(caught)

    def test_duplicate_verifiers_are_accepted(self, note: str, node_key: SigningKey) -> None:
        verifiers = [NoteVerifier(ORIGIN, node_key.public), NoteVerifier(ORIGIN, node_key.public)]
        assert verify_note(note, verifiers).signers == (ORIGIN,)

    @pytest.mark.parametrize("body", ["", "no final newline", "bell\x07\n", "lone \ud800 surrogate\n"])
    def test_rejects_bad_bodies(self, node_key: SigningKey, body: str) -> None:
        with pytest.raises(SignatureError, match=r"newline|control|UTF-8") as caught:
            sign_note(body, ORIGIN, node_key)
        assert_invalid(caught)

    @pytest.mark.parametrize("name", ["", "with space", "a+b", "ideographic\u3000space", "tab\tname"])
    def test_rejects_bad_names(self, node_key: SigningKey, name: str) -> None:
        with pytest.raises(SignatureError, match="key names") as caught:
            sign_note(BODY, name, node_key)
        assert_invalid(caught)
        with pytest.raises(SignatureError, match="key names"):
            NoteVerifier(name, node_key.public)

    def test_rejects_unknown_kind(self, node_key: SigningKey) -> None:
        with pytest.raises(SignatureError, match="no note signature type"):
            NoteVerifier(ORIGIN, node_key.public, "witness")  # type: ignore[arg-type]


class TestMalformedNotes:
    @pytest.mark.parametrize(
        ("mutate", "message"),
        [
            (lambda note: BODY, "no blank line"),
            (lambda note: BODY + "\n", "no signature lines"),
            (lambda note: note[:-1], "end with a newline"),
            (lambda note: note.replace("— ", "- "), "malformed note signature line"),
            (lambda note: note.replace(f"— {ORIGIN} ", f"— {ORIGIN}  "), "malformed note signature line"),
            (lambda note: note + "Unexpected line.\n", "malformed note signature line"),
            (lambda note: note.replace(f"— {ORIGIN}", "— a+b"), "key names"),
            (lambda note: note[:-2] + "!\n", "not valid base64"),
            (lambda note: note[:-3] + sloppy_last_character(note[-3]) + "=\n", "canonical base64"),
            (lambda note: BODY + "\n" + line_with_blob(ORIGIN, b"\x01\x02\x03\x04"), "too short"),
            (lambda note: "\x01" + note, "control characters"),
            (lambda note: "\udc80" + note, "not valid UTF-8"),
            (lambda note: note.replace(f"— {ORIGIN}", f"— {ORIGIN}\u2028"), "key names"),
            (lambda note: note + note[len(BODY) + 1 :] * 100, "at most 100 signatures"),
        ],
    )
    def test_rejected(
        self, note: str, node_verifier: NoteVerifier, mutate: Callable[[str], str], message: str
    ) -> None:
        with pytest.raises(SignatureError, match=message) as caught:
            verify_note(mutate(note), [node_verifier])
        assert_invalid(caught)


class TestCosign:
    def test_cosigned_checkpoint_verifies_with_its_timestamp(
        self, note: str, witness_key: SigningKey, node_verifier: NoteVerifier, witness_verifier: NoteVerifier
    ) -> None:
        cosigned = add_signature(note, cosign(note, WITNESS, witness_key, NOW))
        verified = verify_note(cosigned, [node_verifier, witness_verifier])
        assert verified.signers == (ORIGIN,)
        assert verified.cosignatures == {WITNESS: NOW}
        assert verify_note(cosigned, [witness_verifier]).signers == ()

    def test_signed_message_follows_the_spec(self, witness_key: SigningKey) -> None:
        line = cosign(BODY, WITNESS, witness_key, NOW)
        blob = signature_blob(line)
        expected_id = hashlib.sha256(WITNESS.encode() + b"\n\x04" + witness_key.public.raw).digest()[:4]
        assert blob[:4] == expected_id
        assert blob[4:12] == NOW.to_bytes(8, "big")
        witness_key.public.verify(blob[12:], f"cosignature/v1\ntime {NOW}\n".encode() + BODY.encode())

    def test_body_or_note_give_the_same_line(self, note: str, witness_key: SigningKey) -> None:
        assert cosign(note, WITNESS, witness_key, NOW) == cosign(BODY, WITNESS, witness_key, NOW)

    def test_tampered_timestamp_is_rejected(
        self, note: str, witness_key: SigningKey, node_verifier: NoteVerifier, witness_verifier: NoteVerifier
    ) -> None:
        blob = bytearray(signature_blob(cosign(note, WITNESS, witness_key, NOW)))
        blob[11] ^= 1
        forged = add_signature(note, line_with_blob(WITNESS, bytes(blob)))
        with pytest.raises(SignatureError, match=f"trusted key {WITNESS} does not verify") as caught:
            verify_note(forged, [node_verifier, witness_verifier])
        assert_invalid(caught)

    def test_cosignature_without_signature_bytes_is_rejected(
        self, note: str, witness_verifier: NoteVerifier
    ) -> None:
        short = add_signature(note, line_with_blob(WITNESS, witness_verifier.key_id + NOW.to_bytes(8, "big")))
        with pytest.raises(SignatureError, match="too short"):
            verify_note(short, [witness_verifier])

    def test_out_of_range_timestamp_is_rejected(self, note: str, witness_verifier: NoteVerifier) -> None:
        blob = witness_verifier.key_id + (2**63).to_bytes(8, "big") + b"\x00" * 64
        with pytest.raises(SignatureError, match="out-of-range timestamp"):
            verify_note(add_signature(note, line_with_blob(WITNESS, blob)), [witness_verifier])

    def test_cosignature_is_not_a_plain_signature(self, note: str, witness_key: SigningKey) -> None:
        cosigned = add_signature(note, cosign(note, WITNESS, witness_key, NOW))
        with pytest.raises(SignatureError, match="trusted key"):
            verify_note(cosigned, [NoteVerifier(WITNESS, witness_key.public, "signature")])

    def test_two_different_cosignatures_by_one_key_are_rejected(
        self, note: str, witness_key: SigningKey, witness_verifier: NoteVerifier
    ) -> None:
        twice = note + cosign(note, WITNESS, witness_key, NOW) + cosign(note, WITNESS, witness_key, NOW + 1)
        with pytest.raises(SignatureError, match="twice") as caught:
            verify_note(twice, [witness_verifier])
        assert_invalid(caught)

    def test_add_signature_replaces_the_same_key(
        self, note: str, witness_key: SigningKey, witness_verifier: NoteVerifier
    ) -> None:
        once = add_signature(note, cosign(note, WITNESS, witness_key, NOW))
        again = add_signature(once, cosign(once, WITNESS, witness_key, NOW + 60).rstrip("\n"))
        assert again.count(f"— {WITNESS} ") == 1
        assert verify_note(again, [witness_verifier]).cosignatures == {WITNESS: NOW + 60}

    def test_add_signature_keeps_the_limit(self, note: str, node_verifier: NoteVerifier) -> None:
        lines = "".join(line_with_blob(f"w{i}.example", b"\x00" * 68) for i in range(98))
        full = add_signature(note + lines, line_with_blob("last.example", b"\x00" * 68))
        assert full.count("\n— ") == 100
        assert verify_note(full, [node_verifier]).signers == (ORIGIN,)
        with pytest.raises(SignatureError, match="at most 100 signatures") as caught:
            add_signature(full, line_with_blob("one-more.example", b"\x00" * 68))
        assert_invalid(caught)

    def test_add_signature_rejects_malformed_lines(self, note: str) -> None:
        with pytest.raises(SignatureError, match="malformed") as caught:
            add_signature(note, "not a signature line")
        assert_invalid(caught)
        with pytest.raises(SignatureError, match="malformed"):
            add_signature(note, "— a b\n— c d\n")

    @pytest.mark.parametrize("timestamp", [-1, 2**63, True])
    def test_rejects_out_of_range_timestamps(self, witness_key: SigningKey, timestamp: int) -> None:
        with pytest.raises(SignatureError, match="timestamp") as caught:
            cosign(BODY, WITNESS, witness_key, timestamp)
        assert_invalid(caught)

    def test_cosigns_only_checkpoints(self, witness_key: SigningKey) -> None:
        with pytest.raises(SignatureError, match="checkpoint needs") as caught:
            cosign("not a checkpoint\n", WITNESS, witness_key, NOW)
        assert_invalid(caught)

    def test_timestamp_of_published_cosignature_lines(self) -> None:
        # https://c2sp.org/tlog-cosignature (C2SP/C2SP, tlog-cosignature.md): the example line, whose
        # signed message the spec shows with "time 1679315147".
        spec_line = (
            "— witness.example.com/w1 "
            "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
        )
        assert cosignature_timestamp(spec_line) == 1679315147
        # github.com/transparency-dev/formats, note/note_cosigv1_test.go, TestCosignatureTimestamp.
        formats_line = (
            "— w "
            "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
        )
        assert cosignature_timestamp(formats_line) == 1727964367
        with pytest.raises(SignatureError, match="too short"):
            cosignature_timestamp(line_with_blob("w", b"\x00" * 12))


class TestSM2Notes:
    """SM2 has no assigned signature type: 0xff followed by this project's identifiers."""

    def test_signed_checkpoint_verifies(self, sm2_key: SigningKey) -> None:
        note = sign_note(BODY, ORIGIN, sm2_key)
        blob = signature_blob(note.split("\n\n")[1])
        material = b"\xffggzy-gateway/sm2-note/v1" + sm2_key.public.raw
        assert blob[:4] == hashlib.sha256(ORIGIN.encode() + b"\n" + material).digest()[:4]
        verifier = NoteVerifier(ORIGIN, sm2_key.public)
        assert verify_note(note, [verifier]).signers == (ORIGIN,)
        assert base64.b64decode(verifier.vkey.split("+", 2)[2]) == material
        with pytest.raises(SignatureError, match="does not verify") as caught:
            verify_note(checkpoint_body(ORIGIN, 43, ROOT) + note[len(BODY) :], [verifier])
        assert_invalid(caught)

    def test_cosignature_verifies_with_its_timestamp(self, sm2_key: SigningKey, note: str) -> None:
        line = cosign(note, WITNESS, sm2_key, NOW)
        material = b"\xffggzy-gateway/sm2-cosignature/v1" + sm2_key.public.raw
        assert signature_blob(line)[:4] == hashlib.sha256(WITNESS.encode() + b"\n" + material).digest()[:4]
        verifier = NoteVerifier(WITNESS, sm2_key.public, "cosignature")
        assert verify_note(add_signature(note, line), [verifier]).cosignatures == {WITNESS: NOW}
        blob = bytearray(signature_blob(line))
        blob[11] ^= 1
        with pytest.raises(SignatureError, match="does not verify"):
            verify_note(add_signature(note, line_with_blob(WITNESS, bytes(blob))), [verifier])

    def test_sm2_and_ed25519_keys_of_one_name_do_not_collide(
        self, sm2_key: SigningKey, node_key: SigningKey, note: str
    ) -> None:
        sm2_verifier = NoteVerifier(ORIGIN, sm2_key.public)
        assert sm2_verifier.key_id != NoteVerifier(ORIGIN, node_key.public).key_id
        with pytest.raises(SignatureError, match="trusted key"):
            verify_note(note, [sm2_verifier])


class TestPublishedNotes:
    """Interoperability with golang.org/x/mod/sumdb/note (golang/mod, sumdb/note/note_test.go)."""

    PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    TEXT = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    PETER_SIG = (
        "— PeterNeumann "
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    ENOCH_SIG = (
        "— EnochRoot "
        "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
    )

    @staticmethod
    def verifier(vkey: str, kind: NoteKind = "signature") -> NoteVerifier:
        name, _, material = vkey.split("+", 2)
        return NoteVerifier(name, PublicKey("EdDSA", base64.b64decode(material)[1:]), kind)

    def test_verifier_keys_match(self) -> None:
        for vkey in (self.PETER_VKEY, self.ENOCH_VKEY):
            assert self.verifier(vkey).vkey == vkey

    def test_published_note_verifies(self) -> None:
        note = self.TEXT + "\n" + self.PETER_SIG + self.ENOCH_SIG
        peter, enoch = self.verifier(self.PETER_VKEY), self.verifier(self.ENOCH_VKEY)
        assert open_note(note, [peter]).signers == ("PeterNeumann",)
        assert open_note(note, [peter, enoch]).signers == ("PeterNeumann", "EnochRoot")
        with pytest.raises(SignatureError, match="does not verify"):
            open_note(note.replace("cryptography", "cryptographY"), [peter])

    def test_signing_reproduces_the_published_note(self) -> None:
        seed = base64.b64decode(self.PETER_SKEY.split("+", 4)[4])[1:]
        key = SigningKey.from_secret("EdDSA", seed)
        assert sign_note(self.TEXT, "PeterNeumann", key) == self.TEXT + "\n" + self.PETER_SIG

    def test_cosignature_key_ids_match_published_keys(self) -> None:
        # github.com/transparency-dev/formats, note/note_cosigv1_test.go, TestCoSigV1NewVerifier: a
        # native cosignature/v1 (type 0x04) key and a plain Ed25519 (type 0x01) key.
        cosigner = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
        assert self.verifier(cosigner, "cosignature").vkey == cosigner
        plain = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
        assert self.verifier(plain).vkey == plain

"""Fixed test keys, the signing vectors and a typical record. Every key here is a public test key."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from signing.keys import Keyring, SigningKey, b64url_decode

VECTORS = Path(__file__).parent / "vectors"

TYPICAL_RECORD: dict[str, Any] = {
    "v": 1,
    "id": "3f2a9c0d7e1b4a5f8c6d2e0b9a7f1c3d",
    "type": "tender.award",
    "schema": "tender.award/1",
    "jurisdiction": "530621",
    "origin": "530600",
    "source": {"system": "云南省公共资源交易电子服务系统", "ref": "GCJS_RESULT_NOTICE/2026-000123",
               "adapter": "yn_tender@1.2.0"},
    "issued_at": "2026-11-22T10:00:00+08:00",
    "payload": {
        "project_code": "E5306210001002026001",
        "section_code": "E5306210001002026001001",
        "project_name": "昭通市鲁甸县龙头山镇道路改扩建工程（二期）施工",
        "tenderer": {"name": "鲁甸县交通运输局", "uscc": "11530621015171234X"},
        "agency": {"name": "云南某某工程咨询有限公司", "uscc": "91530100MA6K12345Q"},
        "winner": {"name": "云南省某某路桥建设集团有限公司", "uscc": "91530000216543210A",
                   "project_manager": "张三", "certificate": "云253151612345"},
        "bid_price": "12345678.90",
        "bid_price_unit": "元",
        "duration_days": 365,
        "quality": "合格",
        "notice_url": "https://ggzy.yn.gov.cn/jyxx/jsgcZbjggs?guid=abc123",
        "data_timestamp": "2026-11-20T09:30:00+08:00",
        "candidates": [
            {"rank": 1, "name": "云南省某某路桥建设集团有限公司", "price": "12345678.90"},
            {"rank": 2, "name": "昭通某某建筑工程有限公司", "price": "12400000.00"},
            {"rank": 3, "name": "曲靖某某公路工程有限公司", "price": "12555000.00"},
        ],
        "remarks": None,
        "supervised": True,
    },
}


def _load_vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def load_vectors() -> Callable[[str], Any]:
    return _load_vectors


@pytest.fixture(scope="session")
def vector_keys() -> dict[str, SigningKey]:
    """The keys of tests/signing/vectors/keys.json: ed25519-a is RFC 8037's, sm2-a GB/T 32918's."""
    return {name: SigningKey.from_secret(spec["alg"], b64url_decode(spec["secret"]))
            for name, spec in _load_vectors("keys.json").items()}


@pytest.fixture(scope="session")
def ed_key(vector_keys: dict[str, SigningKey]) -> SigningKey:
    return vector_keys["ed25519-a"]


@pytest.fixture(scope="session")
def ed_other(vector_keys: dict[str, SigningKey]) -> SigningKey:
    return vector_keys["ed25519-b"]


@pytest.fixture(scope="session")
def sm2_key(vector_keys: dict[str, SigningKey]) -> SigningKey:
    return vector_keys["sm2-a"]


@pytest.fixture(scope="session")
def keyring(ed_key: SigningKey, sm2_key: SigningKey) -> Keyring:
    return Keyring([ed_key.public, sm2_key.public])


@pytest.fixture
def record() -> dict[str, Any]:
    """A typical unsigned envelope (about 1.3 KB of JCS, Chinese text), fresh for each test."""
    return copy.deepcopy(TYPICAL_RECORD)

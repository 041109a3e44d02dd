"""An ASGI app served on loopback by uvicorn in a thread, and a node's federation files, for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import uvicorn

from signing.directory import Directory
from signing.keys import PublicKey
from tests.gateway.live import free_port


@contextmanager
def served(app: object, *, port: int | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1; yields its base URL and stops the server on exit."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port or free_port(), log_level="warning",  # type: ignore[arg-type]
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def hold_directory(data_dir: Path, directory: Directory, root: PublicKey) -> None:
    """Write what `ggzy federation pin-root` and `fetch` leave in a node's data directory."""
    folder = data_dir / "federation"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "root.jwk").write_bytes(orjson.dumps(root.to_jwk()))
    (folder / "directory.json").write_bytes(orjson.dumps(directory.document))

"""The in-process ticker of the embedded default: the workflows' periodic work on a thread.

With a broker configured, Celery beat runs the same `tick` as the task `gateway.tick`
(gateway/tasks.py) and no API process ticks, however many there are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.services.identity import NodeIdentity
from gateway.services.workflow_tick import tick

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, *, interval: float, session_factory: Callable[[], Session], node: NodeIdentity,
                 clock: Callable[[], datetime]) -> None:
        self.interval, self.session_factory, self.node, self.clock = interval, session_factory, node, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ggzy-workflow-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> None:
        with self.session_factory() as db:
            report = tick(db, node=self.node, now=self.clock())
            db.commit()
        if report.fulfilled or report.obligations_escalated or report.complaints_escalated:
            log.info("workflow tick: %s", report)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # the next tick tries again; the failure is in the log, not lost
                log.exception("workflow tick failed")

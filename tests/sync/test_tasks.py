"""The Celery wiring, run with `apply` (in this process, no broker): tasks, their settings, the sweeper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.store.engine import make_engine, make_session_factory
from gateway.store.models.exchange import DELIVERED, PENDING
from signing.directory import Directory
from signing.keys import SigningKey
from sync.base import GatewayTask
from sync.celery_app import DELIVER_TASK, SWEEP_TASK, celery_config, make_celery
from sync.context import ExchangeContext
from sync.delivery import RetryPolicy
from sync.tasks import deliver, sweep
from sync.transport import TransportError
from tests.sync.conftest import COUNTY, RecordingPublisher, deliveries
from tests.sync.fake_receiver import FakeReceiver

Ingest = Callable[..., list[str]]


@pytest.fixture
def factory(db_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def worker(settings: Settings, factory: Callable[[], Session], keys: dict[str, SigningKey],
           directory: Directory, city: FakeReceiver, publisher: RecordingPublisher
           ) -> Iterator[ExchangeContext]:
    """The worker process's context: this database, the county's key, the fake city as transport."""
    context = ExchangeContext.build(settings, session_factory=factory, node_id=COUNTY,  # type: ignore[arg-type]
                                    key=keys[COUNTY], directory=lambda now: directory, transport=city)
    context.policy = RetryPolicy(batch_size=4)
    GatewayTask.use_context(context)
    yield context
    GatewayTask.use_context(None)


def committed(factory: Callable[[], Session], ingest: Ingest, n: int) -> int:
    with factory() as db:
        ingest(db, n)
        db.commit()
        return deliveries(db)[0].outbox_id


class TestDeliverTask:
    def test_drains_the_stream_and_commits(self, worker: ExchangeContext, factory: Callable[[], Session],
                                           ingest: Ingest, city: FakeReceiver) -> None:
        outbox_id = committed(factory, ingest, 10)
        result = deliver.apply(args=[outbox_id])
        assert result.successful()
        assert result.get() == "sent"
        assert [count for _, _, count in city.batches] == [4, 4, 2]
        with factory() as db:
            assert [r.status for r in deliveries(db)] == [DELIVERED] * 10

    def test_a_task_run_twice_changes_nothing(self, worker: ExchangeContext,
                                              factory: Callable[[], Session], ingest: Ingest,
                                              city: FakeReceiver) -> None:
        outbox_id = committed(factory, ingest, 3)
        deliver.apply(args=[outbox_id])
        assert deliver.apply(args=[outbox_id]).get() == "idle"
        assert sorted(city.received.values()) == [1, 1, 1]

    def test_a_transient_failure_schedules_the_retry(self, worker: ExchangeContext,
                                                     factory: Callable[[], Session], ingest: Ingest,
                                                     city: FakeReceiver,
                                                     publisher: RecordingPublisher) -> None:
        outbox_id = committed(factory, ingest, 2)
        publisher.published.clear()
        city.script = [TransportError("connection refused")]
        assert deliver.apply(args=[outbox_id]).get() == "sent"
        with factory() as db:
            assert [(r.status, r.attempts) for r in deliveries(db)] == [(PENDING, 1)] * 2
        [(ids, countdown)] = publisher.published
        assert ids == [outbox_id]
        assert countdown is not None
        assert 0 < countdown <= worker.policy.base.total_seconds()

    def test_without_a_directory_nothing_is_sent(self, worker: ExchangeContext,
                                                 factory: Callable[[], Session], ingest: Ingest,
                                                 city: FakeReceiver) -> None:
        outbox_id = committed(factory, ingest, 1)
        worker.directory = lambda now: None
        assert deliver.apply(args=[outbox_id]).get() == "no_directory"
        assert city.batches == []


class TestSweepTask:
    def test_requeues_every_due_stream(self, worker: ExchangeContext, factory: Callable[[], Session],
                                       ingest: Ingest, publisher: RecordingPublisher) -> None:
        outbox_id = committed(factory, ingest, 2)
        publisher.published.clear()
        assert sweep.apply().get() == 1
        assert publisher.published == [([outbox_id], None)]

    def test_skips_streams_of_file_only_peers(self, worker: ExchangeContext, factory: Callable[[], Session],
                                              ingest: Ingest, publisher: RecordingPublisher) -> None:
        committed(factory, ingest, 2)
        publisher.published.clear()
        worker.settings = worker.settings.model_copy(
            update={"sync": worker.settings.sync.model_copy(update={"file_only_peers": ["530600"]})})
        assert sweep.apply().get() == 0


class TestCeleryConfiguration:
    def test_tasks_are_named_and_acknowledged_late(self) -> None:
        for task in (deliver, sweep):
            assert task.acks_late is True
            assert task.reject_on_worker_lost is True
            assert task.ignore_result is True
            assert task.max_retries == 5
            assert 0 < task.soft_time_limit < task.time_limit
        assert (deliver.name, sweep.name) == (DELIVER_TASK, SWEEP_TASK) == ("sync.deliver", "sync.sweep")

    def test_broker_settings(self, settings: Settings) -> None:
        configured = settings.model_copy(update={"broker": settings.broker.model_copy(update={
            "url": "redis://127.0.0.1:6379/5", "visibility_timeout": timedelta(minutes=20)})})
        conf = celery_config(configured)
        assert conf["broker_url"] == "redis://127.0.0.1:6379/5"
        assert conf["broker_transport_options"] == {"visibility_timeout": 1200}
        assert (conf["task_serializer"], conf["accept_content"]) == ("json", ["json"])
        assert conf["task_acks_late"] is True
        assert conf["task_reject_on_worker_lost"] is True
        assert conf["worker_prefetch_multiplier"] == 1
        assert conf["task_default_queue"] == "ggzy.sync.530600"  # the node's own queue
        named = configured.model_copy(update={"broker": configured.broker.model_copy(update={"queue": "q1"})})
        assert celery_config(named)["task_default_queue"] == "q1"
        assert conf["beat_schedule"]["sync-sweep"]["task"] == SWEEP_TASK
        assert make_celery(configured).conf.broker_url == "redis://127.0.0.1:6379/5"

    def test_retry_waits_stay_below_the_visibility_timeout(self, settings: Settings,
                                                            keys: dict[str, SigningKey],
                                                            factory: Callable[[], Session]) -> None:
        configured = settings.model_copy(update={"broker": settings.broker.model_copy(update={
            "visibility_timeout": timedelta(minutes=10)})})
        context = ExchangeContext.build(configured, session_factory=factory,  # type: ignore[arg-type]
                                        key=keys[COUNTY], directory=lambda now: None)
        assert context.policy.cap == timedelta(minutes=5)
        context.close()

"""The Celery application of the workers: `celery -A sync.celery_app worker` (with `beat` for the sweeper).

Configured from the node's settings when first needed, never at import. Celery only triggers the
work: the deliveries table is the record of truth, so tasks are acknowledged late, requeued when a
worker dies, fetched one at a time, and carry ids only (JSON).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from config.settings import Settings, get_settings

DELIVER_TASK = "sync.deliver"
SWEEP_TASK = "sync.sweep"
MAINTAIN_TASK = "sync.maintain"
TICK_TASK = "gateway.tick"  # gateway/tasks.py: the workflows' periodic work
QUEUE_PREFIX = "ggzy.sync"


def queue_name(settings: Settings) -> str:
    return settings.broker.queue or f"{QUEUE_PREFIX}.{settings.node.id}"


def celery_config(settings: Settings) -> dict[str, Any]:
    visibility = int(settings.broker.visibility_timeout.total_seconds())
    return {
        "broker_url": settings.broker.url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": visibility},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_default_queue": queue_name(settings),
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": {
            "sync-sweep": {"task": SWEEP_TASK, "schedule": settings.sync.sweep_interval.total_seconds()},
            "sync-maintain": {"task": MAINTAIN_TASK,
                              "schedule": settings.federation.refresh_interval.total_seconds()},
            "gateway-tick": {"task": TICK_TASK, "schedule": settings.workflow.tick_interval.total_seconds()},
        },
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
    }


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app for `settings`; without them, one that reads the settings on first use."""
    celery = Celery("ggzy", include=["sync.tasks", "gateway.tasks"])
    if settings is None:
        celery.add_defaults(lambda: celery_config(get_settings()))
    else:
        celery.conf.update(celery_config(settings))
    return celery


app = make_celery()

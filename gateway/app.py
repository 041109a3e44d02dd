"""The FastAPI application of one node. Nothing connects at import: `create_app` wires it up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from config.settings import Settings, get_settings
from gateway import errors
from gateway.deps import utc_now
from gateway.metrics import GaugeReading, Metrics
from gateway.observe import ObserveMiddleware
from gateway.routes import complaint as complaint_routes
from gateway.routes import exchange as exchange_routes
from gateway.routes import federation, feed, health, ingest, node, quarantine, record, screening, source
from gateway.routes import obligation as obligation_routes
from gateway.routes import remote_evaluation as remote_evaluation_routes
from gateway.services.identity import NodeIdentity, load_identity
from gateway.services.status import store_gauges
from gateway.store.engine import make_engine, make_session_factory
from gateway.ticker import Ticker
from sync.publish import start as start_exchange


def create_app(
    settings: Settings | None = None,
    *,
    identity: NodeIdentity | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, echo=settings.db.echo)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.node = identity or load_identity(settings)
        # The exchange: the in-process relay (no broker configured) or Celery publishing; stopped first.
        exchange = start_exchange(settings, session_factory=app.state.session_factory,
                                  node_id=app.state.node.node_id, key=app.state.node.key, clock=clock)
        # The workflows' periodic work: here in the embedded default, in Celery beat with a broker.
        ticker = None if settings.broker.url else Ticker(
            interval=settings.workflow.tick_interval.total_seconds(),
            session_factory=app.state.session_factory, node=app.state.node, clock=clock)
        if ticker is not None:
            ticker.start()
        yield
        if ticker is not None:
            ticker.stop()
        exchange.stop()
        engine.dispose()

    app = FastAPI(
        title="ggzy-gateway",
        version="0.1.0",
        lifespan=lifespan,
        description="Federated data-exchange gateway for public resource trading supervision.",
    )
    app.state.settings = settings
    app.state.clock = clock

    def gauges() -> list[GaugeReading]:
        with app.state.session_factory() as db:
            return store_gauges(db, now=clock())

    app.state.metrics = Metrics(gauges)
    errors.install(app)
    for module in (ingest, record, feed, node, health):
        app.include_router(module.router)
    app.include_router(source.router)  # after ingest: /ingest/standard is matched first
    app.include_router(quarantine.router)
    app.include_router(screening.router)
    app.include_router(federation.router)
    app.include_router(exchange_routes.router)
    app.include_router(complaint_routes.router)
    app.include_router(remote_evaluation_routes.router)
    app.include_router(obligation_routes.router)

    app.add_middleware(ObserveMiddleware, metrics=app.state.metrics)

    return app

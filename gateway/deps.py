"""Annotated dependencies: the DB session (committed before the response), settings, node, caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from config.settings import Settings
from gateway.services.access_log import LOGGED_ROLES
from gateway.services.auth import Principal, authenticate
from gateway.services.identity import NodeIdentity
from gateway.store.repositories.log import LogRepository


def get_db(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_node(request: Request) -> NodeIdentity:
    node: NodeIdentity = request.app.state.node
    return node


def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


DbDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
NodeDep = Annotated[NodeIdentity, Depends(get_node)]
NowDep = Annotated[datetime, Depends(get_now)]


def get_principal(request: Request, node: NodeDep, now: NowDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal = authenticate(node, token.strip() if scheme.lower() == "bearer" else None, now=now)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def requires(scope: str) -> Callable[..., Principal]:
    def check(principal: PrincipalDep, db: DbDep) -> Principal:
        principal.require(scope)
        if principal.role in LOGGED_ROLES and db.get_bind().dialect.name == "sqlite":
            # The read is logged in its own transaction, and SQLite cannot turn a read into a write
            # once another writer has committed: a logged read takes the writer's lock before reading.
            LogRepository(db).lock_state()
        return principal

    return check


def utc_now() -> datetime:
    return datetime.now(UTC)

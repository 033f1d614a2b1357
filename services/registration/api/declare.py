"""How the routes of registration are declared: `@route.post(path, **options)` on a method
of a `RouteSet`, kept on the method until `api.router()` adds it, bound to the service's parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter
from sqlalchemy import Engine

from services.registration.application import RegistrationApplication
from services.registration.jobs import LeadScorer
from shared.web.access import Access
from shared.web.live import LiveFeed

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declared:
    method: str
    path: str
    options: dict[str, Any]


class Declare:
    """`@route.post(path, **options)`: what `APIRouter`'s decorator would take."""

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self._declare("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self._declare("POST", path, options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        return self._declare("PUT", path, options)

    @staticmethod
    def _declare(method: str, path: str, options: dict[str, Any]) -> Callable[[F], F]:
        def declare(function: F) -> F:
            function.declared_route = Declared(method, path, options)  # type: ignore[attr-defined]
            return function

        return declare


route = Declare()


class RouteSet:
    """Routes as methods over the service's parts."""

    def __init__(
        self, app: RegistrationApplication, engine: Engine, access: Access, live: LiveFeed, scorer: LeadScorer
    ) -> None:
        self.app = app
        self.engine = engine
        self.access = access
        self.live = live
        self.scorer = scorer

    def add_to(self, api: APIRouter) -> None:
        for name, member in vars(type(self)).items():  # in the order the routes are written
            declared = getattr(member, "declared_route", None)
            if isinstance(declared, Declared):
                api.add_api_route(declared.path, getattr(self, name), methods=[declared.method], **declared.options)

"""What web/app.py adds for running Ventanilla as a production service (docs/operations.md):
metrics ([metrics]), tracing ([tracing] / OTEL_*) and persisted queries ([api]), each only
when configured, so that an app without them pays for none of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware
from starlette.routing import Route

from ..observe import name_databases
from ..settings import Settings
from ..store.engine import Store
from .persisted import Persisted


class Operations:
    """The routes, middleware, schema extensions and persisted-query rules the settings ask for."""

    def __init__(
        self, settings: Settings, store: Store, access: Any, engines: Mapping[str, AsyncEngine], source: Any
    ) -> None:
        self.routes: list[Route] = []
        self.middleware: list[Middleware] = []
        self.extensions: list[Any] = []
        self.tracing: Any = None
        legacy = getattr(source, "sources", {})  # a RoutedSource's configured sources
        named = {**engines, **{f"sources.{name}": each.engine for name, each in legacy.items()}}
        if settings.metrics_enabled:
            from . import metrics

            metrics.start_counting()
            metrics.count_refusals(access.limiter)
            self.routes += metrics.metrics_routes(store, settings.metrics_token)
            self.middleware.append(Middleware(metrics.Measure))
            self.extensions.append(metrics.CountOperations)
        from .tracing import tracing_wanted

        if tracing_wanted(settings):
            from .tracing import NameTheSpan, TraceRequests, Tracing

            self.tracing = Tracing(settings)
            self.middleware.append(Middleware(TraceRequests, tracer=self.tracing.tracer))
            self.extensions.append(NameTheSpan)
        if self.routes or self.tracing is not None:
            name_databases(named)
        # Off too: a persistedQuery extension is then refused by name rather than run without its query.
        self.persisted = Persisted(settings)

    async def close(self) -> None:
        """Shutdown: the spans still buffered exported, the persisted queries' Redis closed."""
        if self.tracing is not None:
            self.tracing.flush()
        await self.persisted.close()

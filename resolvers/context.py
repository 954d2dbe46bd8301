"""The application's services, built once, and the per-request context every resolver receives."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from ..auth.principals import Principal
from ..auth.services import AccessServices
from ..connectors.base import Source
from ..errors import language_of
from ..payments.base import Providers
from ..rules import branding as brand
from ..rules.features import in_force
from ..settings import Feature, Settings
from ..store.blobs import BlobStore
from ..store.branding import read_branding
from ..store.engine import Store, StoreUnavailable
from ..store.features import read_switches
from .loaders import Loaders

log = logging.getLogger("ventanilla.branding")


@dataclass(frozen=True)
class Services:
    """What `create_app` builds once per worker and every request (GraphQL or download) uses."""

    settings: Settings
    store: Store  # Ventanilla's own tables: users, sessions, the audit log (bounded: store/engine.py)
    source: Source  # the billing data: the store, or the legacy sources configuration routes to
    access: AccessServices  # sign-in flows: sessions, limits, mail
    secret: str  # signs access tokens and download links
    blobs: BlobStore  # the files Ventanilla keeps: uploads, the demo's attachments (store/blobs.py)
    event_sinks: tuple[str, ...] = ()  # the sinks every domain event is owed to (docs/events.md)
    wake_relay: Callable[[], None] = lambda: None  # events were recorded and committed: deliver them now
    # the online payment providers of [payments.providers.*] (payments/, resolvers/payments.py)
    payment_providers: Providers = field(default_factory=Providers)
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.settings.timezone))

    def today(self) -> date:
        """The business's today: due dates and aging are counted in its time zone."""
        return datetime.now(self.zone).date()


@dataclass
class Context:
    principal: Principal
    loaders: Loaders
    services: Services
    today: date
    language: str = "es"
    request: Request | None = None
    response: Response | None = None
    _features: asyncio.Future[frozenset[Feature]] | None = field(default=None, repr=False, compare=False)
    _branding: asyncio.Future[brand.Branding] | None = field(default=None, repr=False, compare=False)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def features(self) -> frozenset[Feature]:
        """The features on for this request (rules/features.py): the store's switches over the
        configuration, read with one statement the first time a resolver asks, then kept for the
        request (resolvers running at once share the one read)."""
        if self._features is None:
            self._features = asyncio.ensure_future(self._read_features())
        return await self._features

    def forget_features(self) -> None:
        """After a switch changed in this request: the next `features()` reads the store again."""
        self._features = None

    async def _read_features(self) -> frozenset[Feature]:
        switches = await self.services.store.read(read_switches)
        return in_force(self.settings.features, switches)

    async def branding(self) -> brand.Branding:
        """The portal's branding for this request (rules/branding.py): what an admin stored over
        `[portal]`, read with one statement the first time it is asked, then kept for the request.
        While the store does not answer, the configuration's (the sign-in screen still shows)."""
        if self._branding is None:
            self._branding = asyncio.ensure_future(self._read_branding())
        return await self._branding

    def forget_branding(self) -> None:
        """After the branding changed in this request: the next `branding()` reads the store again."""
        self._branding = None

    async def _read_branding(self) -> brand.Branding:
        try:
            stored = await self.services.store.read(read_branding)
        except (StoreUnavailable, SQLAlchemyError, OSError, TimeoutError) as failure:
            log.warning("branding: the store did not answer (%s); serving [portal] of the configuration",
                        type(failure).__name__)  # fmt: skip
            stored = {}
        return brand.in_force(self.settings, stored)


def request_context(
    services: Services, principal: Principal, request: Request | None = None, response: Response | None = None
) -> Context:
    """A fresh context (new loaders, nothing cached from another request or caller)."""
    today = services.today()
    language = language_of(request.headers.get("accept-language")) if request is not None else "es"
    return Context(principal, Loaders(services.source, today), services, today, language, request, response)

"""The per-request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ..auth.principals import Principal
from ..settings import Settings
from .loaders import Loaders


@dataclass
class Context:
    principal: Principal
    loaders: Loaders
    settings: Settings
    store: AsyncEngine
    today: date
    language: str = "es"
    request: Any = None
    response: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

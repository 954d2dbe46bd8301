"""Who is calling: a customer user, a partner client, staff, or nobody (ownership is auth/ownership.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .scopes import CUSTOMERS_READ


class PrincipalKind(str, Enum):
    ANONYMOUS = "ANONYMOUS"
    CUSTOMER = "CUSTOMER"
    PARTNER = "PARTNER"
    STAFF = "STAFF"


class StaffRole(str, Enum):
    ANALYST = "analyst"  # reads every customer, changes nothing
    AGENT = "agent"  # the helpdesk: reads every customer, answers and closes tickets, settles receipts
    ADMIN = "admin"  # everything an agent does, and the portal's administration


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    user_id: int | None = None
    name: str | None = None
    role: StaffRole | None = None
    # Customer users: the accounts they may act for, the default one first (FEATURES.md A10).
    customer_ids: tuple[str, ...] = ()
    must_change_password: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None  # the sign-in session an access token names (signOut ends it)
    client_id: str | None = None  # partners: the registered client application
    queries_only: bool = False  # partners in allow-list mode: only their registered documents run

    @property
    def is_anonymous(self) -> bool:
        return self.kind is PrincipalKind.ANONYMOUS

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def is_admin(self) -> bool:
        return self.is_staff and self.role is StaffRole.ADMIN

    @property
    def is_agent(self) -> bool:
        """The business's helpdesk: agents, and admins."""
        return self.is_staff and self.role in (StaffRole.AGENT, StaffRole.ADMIN)

    @property
    def actor(self) -> str:
        """Who acts, as audit rows, events and idempotency keys name it (never a secret)."""
        if self.kind is PrincipalKind.PARTNER:
            return f"partner:{self.client_id}"
        if self.user_id is None:  # the command line acts as staff without a user: `ventanilla ...`
            return self.name or "cli"
        return f"{self.kind.value.lower()}:{self.user_id}"

    @property
    def reads_every_customer(self) -> bool:
        """Staff (analysts and admins) and partners granted `customers:read` read across customers."""
        return self.is_staff or (self.kind is PrincipalKind.PARTNER and CUSTOMERS_READ in self.scopes)

    @property
    def sees_internal_notes(self) -> bool:
        """Internal ticket notes are for the business's staff only."""
        return self.is_staff


ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS)

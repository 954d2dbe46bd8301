"""The former-customer rule (FEATURES.md A7, 001 c): a closed account, and who keeps access to it."""

from __future__ import annotations

from collections.abc import Sequence

from ..connectors.records import Customer, CustomerStatus


def is_closed(status: CustomerStatus | None) -> bool:
    return status is CustomerStatus.DELETED


def keeps_access(statuses: Sequence[CustomerStatus | None], former_keep_access: bool) -> bool:
    """A customer user with every linked account closed is a former customer: out, unless the business lets them in."""
    known = [s for s in statuses if s is not None]
    return former_keep_access or not known or any(not is_closed(s) for s in known)


def open_accounts(accounts: Sequence[Customer], former_keep_access: bool) -> list[Customer]:
    """The accounts a user is shown: closed ones disappear unless former customers keep access."""
    if former_keep_access:
        return list(accounts)
    return [a for a in accounts if not is_closed(a.status)]

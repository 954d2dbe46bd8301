"""Payment commitments (compromiso de pago, FEATURES.md B11; manual 001 d, d1, d2).

A customer who owes money promises to pay it within `days` days (1..`[commitments] max_days`).

- **What it covers** is what the account owes when it is asked: the balance due of its unpaid
  invoices and debit notes (`AccountSummary.unpaidTotal`, overdue or not). An account that owes
  nothing cannot ask (NOTHING_OWED).
- **The promised date** is the business's today (`[portal] timezone`) plus `days`.
- **The cool-down**: after one, the account may ask for another only `[commitments]
  cool_down_days` days later, from the start of that business day (COOL_DOWN names it).
- **Active** while its status is ACTIVE, the promised date has not passed and something is still
  owed. While active, the dashboard shows what it covers as `committed` (capped by what is still
  owed: a partial payment shrinks it) with `committedUntil`; `overdue` stays the legal figure
  (the invoices' due dates do not move, and the statement, an accounting document, keeps them),
  and `overdueUncommitted` is what is overdue beyond what the commitment covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ..connectors.records import PaymentCommitment, PaymentCommitmentStatus
from ..errors import ApiError, ErrorCode

ZERO = Decimal("0.00")


class CoolDown(ApiError):
    """COOL_DOWN: the account asked for one recently; a new one may be asked from `until`."""

    def __init__(self, until: date) -> None:
        super().__init__(ErrorCode.COOL_DOWN, until=until.strftime("%d/%m/%Y"), until_en=until.isoformat())
        self.until = until


@dataclass(frozen=True, slots=True)
class CommitmentRules:
    """The business's settings for commitments."""

    max_days: int = 10
    cool_down_days: int = 30

    def check_days(self, days: int) -> int:
        """`days` if it is 1..max_days, else BAD_INPUT."""
        if not 1 <= days <= self.max_days:
            raise ApiError(
                ErrorCode.BAD_INPUT,
                field=["input", "days"],
                detail=f"days (1..{self.max_days})",
            )
        return days

    def available_again(self, today: date) -> date:
        """The first business day a commitment asked on `today` lets the account ask for another."""
        return today + timedelta(days=self.cool_down_days)

    def cool_down_ends(self, today: date, timezone: str) -> datetime:
        """The instant the cool-down of a commitment asked on `today` ends: the start of
        `available_again(today)` in the business's time zone."""
        return datetime.combine(self.available_again(today), time(), tzinfo=ZoneInfo(timezone))


def covered_amount(unpaid_total: Decimal) -> Decimal:
    """What a new commitment covers: what is owed (the balance due of unpaid documents); NOTHING_OWED if nothing."""
    if unpaid_total <= ZERO:
        raise ApiError(ErrorCode.NOTHING_OWED)
    return unpaid_total


def promised_date(today: date, days: int) -> date:
    """The date the customer promises to pay by: the business's today plus `days`."""
    return today + timedelta(days=days)


def business_day(moment: datetime, timezone: str) -> date:
    """The business's date of an instant (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).date()


def is_active(commitment: PaymentCommitment, today: date) -> bool:
    """ACTIVE and its promised date not yet passed (the promised day itself counts)."""
    return commitment.status is PaymentCommitmentStatus.ACTIVE and commitment.promised_date >= today


def active_on(commitment: PaymentCommitment, day: date, timezone: str) -> bool:
    """Active on `day` (a statement's cut-off): ACTIVE, asked on or before it, promised on or after it."""
    return is_active(commitment, day) and business_day(commitment.requested_at, timezone) <= day


@dataclass(frozen=True, slots=True)
class Committed:
    """What active commitments cover of what is owed now, and until when."""

    amount: Decimal
    until: date | None


def committed(commitments: Sequence[PaymentCommitment], unpaid_total: Decimal, today: date) -> Committed:
    """The dashboard's committed figure: the active commitments' amounts, at most what is still
    owed; `until` their latest promised date (None when nothing is committed)."""
    active = [c for c in commitments if is_active(c, today)]
    amount = min(sum((c.amount for c in active), ZERO), max(unpaid_total, ZERO))
    if amount <= ZERO:
        return Committed(ZERO, None)
    return Committed(amount, max(c.promised_date for c in active))


def overdue_uncommitted(overdue: Decimal, covered: Committed) -> Decimal:
    """What is overdue beyond what active commitments cover (never below zero)."""
    return max(ZERO, overdue - covered.amount)

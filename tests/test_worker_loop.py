"""The loop both queue workers run (store/worker.py; the relay and the mail worker's own tests
cover them over real stores): woken at once, polling, riding out a store outage, and stopping
with or without flushing what is due."""

from __future__ import annotations

import asyncio
import logging

from ventanilla.store.engine import StoreUnavailable
from ventanilla.store.worker import LONGEST_WAIT, PollingWorker, backoff


class Passes(PollingWorker):
    """A worker whose passes answer `answers` in turn (then None: nothing waits)."""

    what = "the test's queue"

    def __init__(self, answers: list, poll: float = 30.0, flush: bool = False) -> None:
        super().__init__(logging.getLogger("ventanilla.test-worker"))
        self.answers, self.poll, self.flush_on_stop, self.passes = list(answers), poll, flush, 0

    @property
    def poll_seconds(self) -> float:
        return self.poll

    async def deliver_due(self) -> float | None:
        self.passes += 1
        await asyncio.sleep(0)
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, BaseException):
            raise answer
        return answer


async def _until(check, seconds: float = 5.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "never held"
        await asyncio.sleep(0.01)


async def test_a_wake_runs_a_pass_at_once_instead_of_at_the_next_poll() -> None:
    worker = Passes([], poll=30.0)
    worker.start()
    await _until(lambda: worker.passes == 1)
    worker.wake()
    await _until(lambda: worker.passes == 2, seconds=2.0)  # far below the 30 s poll
    await worker.stop()


async def test_a_store_outage_is_one_warning_and_the_worker_carries_on(caplog) -> None:
    worker = Passes([StoreUnavailable("down"), None], poll=0.05)
    with caplog.at_level(logging.WARNING, logger="ventanilla.test-worker"):
        worker.start()
        await _until(lambda: worker.passes >= 3)
        await worker.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "ventanilla.test-worker"]
    assert len(warnings) == 1 and warnings[0].startswith(
        "the test's queue: the store failed (StoreUnavailable)"
    )


async def test_stopping_flushes_what_is_due_only_when_the_worker_says_so() -> None:
    # given work due at once for three more passes
    flushing, plain = Passes([None, 0.0, 0.0, 0.0], flush=True), Passes([None, 0.0, 0.0, 0.0])
    for worker in (flushing, plain):
        worker.start()
        await _until(lambda w=worker: w.passes >= 1)
    await asyncio.sleep(0.05)  # both idle, waiting for the next poll
    # when both stop
    await asyncio.gather(flushing.stop(), plain.stop())
    # then the flushing one ran a pass per batch due and one more that found nothing; the other none
    assert flushing.passes == 5 and plain.passes == 1
    assert flushing._task is None and plain._task is None


def test_backoff_doubles_with_jitter_up_to_an_hour() -> None:
    for attempts in range(1, 8):
        wait = backoff(2.0, attempts).total_seconds()
        assert 0.5 * 2.0 * 2 ** (attempts - 1) <= wait <= 1.5 * 2.0 * 2 ** (attempts - 1)
    assert backoff(2.0, 40) == LONGEST_WAIT

"""One build at a time: concurrent first callers share it, failures reach them all."""

import asyncio
from typing import Any

import pytest

from nichevid.core.onebuild import OneBuild


class Counted:
    def __init__(self, fail: int = 0) -> None:
        self.started = 0
        self.failures = 0
        self.fail = fail
        self.release = asyncio.Event()

    async def build(self) -> None:
        self.started += 1
        await self.release.wait()
        if self.started <= self.fail:
            raise RuntimeError("database gone")

    def failed(self) -> None:
        self.failures += 1


async def test_callers_arriving_during_a_build_wait_for_that_one() -> None:
    counted = Counted()
    builds = OneBuild(counted.build, counted.failed)
    waiters = [asyncio.create_task(builds.wait()) for _ in range(32)]
    builds.start()  # a background start meanwhile joins it too
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    counted.release.set()
    await asyncio.gather(*waiters)
    assert counted.started == 1
    # Once it ended, the next start is a new build.
    await builds.wait()
    assert counted.started == 2


async def test_a_failed_build_reaches_every_waiter_and_the_next_call_tries_again() -> None:
    counted = Counted(fail=1)
    builds = OneBuild(counted.build, counted.failed)
    waiters = [asyncio.create_task(builds.wait()) for _ in range(3)]
    counted.release.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert counted.failures == 1
    await builds.wait()
    assert (counted.started, counted.failures) == (2, 1)


async def test_a_waiter_that_gives_up_leaves_the_build_to_the_others() -> None:
    counted = Counted()
    builds = OneBuild(counted.build, counted.failed)
    impatient = asyncio.create_task(builds.wait())
    patient = asyncio.create_task(builds.wait())
    await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    counted.release.set()
    await patient
    assert counted.started == 1


async def test_the_catalogue_is_built_once_for_concurrent_first_callers(
    nv_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nichevid.recommend import catalogue

    built: list[int] = []
    real = catalogue.build

    async def counted(settings: Any, version: int) -> Any:
        built.append(version)
        await asyncio.sleep(0.01)
        return await real(settings, version)

    monkeypatch.setattr(catalogue, "build", counted)
    holder = catalogue.CatalogueHolder(nv_settings)
    found = await asyncio.gather(*(holder.get() for _ in range(10)), holder.snapshot())
    assert built == [1]
    assert all(snapshot is found[0] for snapshot in found)

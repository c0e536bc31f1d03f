"""The token cache, driven through its public API with a clock the test advances."""

from __future__ import annotations

from postal.domain.access import Principal, Role
from postal.services.accounts import TokenCache

ALICE = Principal(1, "alice", Role.integration, "AG-1")


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_known_tokens_are_kept_for_the_ttl_only() -> None:
    clock = FakeClock()
    cache = TokenCache(ttl=30, clock=clock)
    cache.put(b"k", ALICE)
    clock.advance(29.9)
    assert cache.get(b"k") == ALICE
    clock.advance(0.2)
    assert cache.get(b"k") is None


def test_a_new_put_starts_a_new_ttl() -> None:
    clock = FakeClock()
    cache = TokenCache(ttl=30, clock=clock)
    cache.put(b"k", ALICE)
    clock.advance(20)
    cache.put(b"k", ALICE)
    clock.advance(20)
    assert cache.get(b"k") == ALICE
    assert cache.get(b"unknown") is None


def test_zero_ttl_turns_the_cache_off() -> None:
    off = TokenCache(ttl=0, clock=FakeClock())
    off.put(b"k", ALICE)
    assert off.get(b"k") is None


def test_size_is_bounded() -> None:
    small = TokenCache(ttl=60, max_size=2, clock=FakeClock())
    keys = [b"a", b"b", b"c"]
    for key in keys:
        small.put(key, ALICE)
    assert small.get(b"c") == ALICE  # the newest is always kept
    assert sum(small.get(key) is not None for key in keys) <= 2

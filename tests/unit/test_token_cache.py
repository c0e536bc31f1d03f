import time

from postal.domain.access import Principal, Role
from postal.services.accounts import TokenCache

ALICE = Principal(1, "alice", Role.integration, "AG-1")


def test_known_tokens_are_kept_for_the_ttl_only():
    cache = TokenCache(ttl=0.05)
    cache.put(b"k", ALICE)
    assert cache.get(b"k") == ALICE
    time.sleep(0.06)
    assert cache.get(b"k") is None


def test_zero_ttl_turns_the_cache_off_and_size_is_bounded():
    off = TokenCache(ttl=0)
    off.put(b"k", ALICE)
    assert off.get(b"k") is None
    small = TokenCache(ttl=60, max_size=2)
    for key in (b"a", b"b", b"c"):
        small.put(key, ALICE)
    assert small.get(b"c") == ALICE
    assert len(small._entries) <= 2

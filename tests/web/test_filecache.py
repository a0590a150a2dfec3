"""The file cache of computed portfolios (innexport.web.filecache): Django's file cache with values
pickled as they are — set, get, expiry, touch, delete, culling beyond MAX_ENTRIES, and never a
file of Django's compressed format read as a plain one."""

from __future__ import annotations

import pickle
import time
import zlib

import numpy as np
import pandas as pd

from innexport.web.filecache import PlainFileCache


def test_a_value_is_kept_as_a_plain_pickle_and_read_back(tmp_path) -> None:
    cache = PlainFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 300}})
    value = (pd.DataFrame({"iip": np.linspace(0, 1, 5)}, index=pd.Index(list("abcde"), name="firm")), {"k": [1]})
    cache.set("portfolio", value, 60)
    read = cache.get("portfolio")
    pd.testing.assert_frame_equal(read[0], value[0])
    assert read[1] == {"k": [1]}
    path = cache._key_to_file("portfolio")
    assert path.endswith(".pickle")
    with open(path, "rb") as f:  # the expiry, then the value as pickled: no compression
        content = f.read()
    plain = pickle.dumps(value, PlainFileCache.pickle_protocol)
    assert content.endswith(plain) and len(content) - len(plain) == len(pickle.dumps(1.0, PlainFileCache.pickle_protocol))
    assert cache.get("other", "none") == "none"


def test_expiry_touch_delete(tmp_path) -> None:
    cache = PlainFileCache(str(tmp_path), {})
    cache.set("a", [1, 2], 60)
    assert cache.touch("a", 0.05) and cache.get("a") == [1, 2]
    time.sleep(0.1)
    assert cache.get("a") is None and not cache.has_key("a")  # expired (touch set its new expiry)
    cache.set("b", "x", 60)
    assert cache.touch("b", 120) and cache.get("b") == "x"
    assert cache.delete("b") and cache.get("b") is None and not cache.touch("b")


def test_beyond_max_entries_a_third_is_dropped(tmp_path) -> None:
    cache = PlainFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 6, "CULL_FREQUENCY": 3}})
    for k in range(6):
        cache.set(f"k{k}", k, 60)
    assert len(list(tmp_path.glob("*.pickle"))) == 6
    cache.set("k6", 6, 60)  # 6 files, not fewer than MAX_ENTRIES: a third of them (2) dropped, then k6 written
    assert len(list(tmp_path.glob("*.pickle"))) == 5
    assert cache.get("k6") == 6 and sum(cache.get(f"k{k}") is not None for k in range(6)) == 4


def test_a_compressed_file_of_django_s_format_is_not_read(tmp_path) -> None:
    """Django's own files end in .djcache and hold zlib: they are another key's file, never read."""
    cache = PlainFileCache(str(tmp_path), {})
    other = tmp_path / (cache._key_to_file("k").rsplit("/", 1)[1].removesuffix(".pickle") + ".djcache")
    other.write_bytes(pickle.dumps(time.time() + 60) + zlib.compress(pickle.dumps("old")))
    assert cache.get("k") is None
    cache.set("k", "new", 60)
    assert cache.get("k") == "new"

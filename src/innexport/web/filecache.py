"""The cache of computed portfolios: Django's file cache, each value pickled as it is, not compressed.

What this module decides: how a computed portfolio (:func:`innexport.web.views.portfolio.portfolio_of`)
is stored in the files the server's worker processes share (``CACHES`` in :mod:`innexport.web.settings`).
Django's ``FileBasedCache`` compresses every value with zlib: a portfolio of 10,000 firms, 675 kB
pickled, took 12 ms to compress (to 318 kB) on the page that had just computed it, and 2 ms to
decompress on every page that read it; as a plain pickle it is written in about 1 ms and read with
no extra step (``bench/bench_portfolio.py``). The cache holds at most ``MAX_ENTRIES`` files (300:
some 200 MB at 10,000 firms, far less for smaller organisations). Everything else — the expiry
written first in each file, the culling of a third of the files beyond ``MAX_ENTRIES``, the
replacement of a file by an atomic rename, so that a reader never sees half of one — is Django's.

The files end in ``.pickle``, not Django's ``.djcache``: a compressed file of Django's format is
never read as a plain one.
"""

from __future__ import annotations

import pickle
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks


class PlainFileCache(FileBasedCache):
    """``FileBasedCache`` with each value pickled without compression (see the module's documentation)."""

    cache_suffix = ".pickle"

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        django: Any = self  # FileBasedCache's own helpers, which django-stubs does not list
        try:
            with open(django._key_to_file(key, version), "rb") as f:
                if not django._is_expired(f):
                    return pickle.load(f)  # noqa: S301 - the server's own files, in its private data folder (0700)
        except FileNotFoundError:
            pass
        return default

    def _write_content(self, file: Any, timeout: Any, value: Any) -> None:
        expiry = self.get_backend_timeout(timeout)
        file.write(pickle.dumps(expiry, self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        django: Any = self
        try:
            with open(django._key_to_file(key, version), "r+b") as f:
                try:
                    locks.lock(f, locks.LOCK_EX)
                    if django._is_expired(f):
                        return False
                    previous = pickle.load(f)  # noqa: S301 - the server's own files, in its private data folder (0700)
                    f.seek(0)
                    self._write_content(f, timeout, previous)
                    f.truncate()
                    return True
                finally:
                    locks.unlock(f)
        except FileNotFoundError:
            return False

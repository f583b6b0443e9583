#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""CPython's own lru_cache tests, run against kcache.lru_cache.

The tests are those of Lib/test/test_functools.py as Debian's
libpython3.11-testsuite installs them (/usr/lib/python3.11/test/, from
tools/install-deps), imported as they are: TestLRU, the suite CPython runs
against both of its own implementations, and TestCache (functools.cache).
This adapter only swaps the implementation: the tests read the module
under test from a class attribute ``module`` (functools' C or Python
version), here a namespace holding functools' names with kcache's
lru_cache and cache. The tests whose subject kcache documents as
different on purpose (python/README.md, "The decorator") are skipped,
each with its reason.

Run it with the Python the test suite belongs to (Debian's
/usr/bin/python3); it prints TAP, one result per test, and exits 1 if a
test failed. Needs the lrucache module (the VM: python/tests/run-tap).
"""

import functools
import os
import sys
import time
import traceback
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
_lib = os.path.join(TOP, "build", "lib", "libkcache.so.1")
if "KCACHE_LIBRARY" not in os.environ and os.path.exists(_lib):
    os.environ["KCACHE_LIBRARY"] = _lib


def _skip_all(reason):
    print("TAP version 13")
    print("1..1")
    print("ok 1 functools_lru # SKIP %s" % reason)
    sys.exit(0)


try:
    from test import test_functools as cpython
except ImportError as e:
    _skip_all("CPython's test suite is not installed (Debian: "
              "libpython%d.%d-testsuite, tools/install-deps): %s"
              % (sys.version_info[0], sys.version_info[1], e))

import kcache  # noqa: E402 (after the library's path is set)

if not os.path.exists(os.environ.get("KCACHE_DEVICE", "/dev/lrucache")):
    _skip_all("/dev/lrucache missing: the lrucache module is not loaded "
              "(run in tools/vm-run)")


def _as_functools(lru_cache):
    """What the tests know as ``self.module``: functools, with kcache's
    decorators in place of its own."""
    return types.SimpleNamespace(
        lru_cache=lru_cache, cache=kcache.cache,
        _CacheInfo=kcache.CacheInfo,
        WRAPPER_ASSIGNMENTS=functools.WRAPPER_ASSIGNMENTS,
        partial=functools.partial)


KCACHE = _as_functools(kcache.lru_cache)


# As CPython's py_cached_func and c_cached_func: a module-level function,
# which test_pickle pickles by name.
@kcache.lru_cache()
def kcache_cached_func(x, y):
    return 3 * x + y


NOT_A_KEY = ("kcache keys are encoded, not hashed: arguments must be str, "
             "bytes, numbers, None, dates, times, Decimal, or tuples and "
             "frozensets of these (python/README.md, \"The decorator\"); "
             "this test's arguments are %s")
TYPED = ("kcache keys are always typed, inside tuples too: 1, 1.0 and True "
         "are three keys, and (1,) and (True,) two (python/README.md, "
         "\"The decorator\"); this test wants typed=True to stop at the "
         "top level")
SINGLE_FLIGHT = ("single-flight: threads missing the same arguments at once "
                 "wait for one computation (python/README.md, \"The "
                 "decorator\"), while this test holds every caller inside "
                 "the function at once, which happens only when the "
                 "waiters' bound (5 s) has passed, 7 times: 35 s; it runs "
                 "with single_flight=False in TestLRUKcacheNoSingleFlight")


class TestLRUKcache(cpython.TestLRU, unittest.TestCase):
    module = KCACHE
    cached_func = kcache_cached_func,

    @module.lru_cache()
    def cached_meth(self, x, y):
        return 3 * x + y

    @staticmethod
    @module.lru_cache()
    def cached_staticmeth(x, y):
        return 3 * x + y

    @unittest.skip(NOT_A_KEY % "unittest.mock.Mock objects")
    def test_lru_hash_only_once(self):
        pass

    @unittest.skip(NOT_A_KEY % "instances of a class of the test's own")
    def test_need_for_rlock(self):
        pass

    @unittest.skip(TYPED)
    def test_lru_cache_typed_is_not_recursive(self):
        pass

    @unittest.skip(SINGLE_FLIGHT)
    def test_lru_cache_threaded2(self):
        pass


class TestLRUKcacheNoSingleFlight(unittest.TestCase):
    """The test skipped above for single-flight, with single-flight off."""
    module = _as_functools(functools.partial(kcache.lru_cache,
                                             single_flight=False))
    test_lru_cache_threaded2 = cpython.TestLRU.test_lru_cache_threaded2


class TestCacheKcache(cpython.TestCache, unittest.TestCase):
    module = KCACHE


class TAPResult(unittest.TestResult):
    """One TAP line per test (its subtests' failures make it fail)."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.bad = False
        self._problems = []
        self._skip = None

    def startTest(self, test):
        super().startTest(test)
        self._problems = []
        self._skip = None

    def _problem(self, test, err):
        self._problems.append("".join(traceback.format_exception(*err)))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._problem(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._problem(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._problems.append("%s\n%s" % (
                subtest, "".join(traceback.format_exception(*err))))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._skip = reason

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._problems.append("unexpected success")

    def stopTest(self, test):
        super().stopTest(test)
        self.count += 1
        name = "functools_%s.%s" % (type(test).__name__, test._testMethodName)
        if self._problems:
            self.bad = True
            for text in self._problems:
                for line in text.splitlines():
                    print("# " + line)
            print("not ok %d %s" % (self.count, name))
        elif self._skip is not None:
            print("ok %d %s # SKIP %s" % (self.count, name, self._skip))
        else:
            print("ok %d %s" % (self.count, name))
        sys.stdout.flush()


def main():
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(
        loader.loadTestsFromTestCase(cls)
        for cls in (TestLRUKcache, TestLRUKcacheNoSingleFlight,
                    TestCacheKcache))
    print("TAP version 13")
    print("# CPython's TestLRU and TestCache from %s, against kcache"
          % cpython.__file__)
    result = TAPResult()
    start = time.monotonic()
    suite.run(result)
    print("1..%d" % result.count)
    print("# %d tests in %.1f s: %d failed, %d skipped"
          % (result.count, time.monotonic() - start,
             len(result.failures) + len(result.errors),
             len(result.skipped)))
    return 1 if result.bad else 0


if __name__ == "__main__":
    sys.exit(main())

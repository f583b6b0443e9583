# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Fixtures of the kcache tests.

The tests run against the real module: in the VM (tools/vm-run, or
python/tests/run-tap from tests/vm/guest-tests), or on a host that has
lrucache.ko loaded. Without /dev/lrucache every test that needs it is
skipped (test_layout.py needs only the library and a C compiler).
"""

import itertools
import os
import subprocess
import sys
import time

import pytest

PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(PKG_DIR)
sys.path.insert(0, PKG_DIR)

import kcache  # noqa: E402 (after the path is set)

DEVICE = os.environ.get("KCACHE_DEVICE", "/dev/lrucache")
_names = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "nodevice: the test does not need /dev/lrucache")


@pytest.fixture(autouse=True)
def _needs_device(request):
    if request.node.get_closest_marker("nodevice") is None and \
            not os.path.exists(DEVICE):
        pytest.skip("%s missing: the lrucache module is not loaded "
                    "(run in tools/vm-run)" % DEVICE)


@pytest.fixture
def name():
    """A cache name no other test uses; the cache is destroyed after the
    test if it still exists."""
    cache_name = "pytest-%d-%d" % (os.getpid(), next(_names))
    yield cache_name
    try:
        kcache.destroy(cache_name)
    except kcache.CacheNotFoundError:
        pass


@pytest.fixture
def cache(name):
    """A named cache of 100 entries, closed after the test."""
    c = kcache.LRUCache(max_size=100, name=name)
    yield c
    c.close()


def wait_until(predicate, timeout=10.0, interval=0.01):
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass;
    return whether it became true. A bounded loop: no sleep-and-hope."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def run_python(code, *args, check=True, timeout=120):
    """Run ``code`` in another Python process that imports kcache from
    this checkout; return its stdout."""
    env = dict(os.environ, PYTHONPATH=PKG_DIR, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("child failed (%d): %s" % (
            proc.returncode, proc.stderr.decode(errors="replace")))
    return proc.stdout.decode()

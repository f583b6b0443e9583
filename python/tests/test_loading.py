# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""Where kcache finds libkcache: KCACHE_LIBRARY first."""

import os

import pytest

from conftest import REPO, run_python

pytestmark = pytest.mark.nodevice

BUILT = os.path.join(REPO, "build", "lib", "libkcache.so.1")


def test_kcache_library_names_the_library_to_load(monkeypatch):
    if not os.path.exists(BUILT):
        pytest.skip("no built library at %s" % BUILT)
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    monkeypatch.setenv("KCACHE_LIBRARY", BUILT)
    out = run_python("from kcache import _native\n"
                     "print(_native.lib._name)\n")
    assert out.strip() == BUILT


def test_a_missing_kcache_library_fails_the_import(monkeypatch):
    monkeypatch.setenv("KCACHE_LIBRARY", "/nonexistent/libkcache.so.1")
    out = run_python("try:\n"
                     "    import kcache\n"
                     "except ImportError as e:\n"
                     "    print('ImportError', e)\n")
    assert out.startswith("ImportError kcache: cannot load "
                          "KCACHE_LIBRARY=/nonexistent/libkcache.so.1")

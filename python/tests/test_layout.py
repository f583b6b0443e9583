# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""The ctypes structures and constants match libuser/kcache.h.

A C program compiled against the header prints every size, offset and
constant; the test compares them with kcache._native's. Without a C
compiler (or the header) the test is skipped.
"""

import ctypes
import os
import re
import shutil
import subprocess

import pytest

from conftest import REPO
from kcache import _native as n

pytestmark = pytest.mark.nodevice

STRUCTS = {
    "kcache_options": n.Options,
    "kcache_metrics": n.Metrics,
    "kcache_health": n.Health,
    "kcache_info": n.Info,
    "kcache_item": n.Item,
    "kcache_memo_opts": n.MemoOpts,
    "kcache_memo_info": n.MemoInfo,
    "kcache_json_error": n.JsonError,
    "kcache_event": n.Event,
    "kcache_hook_ops": n.HookOps,
}

# (C expression, the value kcache._native uses)
CONSTANTS = [
    ("KCACHE_NAME_MAX", n.NAME_MAX),
    ("KCACHE_TTL_DEFAULT", n.TTL_DEFAULT),
    ("KCACHE_TTL_NONE", n.TTL_NONE),
    ("KCACHE_TTL_MAX_MS", n.TTL_MAX_MS),
    ("KCACHE_CLEANUP_INTERVAL_MIN_MS", n.CLEANUP_INTERVAL_MIN_MS),
    ("KCACHE_CLEANUP_INTERVAL_MAX_MS", n.CLEANUP_INTERVAL_MAX_MS),
    ("LRUCACHE_BATCH_MAX", n.BATCH_MAX),
    ("KCACHE_OPEN_EXCL", n.OPEN_EXCL),
    ("KCACHE_OPEN_NO_METRICS", n.OPEN_NO_METRICS),
    ("KCACHE_OPEN_MAPPED", n.OPEN_MAPPED),
    ("KCACHE_INFO_METRICS", n.INFO_METRICS),
    ("KCACHE_INFO_MAPPED", n.INFO_MAPPED),
    ("KCACHE_RESTORE_REPLACE", n.RESTORE_REPLACE),
    ("KCACHE_MEMO_NO_SINGLE_FLIGHT", n.MEMO_NO_SINGLE_FLIGHT),
    ("KCACHE_EVENT_KEY_MAX", n.EVENT_KEY_MAX),
    ("KCACHE_EVENT_HIT", n.EVENT_HIT),
    ("KCACHE_EVENT_MISS", n.EVENT_MISS),
    ("KCACHE_EVENT_SET", n.EVENT_SET),
    ("KCACHE_EVENT_DELETE", n.EVENT_DELETE),
    ("KCACHE_EVENT_EVICT", n.EVENT_EVICT),
    ("KCACHE_EVENT_EXPIRE", n.EVENT_EXPIRE),
    ("KCACHE_EVENT_RECLAIM", n.EVENT_RECLAIM),
    ("KCACHE_EVENT_MAX", len(n.EVENT_NAMES)),
    ("KCACHE_HEALTH_MEMORY_HIGH", n.HEALTH_MEMORY_HIGH),
    ("KCACHE_HEALTH_HIT_RATE_LOW", n.HEALTH_HIT_RATE_LOW),
    ("KCACHE_HEALTH_REAPER_BEHIND", n.HEALTH_REAPER_BEHIND),
]


def _program():
    lines = ["#include <stddef.h>", "#include <stdio.h>",
             "#include <kcache.h>", "int main(void)", "{"]
    for cname, cls in STRUCTS.items():
        lines.append('\tprintf("%s sizeof %%zu\\n", sizeof(struct %s));'
                     % (cname, cname))
        for field, _ctype in cls._fields_:
            lines.append('\tprintf("%s %s %%zu\\n", offsetof(struct %s, %s));'
                         % (cname, field, cname, field))
    for expr, _value in CONSTANTS:
        lines.append('\tprintf("%s %%llu\\n", (unsigned long long)(%s));'
                     % (expr, expr))
    lines += ["\treturn 0;", "}"]
    return "\n".join(lines) + "\n"


def _python_side():
    out = {}
    for cname, cls in STRUCTS.items():
        out["%s sizeof" % cname] = ctypes.sizeof(cls)
        for field, _ctype in cls._fields_:
            out["%s %s" % (cname, field)] = getattr(cls, field).offset
    for expr, value in CONSTANTS:
        out[expr] = value
    return out


def test_structures_and_constants_match_the_c_header(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    header = os.path.join(REPO, "libuser", "kcache.h")
    if cc is None or not os.path.exists(header):
        pytest.skip("no C compiler or no libuser/kcache.h")
    src = tmp_path / "layout.c"
    exe = tmp_path / "layout"
    src.write_text(_program())
    subprocess.run([cc, "-std=c11", "-Wall", "-Werror",
                    "-I", os.path.join(REPO, "libuser"),
                    "-I", os.path.join(REPO, "kmod", "include", "uapi"),
                    "-o", str(exe), str(src)], check=True)
    printed = subprocess.run([str(exe)], check=True, stdout=subprocess.PIPE,
                             text=True).stdout
    c_side = {}
    for line in printed.splitlines():
        what, value = line.rsplit(" ", 1)
        c_side[what] = int(value)
    assert c_side == _python_side()


def test_every_function_the_package_calls_has_a_prototype():
    # A libkcache function called without argtypes/restype would get
    # ctypes' defaults (int arguments and result): pointers truncated,
    # ssize_t results cut to 32 bits. Find every call in the sources.
    pkg = os.path.join(os.path.dirname(n.__file__))
    called = set()
    for fname in os.listdir(pkg):
        if fname.endswith(".py"):
            with open(os.path.join(pkg, fname)) as f:
                called |= set(re.findall(r"\blib\.(kcache_\w+)", f.read()))
    assert len(called) > 30
    undeclared = sorted(f for f in called
                        if getattr(n.lib, f).argtypes is None)
    assert undeclared == []

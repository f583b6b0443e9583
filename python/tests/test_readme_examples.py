# SPDX-License-Identifier: LGPL-2.1 OR MIT
"""The original README's Python blocks, as examples/python/ holds them:
each script checks what its block claims and raises AssertionError if a
claim does not hold. Run in this process (runpy), one test per script, to
keep the cost at what the blocks do."""

import glob
import os
import runpy

import pytest

from conftest import REPO

SCRIPTS = sorted(glob.glob(os.path.join(REPO, "examples", "python",
                                        "[0-9]*.py")))


def test_every_block_has_its_script():
    assert len(SCRIPTS) == 17


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_readme_block(script, capsys, monkeypatch):
    # As when run as a program: the script's folder is on the path (for
    # readme_check, the check the scripts share).
    monkeypatch.syspath_prepend(os.path.dirname(script))
    here = os.getcwd()
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        os.chdir(here)
    name = os.path.basename(script)[3:-3].replace("_", " ")
    assert capsys.readouterr().out.rstrip().endswith("ok: " + name)

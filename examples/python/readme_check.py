# SPDX-License-Identifier: MIT
"""What the scripts of this folder share around their README block: the
check of a claim, and a stdout that keeps what the block printed."""

import io


def claim(ok, what):
    """Raise AssertionError, saying ``what``, unless ``ok``."""
    if not ok:
        raise AssertionError("the README's claim does not hold: " + what)


class Tee(io.StringIO):
    """Writes go to ``out`` as usual and are kept, for getvalue()."""

    def __init__(self, out):
        super().__init__()
        self.out = out

    def write(self, text):
        self.out.write(text)
        return super().write(text)

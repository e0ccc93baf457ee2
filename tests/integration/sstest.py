# SPDX-License-Identifier: MIT
"""sstest.py - what the Python integration tests share: how they skip and
how they fail (exit 77 and 1, as ctest expects)."""
import sys


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(why, log=None, logs=()):
    """Print FAIL: WHY, then the switch's log (@log) or several named logs
    (@logs: (name, text) pairs), and exit 1."""
    print("FAIL: " + why)
    if log:
        print("---- switch log")
        print(log)
    for name, text in logs:
        print("---- " + name)
        print(text)
    sys.exit(1)

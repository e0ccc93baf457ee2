# SPDX-License-Identifier: MIT
"""sstest.py - what the Python integration tests share: how they skip and
how they fail (exit 77 and 1, as ctest expects)."""
import subprocess
import sys
import time


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


def start_switch(args, logpath, limit_s=10.0):
    """Start the switch (@args: its command line) with its output in
    @logpath, and wait until it logs "ready pid=". Return the Popen;
    FAIL with the log if it exits or is not ready within @limit_s."""
    with open(logpath, "wb") as log:
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    end = time.monotonic() + limit_s
    text = ""
    while time.monotonic() < end:
        with open(logpath, errors="replace") as f:
            text = f.read()
        if "\nready pid=" in "\n" + text:
            return p
        if p.poll() is not None:
            break
        time.sleep(0.02)
    if p.poll() is None:
        p.kill()
        p.wait()
    fail("switch did not start", text)

# SPDX-License-Identifier: MIT
"""sstest.py - what the Python integration tests share: how they skip and
how they fail (exit 77 and 1, as ctest expects), how they run
sockswitchctl and stop the switch."""
import signal
import subprocess
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


def ctl_run(ctl_exe, sock, args, check=True, log=None):
    """Run sockswitchctl -s @sock ARGS; fail (with @log(), the switch's
    log) unless it exits 0, when @check."""
    r = subprocess.run([ctl_exe, "-s", sock] + list(args),
                       capture_output=True, text=True, timeout=10)
    if check and r.returncode != 0:
        fail("sockswitchctl %s: rc %d: %s%s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr),
            log() if log else None)
    return r


def stop_switch(proc, log):
    """SIGTERM the switch @proc (killed after 10 s); fail, with @log(),
    unless it exits 0."""
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        fail("switch did not stop on SIGTERM", log())
    if rc != 0:
        fail("switch exited %d" % rc, log())

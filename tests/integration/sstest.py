# SPDX-License-Identifier: MIT
"""sstest.py - what the Python integration tests share: how they skip and
how they fail (exit 77 and 1, as ctest expects), how they run
sockswitchctl and stop the switch."""
import signal
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

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""budget_flood.py SOCKSWITCH SOCKSWITCHCTL PORTS FRAMES [OPTION...]

The traffic of tests/integration/queue_budget.py at any size, against any
switch (OPTIONs go to the switch; a switch without the queue budget works
too): PORTS clients that never read, one that reads, one broadcasting
FRAMES frames of 1,400 bytes. Prints one line of key=value: the switch's
RSS before the traffic, at its peak (VmHWM), after it, and 3 s after the
ports that never read closed (KiB), the queued bytes at the end (-1
without the budget), and the seconds the broadcast took.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from queue_budget import Flood, Switch, status_kb  # noqa: E402


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    ports, frames = int(sys.argv[3]), int(sys.argv[4])
    with tempfile.TemporaryDirectory(prefix="ss-flood-") as tmp:
        sw = Switch(exe, ctl_exe, tmp, sys.argv[5:])
        try:
            fl = Flood(sw, ports)
            t0 = time.monotonic()
            fl.broadcast(frames)
            secs = time.monotonic() - t0
            mem = sw.memory()
            peak, sent = status_kb(sw.p.pid, "VmHWM"), sw.rss_kb()
            fl.close_stalled(trims=False)
            print("ports=%d frames=%d rss_before_kb=%d peak_kb=%d "
                  "rss_after_traffic_kb=%d rss_after_close_kb=%d "
                  "queued_bytes=%d seconds=%.1f"
                  % (ports, frames, fl.base_kb, peak, sent, sw.rss_kb(),
                     mem["queued_bytes"] if mem else -1, secs))
            fl.finish()
        finally:
            sw.stop()


if __name__ == "__main__":
    main()

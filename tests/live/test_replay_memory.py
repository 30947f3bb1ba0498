#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock report's memory stays flat: the peak RSS replaying a recording
of about 10 M events is less than 1.2 times the peak replaying one of about
1 M events (the same storm workload, recorded here), read by forklock's
page readers with and without their threads and by libtracecmd."""
import math
import os
import re

import fltest
from fltest import FORKLOCK, LiveTest

SOURCES = ("threads", "pages", "libtracecmd")


def peak_rss_kb(argv, env):
    pid = os.posix_spawnp(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_maxrss


class Memory(LiveTest):
    def storm(self, name, target):
        """A storm recording of at least @target events: (path, events)."""
        forks = math.ceil(target / 2000)	# 2,000 to 3,700 events per fork here
        for _ in range(4):
            summary, _, _ = self.record(self.workload("storm", "--forks", forks, "--vmas", 1000),
                                        out=name)
            if summary["events"] >= target:
                return self.path(name), summary["events"]
            per_fork = max(1.0, summary["events"] / forks)
            forks = max(forks + 1, math.ceil(target / per_fork * 1.1))
        self.fail("could not record %d events (got %d)" % (target, summary["events"]))

    def test_flat(self):
        small, ev_small = self.storm("1m.dat", 1000000)
        big, ev_big = self.storm("10m.dat", 10000000)
        self.assertGreaterEqual(ev_big / ev_small, 5, (ev_small, ev_big))
        for src in SOURCES:
            env = dict(os.environ, FORKLOCK_REPLAY=src)
            rss = {}
            for label, path in (("1m", small), ("10m", big)):
                code, kb = peak_rss_kb([FORKLOCK, "report", "--format", "json", path], env)
                self.assertEqual(code, 0, "%s %s" % (src, path))
                rss[label] = kb
            print("%s: %d events %d kB, %d events %d kB" % (src, ev_small, rss["1m"], ev_big,
                                                            rss["10m"]))
            self.assertLess(rss["10m"], 1.2 * rss["1m"], "%s: peak RSS grows with the trace: %s"
                            % (src, rss))


if __name__ == "__main__":
    fltest.main()

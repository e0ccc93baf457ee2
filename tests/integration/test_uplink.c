// SPDX-License-Identifier: MIT
/*
 * test_uplink.c - uplink failure modes that need no root, real daemon
 *
 * Each misconfigured or unreachable uplink must be logged with its cause
 * and fix, show up as retrying (or down, for an inherited descriptor that
 * cannot be opened again), and leave the switch running: guests on it
 * still reach each other and SIGTERM still exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "itest.h"

TestSuite(uplink, .fini = ss_cleanup, .timeout = 90);

static void expect_log(struct itest_sw *sw, const char *needle)
{
	char line[2048];
	int ret = ss_daemon_wait_log(sw->d, NULL, needle, line, sizeof(line),
				     SS_TIMEOUT_MS);

	if (ret < 0)
		itest_dump_log(sw->d);
	cr_assert_eq(ret, 0, "no `%s' in the log", needle);
}

/* Guests still switch, and the stats line shows @state for port 1. */
static void still_switching(struct itest_sw *sw, const char *state)
{
	struct itest_sta s[2];
	char needle[64];

	itest_join(sw, s, 2);
	itest_ping(&s[0], &s[1], 1);
	snprintf(needle, sizeof(needle), "stats port=1 ");
	cr_assert_geq(itest_stat(sw, 1, "rx_frames"), 0);
	expect_log(sw, needle);
	snprintf(needle, sizeof(needle), "state=%s", state);
	expect_log(sw, needle);
	ss_client_close(s[0].c);
	ss_client_close(s[1].c);
}

Test(uplink, tap_fd_not_open_stays_down)
{
	static const char *const extra[] = { "--uplink", "tap-fd:987", NULL };
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	expect_log(&sw, "descriptor 987 is not open");
	expect_log(&sw, "not retrying");
	still_switching(&sw, "down");
	itest_stop(&sw);
}

Test(uplink, tap_fd_not_a_tap_stays_down)
{
	static const char *const extra[] = { "--uplink", "tap-fd:7", NULL };
	const char *dir = ss_tmpdir(), *real = ss_daemon_bin();
	char wrapper[512], bin[512];
	struct itest_sw sw;
	FILE *f;

	/* The launcher closes every descriptor: a wrapper opens fd 7. */
	cr_assert(dir && real);
	snprintf(bin, sizeof(bin), "%s", real);
	snprintf(wrapper, sizeof(wrapper), "%s/with-fd7.sh", dir);
	f = fopen(wrapper, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\nexec 7<>/dev/null\nexec '%s' \"$@\"\n", bin);
	fclose(f);
	cr_assert_eq(chmod(wrapper, 0700), 0);
	setenv("SOCKSWITCH_BIN", wrapper, 1);
	itest_start(&sw, TP_UNIX, extra);
	setenv("SOCKSWITCH_BIN", bin, 1);
	expect_log(&sw, "descriptor 7 is not an attached tap");
	still_switching(&sw, "down");
	itest_stop(&sw);
}

Test(uplink, bridge_helper_missing_retries)
{
	static const char *const extra[] = {
		"--uplink", "bridge:br0,helper=/nonexistent/qemu-bridge-helper",
		NULL
	};
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	expect_log(&sw, "cannot run /nonexistent/qemu-bridge-helper");
	expect_log(&sw, "retrying in");
	still_switching(&sw, "retrying");
	itest_stop(&sw);
}

Test(uplink, bridge_helper_failing_names_the_fixes)
{
	static const char *const extra[] = { "--uplink",
					     "bridge:br0,helper=/bin/false",
					     NULL };
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	expect_log(&sw,
		   "qemu-bridge-helper exited with status 1 without a tap");
	expect_log(&sw, "chmod u+s /bin/false");
	expect_log(&sw, "`allow br0'");
	still_switching(&sw, "retrying");
	itest_stop(&sw);
}

Test(uplink, passt_socket_missing_retries)
{
	static const char *const extra[] = { "--uplink",
					     "passt:@DIR@/no-passt.sock",
					     NULL };
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	expect_log(&sw, "no-passt.sock): cannot connect");
	expect_log(&sw, "is the peer running?");
	still_switching(&sw, "retrying");
	itest_stop(&sw);
}

Test(uplink, tcp_connect_refused_retries)
{
	/* A port we bound and closed: almost surely nobody listens on it. */
	static const char *const extra[] = { "--connect", "tcp:127.0.0.1:9",
					     NULL };
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, extra);
	expect_log(&sw, "cannot connect: Connection refused");
	expect_log(&sw, "retrying in");
	still_switching(&sw, "retrying");
	itest_stop(&sw);
}

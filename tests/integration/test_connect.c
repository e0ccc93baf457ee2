// SPDX-License-Identifier: MIT
/*
 * test_connect.c - outbound stream uplinks (--connect), real daemons
 *
 * Switch S dials switch P (a listening peer that speaks the same framing
 * as a QEMU -netdev stream,server=on guest). A station on S and one on P
 * reach each other through the uplink; P is stopped and started again on
 * the same address and frames flow again without touching S. Before P
 * exists, and while it is gone, S keeps running and reports the uplink as
 * retrying.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "itest.h"

TestSuite(connect, .fini = ss_cleanup, .timeout = 120);

#define RECONNECT_MS 30000

/* Start a plain switch listening on @url (tcp:...:0 picks a port). */
static void start_peer(struct itest_sw *p, const char *url, enum itest_tp tp)
{
	const char *args[] = { "--listen", url, NULL };

	itest_start_argv(p, tp, args);
}

static void start_dialer(struct itest_sw *s, const char *peer_url)
{
	const char *args[] = { "--listen",  "unix:@DIR@/s.sock",
			       "--connect", peer_url,
			       "-v",	    NULL };

	itest_start_argv(s, TP_UNIX, args);
}

static void wait_s_log(struct itest_sw *s, size_t *pos, const char *needle,
		       char *line, size_t len)
{
	int ret =
		ss_daemon_wait_log(s->d, pos, needle, line, len, RECONNECT_MS);

	if (ret < 0)
		itest_dump_log(s->d);
	cr_assert_eq(ret, 0, "no `%s' in the dialing switch's log", needle);
}

static void peer_restarts(enum itest_tp tp)
{
	struct itest_sw s, p;
	struct itest_sta a, b;
	char purl[300], line[1024], up[400];
	size_t pos = 0;
	long long drops, fwd;
	int64_t deadline;
	int ret;

	if (tp == TP_UNIX) {
		const char *dir = ss_tmpdir();

		cr_assert_not_null(dir);
		snprintf(purl, sizeof(purl), "unix:%s/peer.sock", dir);
		/* Nothing listens yet: S must keep retrying. */
		start_dialer(&s, purl);
		wait_s_log(&s, &pos, "cannot connect", line, sizeof(line));
		cr_assert_not_null(strstr(line, "retrying in"), "%s", line);
		cr_assert_not_null(strstr(line, "is the peer running?"), "%s",
				   line);
		start_peer(&p, purl, tp);
	} else {
		start_peer(&p, "tcp:127.0.0.1:0", tp);
		snprintf(purl, sizeof(purl), "%s", p.url);
		start_dialer(&s, purl);
	}
	snprintf(up, sizeof(up), "(connect %s) up", purl);
	wait_s_log(&s, &pos, up, line, sizeof(line));

	itest_join_one(&s, &a, NULL, "A", 1, 0);
	itest_join_one(&p, &b, NULL, "B", 2, 0);
	/* A broadcast teaches both switches where A is; then unicast. */
	itest_send(&a, itest_bcast, 1, 80);
	itest_expect(&b, itest_bcast, &a, 1, 80);
	itest_ping(&a, &b, 2);

	/* The peer goes away: S keeps the port, retrying, and keeps running. */
	itest_stop(&p);
	wait_s_log(&s, &pos, "peer closed the connection", line, sizeof(line));
	cr_assert_not_null(strstr(line, "retrying in"), "%s", line);
	/* B's address was learned on the uplink, which is down now: it is
	 * forgotten with the carrier, so a frame to B floods (and would
	 * reach B as soon as the uplink is back) instead of being dropped
	 * as rx_dest_down. */
	fwd = itest_stat(&s, a.port, "rx_frames");
	itest_send(&a, b.mac, 4, 80);
	for (deadline = ss_now_ms() + SS_TIMEOUT_MS;
	     itest_stat(&s, a.port, "rx_frames") < fwd + 1 &&
	     ss_now_ms() < deadline;)
		;
	cr_assert_eq(itest_stat(&s, a.port, "rx_frames"), fwd + 1,
		     "A's frame to B is received");
	drops = itest_stat(&s, a.port, "drop_rx_dest_down");
	cr_assert_eq(drops, 0, "nothing is dropped as rx_dest_down");
	ret = ss_daemon_wait_log(s.d, NULL, "state=retrying", line,
				 sizeof(line), SS_TIMEOUT_MS);
	cr_assert_eq(ret, 0, "the stats should show the uplink retrying");
	cr_assert_not_null(strstr(line, "transport=connect"), "%s", line);

	/* It comes back on the same address: S redials by itself. */
	start_peer(&p, purl, tp);
	wait_s_log(&s, &pos, up, line, sizeof(line));
	ss_client_close(b.c);
	itest_join_one(&p, &b, NULL, "B2", 2, 0);
	itest_send(&a, itest_bcast, 10, 80);
	itest_expect(&b, itest_bcast, &a, 10, 80);
	itest_ping(&a, &b, 11);
	itest_ping(&b, &a, 13);

	ss_client_close(a.c);
	ss_client_close(b.c);
	itest_stop(&p);
	itest_stop(&s);
}

Test(connect, unix_peer_restarts)
{
	peer_restarts(TP_UNIX);
}

Test(connect, tcp_peer_restarts)
{
	peer_restarts(TP_TCP4);
}

Test(connect, bad_url_is_a_usage_error)
{
	const char *args[] = { "--connect", "tcp:127.0.0.1:0", NULL };
	struct ss_daemon *d = ss_daemon_start(args, SS_TIMEOUT_MS);

	cr_assert_not_null(d);
	cr_assert(!d->ready, "--connect to port 0 must be refused");
	cr_assert(WIFEXITED(d->status) && WEXITSTATUS(d->status) == 2,
		  "exit status 2 (usage error) expected (0x%x)", d->status);
}

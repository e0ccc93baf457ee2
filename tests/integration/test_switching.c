// SPDX-License-Identifier: MIT
/*
 * test_switching.c - switch limits and MAC learning rules, real daemon
 *
 * The forwarding rules that do not depend on the transport, checked over
 * unix sockets: --max-ports refuses extra peers, a full MAC table evicts
 * to learn a new guest, a port that sprays source addresses churns within
 * its share of the table, and --hold-down decides whether an address may
 * move to another port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "itest.h"

TestSuite(switching, .fini = ss_cleanup, .timeout = 60);

Test(switching, max_ports_refuses_extra_clients)
{
	static const char *const extra[] = { "--max-ports", "2", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	struct ss_client *c;
	char line[1024];
	int ret;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	c = ss_client_connect(sw.url, 0);
	cr_assert_not_null(c, "connect: %s", strerror(errno));
	cr_assert_eq(ss_wait_eof(c, SS_TIMEOUT_MS), 0,
		     "a third client must be refused with --max-ports 2");
	ret = ss_daemon_wait_log(sw.d, NULL, "refusing", line, sizeof(line),
				 SS_TIMEOUT_MS);
	cr_assert_eq(ret, 0, "the refusal should be logged");
	cr_assert_not_null(strstr(line, "max-ports"),
			   "the refusal should name the limit: `%s'", line);
	ss_client_close(c);
	itest_ping(&s[0], &s[1], 1);

	/* A slot frees up when a port goes away. */
	ss_client_close(s[0].c);
	s[0].c = NULL;
	itest_wait_closed_log(&sw, &s[0], NULL, 0);
	itest_join_one(&sw, &s[2], NULL, "C", 3, 0);
	itest_ping(&s[2], &s[1], 3);
	itest_stop(&sw);
}

/* A client that keeps connecting to a full switch cannot flood the log:
 * at most LOG_BURST (10) refusal lines in 10 s, then one that says how
 * many were not logged; the attached ports keep working. */
Test(switching, refusals_are_rate_limited_in_the_log)
{
	static const char *const extra[] = { "--max-ports", "2", NULL };
	struct itest_sta s[2];
	struct itest_sw sw;
	unsigned i, lines = 0;
	char *log, *p;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	for (i = 0; i < 200; i++) {
		struct ss_client *c = ss_client_connect(sw.url, 0);

		cr_assert_not_null(c, "connect %u: %s", i, strerror(errno));
		cr_assert_eq(ss_wait_eof(c, SS_TIMEOUT_MS), 0,
			     "connection %u must be refused", i);
		ss_client_close(c);
	}
	itest_ping(&s[0], &s[1], 1);
	log = ss_daemon_log(sw.d);
	cr_assert_not_null(log);
	for (p = log; (p = strstr(p, ": refusing ")); p++)
		lines++;
	free(log);
	cr_assert_geq(lines, 1, "the first refusals are logged");
	cr_assert_leq(lines, 10 + 1, "200 refusals gave %u log lines", lines);
	itest_stop(&sw);
}

Test(switching, full_mac_table_evicts_the_oldest_to_learn_a_new_guest)
{
	static const char *const extra[] = { "--mac-table-size", "2", NULL };
	struct itest_sta s[3];
	struct itest_sw sw;
	size_t i;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 3);
	/* A and B fill the table; C is learned all the same, and A's entry,
	 * the least recently seen, goes. The pauses give the entries
	 * different ages on the switch's millisecond clock. */
	for (i = 0; i < 3; i++) {
		itest_flood(s, 3, i, 1 + (uint32_t)i, 64);
		usleep(5000);
	}
	cr_assert_eq(itest_stat(&sw, s[2].port, "mac_table_full"), 1,
		     "C's address should hit the full table");
	cr_assert_eq(itest_stat(&sw, s[0].port, "mac_evicted"), 1);
	cr_assert_eq(itest_stat(&sw, s[1].port, "mac_evicted"), 0);

	/* C is known: frames to it go to its port only. */
	itest_send(&s[1], s[2].mac, 10, 100);
	itest_expect(&s[2], s[2].mac, &s[1], 10, 100);
	itest_expect_quiet(&s[0], 1, 100);
	/* A was forgotten: frames to it are flooded. */
	itest_send(&s[2], s[0].mac, 11, 100);
	itest_expect(&s[0], s[0].mac, &s[2], 11, 100);
	itest_expect(&s[1], s[0].mac, &s[2], 11, 100);
	itest_send(&s[0], itest_bcast, 12, 60);
	itest_expect_seq(&s[1], 12);
	itest_stop(&sw);
}

/*
 * A guest sprays twice the table's size in source addresses. It churns
 * within its share (half the table): a guest that joins afterwards is
 * learned at once, and frames to it are not flooded to the others.
 */
Test(switching, mac_spray_cannot_keep_a_new_guest_from_being_learned)
{
	enum { TABLE = 64, SPRAY = 2 * TABLE };
	static const char *const extra[] = { "--mac-table-size", "64", NULL };
	struct itest_sta s[3]; /* A sprays, B receives, C joins later */
	struct itest_sw sw;
	uint8_t src[SS_MAC_LEN] = { 0x02, 0x5a, 0, 0, 0, 0 };
	size_t len;
	uint32_t i;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 3);
	itest_flood(s, 3, 0, 1, 64);
	itest_flood(s, 3, 1, 2, 64);
	for (i = 0; i < SPRAY; i++) {
		src[4] = (uint8_t)(i >> 8);
		src[5] = (uint8_t)i;
		len = ss_frame_build(itest_buf, 64, s[1].mac, src, 100 + i);
		cr_assert_eq(ss_send_frame(s[0].c, itest_buf, len), 0);
	}
	itest_skip_to_seq(&s[1], 100 + SPRAY - 1);
	cr_assert_eq(itest_stat(&sw, s[0].port, "mac_evicted"),
		     SPRAY + 1 - TABLE / 2,
		     "A churns within its share: its own oldest go");
	cr_assert_eq(itest_stat(&sw, s[1].port, "mac_evicted"), 0);

	/* C's first frame teaches the switch its address... */
	itest_flood(s, 3, 2, 3, 64);
	cr_assert_eq(itest_stat(&sw, s[2].port, "mac_new"), 1);
	cr_assert_eq(itest_stat(&sw, s[2].port, "mac_table_full"), 0);
	/* ...so B's unicast to C reaches C alone. */
	itest_send(&s[1], s[2].mac, 4, 100);
	itest_expect(&s[2], s[2].mac, &s[1], 4, 100);
	itest_expect_quiet(&s[0], 1, 200);
	itest_stop(&sw);
}

/*
 * The daemon may only have 24 descriptors. 30 more clients than it can
 * take: accept() fails with EMFILE, the daemon must log it and pause
 * accepting instead of spinning, keep forwarding between the ports it
 * has, and accept again once descriptors are free.
 */
Test(switching, accept_pauses_at_the_fd_limit_and_resumes)
{
	struct ss_client *extra[30];
	struct itest_sta s[3];
	struct itest_sw sw;
	int ret;

	ss_daemon_nofile = 24;
	itest_start(&sw, TP_TCP4, NULL);
	ss_daemon_nofile = 0;
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	for (size_t i = 0; i < 30; i++) {
		extra[i] = ss_client_connect(sw.url, 0);
		cr_assert_not_null(extra[i], "extra %zu: connect: %s", i,
				   strerror(errno));
	}
	ret = ss_daemon_wait_log(sw.d, NULL, "cannot accept", NULL, 0,
				 SS_TIMEOUT_MS);
	if (ret < 0)
		itest_dump_log(sw.d);
	cr_assert_eq(ret, 0, "running out of descriptors should be logged");
	itest_ping(&s[0], &s[1], 10);

	for (size_t i = 0; i < 30; i++)
		ss_client_close(extra[i]);
	itest_join_one(&sw, &s[2], NULL, "C", 3, 0);
	itest_ping(&s[2], &s[0], 12);
	itest_stop(&sw);
}

/* C sends with A's address right after A did: within the hold-down time
 * the address stays on A's port. */
Test(switching, address_seen_recently_does_not_move)
{
	struct itest_sta s[3], spoof;
	struct itest_sw sw;

	itest_start(&sw, TP_UNIX, NULL);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	spoof = s[2];
	memcpy(spoof.mac, s[0].mac, SS_MAC_LEN);
	itest_send(&spoof, itest_bcast, 10, 60);
	itest_expect(&s[0], itest_bcast, &spoof, 10, 60);
	itest_expect(&s[1], itest_bcast, &spoof, 10, 60);

	itest_send(&s[1], s[0].mac, 11, 100);
	itest_expect(&s[0], s[0].mac, &s[1], 11, 100);
	itest_send(&s[1], itest_bcast, 12, 60);
	itest_expect_seq(&s[2], 12);
	itest_stop(&sw);
}

/* With --hold-down 0 the address follows the station to its new port. */
Test(switching, address_moves_to_the_new_port_without_hold_down)
{
	static const char *const extra[] = { "--hold-down", "0", NULL };
	struct itest_sta s[3], moved;
	struct itest_sw sw;
	long long moves;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 3);
	itest_learn_all(s, 3, 1);
	moved = s[2];
	memcpy(moved.mac, s[0].mac, SS_MAC_LEN);
	itest_send(&moved, itest_bcast, 10, 60);
	itest_expect(&s[0], itest_bcast, &moved, 10, 60);
	itest_expect(&s[1], itest_bcast, &moved, 10, 60);

	itest_send(&s[1], s[0].mac, 11, 100);
	itest_expect(&s[2], s[0].mac, &s[1], 11, 100);
	itest_send(&s[1], itest_bcast, 12, 60);
	itest_expect_seq(&s[0], 12);
	moves = itest_stat(&sw, s[2].port, "mac_moves");
	cr_assert_eq(moves, 1, "one move to C's port: mac_moves=%lld", moves);
	itest_stop(&sw);
}

/*
 * Two stations with one MAC (two guests given the same mac=) send in
 * turn, every @gap_ms, until the daemon logs a line with @needle; Return:
 * that line in @line.
 */
static void send_alternately_until_logged(struct itest_sw *sw,
					  struct itest_sta *a,
					  struct itest_sta *b, int gap_ms,
					  const char *needle, char *line,
					  size_t len)
{
	static const uint8_t nobody[SS_MAC_LEN] = { 0x02, 0, 0, 0, 0x99, 0x99 };
	uint32_t seq;

	for (seq = 100; seq < 100 + 20000 / (unsigned)gap_ms; seq++) {
		itest_send(seq % 2 ? b : a, nobody, seq, 60);
		if (ss_daemon_wait_log(sw->d, NULL, needle, line, len,
				       gap_ms) == 0)
			return;
	}
	itest_dump_log(sw->d);
	cr_assert_fail("no `%s' line after 20 s of two stations with one MAC",
		       needle);
}

/* The line names both ports, the likely cause and the fix. */
static void expect_conflict_line(const char *line, int p1, int p2)
{
	char want[32];

	snprintf(want, sizeof(want), "port %d (", p1);
	cr_assert_not_null(strstr(line, want), "no `%s' in `%s'", want, line);
	snprintf(want, sizeof(want), "port %d (", p2);
	cr_assert_not_null(strstr(line, want), "no `%s' in `%s'", want, line);
	cr_assert_not_null(strstr(line, "warning"), "`%s'", line);
	cr_assert_not_null(
		strstr(line,
		       "give each guest its own mac= on its -device line"),
		"`%s'", line);
}

/* Within the hold-down the address stays on A's port and no MAC_MOVED
 * is reported: the daemon still notices C keeps sending from it. */
Test(switching, one_mac_on_two_ports_is_logged_while_held)
{
	static const char *const extra[] = { "--hold-down", "500", NULL };
	struct itest_sta s[2], twin;
	struct itest_sw sw;
	char line[1024];

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	twin = s[1];
	memcpy(twin.mac, s[0].mac, SS_MAC_LEN);
	send_alternately_until_logged(&sw, &s[0], &twin, 100,
				      "two guests with the same mac=", line,
				      sizeof(line));
	expect_conflict_line(line, s[0].port, s[1].port);
	cr_assert_not_null(strstr(line, "keeps arriving on port"), "`%s'",
			   line);
	cr_assert_gt(itest_stat(&sw, s[1].port, "mac_held"), 0);
	itest_stop(&sw);
}

/* Without a hold-down the address flaps between the ports: each flap is a
 * MAC_MOVED event, and the warning says so. */
Test(switching, one_mac_on_two_ports_is_logged_when_it_flaps)
{
	static const char *const extra[] = { "--hold-down", "0", NULL };
	struct itest_sta s[2], twin;
	struct itest_sw sw;
	char line[1024];

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	twin = s[1];
	memcpy(twin.mac, s[0].mac, SS_MAC_LEN);
	send_alternately_until_logged(&sw, &s[0], &twin, 50,
				      "two guests with the same mac=", line,
				      sizeof(line));
	expect_conflict_line(line, s[0].port, s[1].port);
	cr_assert_not_null(strstr(line, "keeps moving between"), "`%s'", line);
	cr_assert_not_null(strstr(line, "MAC_MOVED"), "`%s'", line);
	itest_stop(&sw);
}

/* A guest that really moves (silent on its old port) is no conflict: its
 * frames are held for at most the hold-down, then it moves, once. */
Test(switching, one_mac_moving_once_is_not_a_conflict)
{
	static const char *const extra[] = { "--hold-down", "500", NULL };
	static const uint8_t nobody[SS_MAC_LEN] = { 0x02, 0, 0, 0, 0x99, 0x99 };
	struct itest_sta s[2], moved;
	struct itest_sw sw;
	long long moves;
	char *log;
	uint32_t seq;

	itest_start(&sw, TP_UNIX, extra);
	itest_join(&sw, s, 2);
	moved = s[1];
	memcpy(moved.mac, s[0].mac, SS_MAC_LEN);
	itest_send(&s[0], nobody, 100, 60);
	itest_expect(&s[1], nobody, &s[0], 100, 60); /* learned on A's port */
	for (seq = 101; seq < 150; seq++) {
		itest_send(&moved, nobody, seq, 60);
		usleep(100 * 1000);
	}
	moves = itest_stat(&sw, s[1].port, "mac_moves");
	cr_assert_eq(moves, 1, "mac_moves=%lld", moves);
	log = ss_daemon_log(sw.d);
	cr_assert_null(strstr(log, "two guests with the same mac="), "%s", log);
	free(log);
	itest_stop(&sw);
}

// SPDX-License-Identifier: MIT
/*
 * test_backpressure.c - bounded backpressure on the real daemon: a slow
 * receiver loses nothing because its sender is throttled; a receiver that
 * never reads holds its sender up at most for throttle_ms, then loses its
 * own frames (counted) while the sender's other traffic flows
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "itest.h"

#define FRAME_LEN 1000
#define SEQ0 100

TestSuite(backpressure, .fini = ss_cleanup);

/* A unix-socket daemon with small queues and the given throttle bound,
 * dialing @connect (a stream URL) if not NULL. */
static void start_connect(struct itest_sw *sw, unsigned throttle_ms,
			  const char *connect)
{
	static char cfg[300];
	const char *extra[] = { "--config", cfg, connect ? "--connect" : NULL,
				connect, NULL };
	FILE *f;

	snprintf(cfg, sizeof(cfg), "%s/bp.json", ss_tmpdir());
	f = fopen(cfg, "w");
	cr_assert_not_null(f, "%s: %s", cfg, strerror(errno));
	fprintf(f, "{ \"tx_queue_frames\": 64, \"throttle_ms\": %u }\n",
		throttle_ms);
	cr_assert_eq(fclose(f), 0);
	itest_start(sw, TP_UNIX, extra);
}

static void start(struct itest_sw *sw, unsigned throttle_ms)
{
	start_connect(sw, throttle_ms, NULL);
}

/* Child process: @n frames from @from to @to, as fast as the switch takes
 * them; exits 0 if every send succeeded. */
static pid_t spawn_sender(struct itest_sta *from, const struct itest_sta *to,
			  uint32_t n)
{
	static uint8_t buf[FRAME_LEN];
	pid_t pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	for (uint32_t i = 0; i < n; i++) {
		ss_frame_build(buf, FRAME_LEN, to->mac, from->mac, SEQ0 + i);
		if (ss_send_frame(from->c, buf, FRAME_LEN) != 0)
			_exit(1);
	}
	_exit(0);
}

static void reap(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the sender could not send every frame (status %#x)", status);
}

Test(backpressure, slow_receiver_gets_every_frame)
{
	const uint32_t n = 20000; /* 20 MB through a 64-frame queue */
	struct itest_sta s[2];
	struct itest_sw sw;
	pid_t pid;

	/* A bound far above anything a loaded machine causes: this test is
	 * about the throttle, not its timeout. */
	start(&sw, 60000);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	pid = spawn_sender(&s[0], &s[1], n);
	for (uint32_t i = 0; i < n; i++) {
		itest_expect(&s[1], s[1].mac, &s[0], SEQ0 + i, FRAME_LEN);
		if (i % 500 == 0)
			usleep(5000); /* a slow reader */
	}
	reap(pid);
	cr_assert_eq(itest_stat(&sw, s[1].port, "drop_tx_queue_full"), 0);
	cr_assert_gt(itest_stat(&sw, s[0].port, "throttled"), 0,
		     "the sender must have been throttled");
	cr_assert_eq(itest_stat(&sw, s[0].port, "throttle_timeouts"), 0);
	itest_stop(&sw);
}

Test(backpressure, receiver_that_never_reads_holds_its_sender_only_briefly)
{
	const uint32_t n = 3000;
	struct itest_sta s[2], r, *a = &s[0], *b = &s[1];
	struct itest_sw sw;
	uint32_t seq = 1000000;
	int64_t t0, took;

	start(&sw, 200);
	itest_join(&sw, s, 2);
	itest_join_one(&sw, &r, NULL, "R", 9, 4096);
	itest_learn_all(s, 2, 1);
	itest_send(&r, itest_bcast, 1, 60); /* R is learned, then never reads */
	itest_expect(a, itest_bcast, &r, 1, 60);
	itest_expect(b, itest_bcast, &r, 1, 60);

	t0 = ss_now_ms();
	for (uint32_t i = 0; i < n; i++) {
		itest_send(a, r.mac, SEQ0 + i, FRAME_LEN);
		if (i % 500 == 499) { /* A's frames to B still go through */
			itest_send(a, b->mac, seq, 80);
			itest_expect(b, b->mac, a, seq++, 80);
		}
	}
	took = ss_now_ms() - t0;
	cr_log_info("%u frames to a stuck receiver in %lld ms", n,
		    (long long)took);
	/* Liveness, not speed: without the bound A would wait forever. */
	cr_assert_lt(took, 60000);
	cr_assert_gt(itest_stat(&sw, r.port, "drop_tx_queue_full"), 0,
		     "R never reads: its frames must drop, counted");
	cr_assert_geq(itest_stat(&sw, a->port, "throttled"), 1);
	cr_assert_eq(itest_stat(&sw, a->port, "throttle_timeouts"), 1,
		     "after one timeout nobody waits for R again");
	/* B, never throttled, still talks to A. */
	itest_send(b, a->mac, seq, 80);
	itest_skip_to_seq(a, seq);
	cr_assert_eq(itest_stat(&sw, b->port, "throttled"), 0);
	itest_stop(&sw);
}

/* Through an outbound connection: A on switch P, R (slow) on switch S,
 * which dials P. S throttles its uplink port, P then throttles A. */
Test(backpressure, slow_receiver_behind_a_connect_uplink_gets_every_frame)
{
	const uint32_t n = 10000;
	struct itest_sw p, s;
	struct itest_sta a, r;
	char line[1024], up[400];
	long long uplink;
	size_t pos = 0;
	pid_t pid;

	start(&p, 60000);
	start_connect(&s, 60000, p.url);
	snprintf(up, sizeof(up), "(connect %s) up", p.url);
	cr_assert_eq(ss_daemon_wait_log(s.d, &pos, up, line, sizeof(line),
					SS_TIMEOUT_MS),
		     0, "S did not connect to P");
	cr_assert_not_null(strstr(line, "port "), "`%s'", line);
	cr_assert_eq(sscanf(strstr(line, "port "), "port %lld", &uplink), 1,
		     "no port number in `%s'", line);
	itest_join_one(&p, &a, NULL, "A", 1, 0);
	itest_join_one(&s, &r, NULL, "R", 2, 0);
	itest_send(&a, itest_bcast, 1, 80);
	itest_expect(&r, itest_bcast, &a, 1, 80);
	itest_send(&r, itest_bcast, 2, 80);
	itest_expect(&a, itest_bcast, &r, 2, 80);
	pid = spawn_sender(&a, &r, n);
	for (uint32_t i = 0; i < n; i++) {
		itest_expect(&r, r.mac, &a, SEQ0 + i, FRAME_LEN);
		if (i % 500 == 0)
			usleep(5000);
	}
	reap(pid);
	cr_assert_eq(itest_stat(&s, r.port, "drop_tx_queue_full"), 0);
	cr_assert_gt(itest_stat(&s, (int)uplink, "throttled"), 0,
		     "S must have throttled its uplink port %lld", uplink);
	itest_stop(&s);
	itest_stop(&p);
}

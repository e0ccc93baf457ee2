// SPDX-License-Identifier: MIT
/*
 * test_capture.c - packet capture started at run time, read by tcpdump
 *
 * A daemon runs with a control socket; the test starts captures with
 * capture-start while stations send known frames, ends them, and reads
 * the files back with the real `tcpdump -r FILE -nn -e'. Checked: a
 * per-port capture holds exactly that port's frames, both ways; a BPF
 * filter restricts it; max-frames ends it; a FIFO read live by tcpdump
 * works; a FIFO reader that never reads costs dropped records, not
 * forwarding (the capture is stalled, and records again once the reader
 * catches up), and its going away ends the capture; all captures'
 * buffers stay within --capture-budget. ctest skips (77) the
 * whole suite where tcpdump is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "iproc.h"
#include "itest.h"

TestSuite(capture, .fini = ss_cleanup, .timeout = 90);

#define TOOL_TIMEOUT_MS 20000
#define MAX_PKTS 64

static const char *const ctl_args[] = { "--control", "@DIR@/ctl.sock", NULL };

/* One control request on a new connection; the reply line (malloc'd). */
static char *ctl(struct itest_sw *sw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *ctl(struct itest_sw *sw, const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	char req[2048], path[300], *reply = calloc(1, 65536), *nl;
	size_t len = 0;
	va_list ap;
	int fd, n;

	cr_assert_not_null(reply);
	va_start(ap, fmt);
	n = vsnprintf(req, sizeof(req) - 1, fmt, ap);
	va_end(ap);
	req[n++] = '\n';
	snprintf(path, sizeof(path), "%s/ctl.sock", sw->d->dir);
	cr_assert_lt(strlen(path), sizeof(sa.sun_path), "%s: too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0 &&
			  connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		  "connect %s: %s", sa.sun_path, strerror(errno));
	cr_assert_eq(write(fd, req, (size_t)n), n, "write: %s",
		     strerror(errno));
	/* The greeting line, then the reply line. */
	while (!(nl = memchr(reply, '\n', len)) ||
	       !memchr(nl + 1, '\n', len - (size_t)(nl + 1 - reply))) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		cr_assert_gt(poll(&pfd, 1, (int)(deadline - ss_now_ms())), 0,
			     "no reply to %s", req);
		cr_assert_lt(len, 65535, "reply too long");
		r = read(fd, reply + len, 65535 - len);
		cr_assert_gt(r, 0, "control socket closed on %s", req);
		len += (size_t)r;
	}
	close(fd);
	memmove(reply, nl + 1, len - (size_t)(nl + 1 - reply) + 1);
	return reply;
}

/* The integer after "key": in @json, or -1. */
static long long json_num(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(json, k);
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

/* capture-start with @args (a JSON object's members); its id. */
static int cap_start(struct itest_sw *sw, const char *args)
{
	char *r =
		ctl(sw, "{\"execute\": \"capture-start\", \"arguments\": {%s}}",
		    args);
	int id;

	cr_assert_not_null(strstr(r, "\"return\""), "capture-start {%s}: %s",
			   args, r);
	id = (int)json_num(r, "id");
	free(r);
	cr_assert_gt(id, 0);
	return id;
}

/* Wait for the `capture ID ... ended: ...' log line; return it. */
static void cap_wait_end(struct itest_sw *sw, int id, char *line, size_t len)
{
	char needle[64];
	int ret;

	snprintf(needle, sizeof(needle), "capture %d (port ", id);
	do {
		ret = ss_daemon_wait_log(sw->d, &sw->pos, needle, line, len,
					 SS_TIMEOUT_MS);
		if (ret < 0)
			itest_dump_log(sw->d);
		cr_assert_eq(ret, 0, "no `%s... ended' log line", needle);
	} while (!strstr(line, " ended: "));
}

static void cap_stop(struct itest_sw *sw, int id)
{
	char *r = ctl(
		sw,
		"{\"execute\": \"capture-stop\", \"arguments\": {\"id\": %d}}",
		id);
	char line[1024];

	cr_assert_not_null(strstr(r, "\"stopped\":1"), "capture-stop: %s", r);
	free(r);
	cap_wait_end(sw, id, line, sizeof(line));
}

/* query-ports shows whether @port is being captured. */
static void expect_port_capture(struct itest_sw *sw, int port, bool on)
{
	char *r = ctl(
		sw,
		"{\"execute\": \"query-ports\", \"arguments\": {\"port\": %d}}",
		port);

	cr_expect_not_null(
		strstr(r, on ? "\"capture\":true" : "\"capture\":false"),
		"port %d should%s be captured: %s", port, on ? "" : " not", r);
	free(r);
}

/**
 * struct pkt - one packet as tcpdump -e printed it
 * @src:	source MAC
 * @dst:	destination MAC
 * @len:	frame length
 */
struct pkt {
	char src[18];
	char dst[18];
	int len;
};

/* tcpdump -r @file -nn -e [@filter]: the packets it printed. */
static size_t tcpdump(struct itest_sw *sw, const char *file, struct pkt *pk)
{
	const char *argv[] = { "tcpdump", "-r", file, "-nn", "-e", NULL };
	char out[512], *text, *line, *save = NULL;
	size_t n = 0;
	int rc;

	snprintf(out, sizeof(out), "%s/tcpdump.txt", sw->d->dir);
	rc = iproc_run(argv, NULL, out, TOOL_TIMEOUT_MS);
	text = iproc_read(out);
	cr_assert_not_null(text);
	cr_assert_eq(rc, 0, "tcpdump -r %s failed (%d):\n%s", file, rc, text);
	cr_assert_not_null(strstr(text, "link-type EN10MB (Ethernet)"),
			   "not an Ethernet pcap:\n%s", text);
	for (line = strtok_r(text, "\n", &save); line && n < MAX_PKTS;
	     line = strtok_r(NULL, "\n", &save)) {
		/* 04:08:49.493095 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff,
		 * ethertype Unknown (0x88b5), length 64: */
		if (line[0] == '\t' || line[0] == ' ' || !strstr(line, " > "))
			continue;
		if (sscanf(line, "%*s %17s > %17[^,], %*[^)]), length %d",
			   pk[n].src, pk[n].dst, &pk[n].len) == 3)
			n++;
	}
	free(text);
	return n;
}

static void mac_str(const uint8_t *m, char *out)
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

static void expect_pkt(const struct pkt *p, size_t i, const uint8_t *src,
		       const uint8_t *dst, int len)
{
	char s[18], d[18];

	mac_str(src, s);
	mac_str(dst, d);
	cr_expect(!strcmp(p[i].src, s) && !strcmp(p[i].dst, d) &&
			  p[i].len == len,
		  "packet %zu: %s > %s length %d, expected %s > %s length %d",
		  i, p[i].src, p[i].dst, p[i].len, s, d, len);
}

Test(capture, port_capture_started_at_run_time_holds_that_port_both_ways)
{
	struct pkt pk[MAX_PKTS];
	struct itest_sta s[3];
	struct itest_sw sw;
	char file[512], args[1024];
	size_t n;
	int id;

	itest_start_learned(&sw, TP_UNIX, ctl_args, s,
			    3); /* before the capture: not in it */
	snprintf(file, sizeof(file), "%s/b.pcap", sw.d->dir);
	snprintf(args, sizeof(args), "\"port\": %d, \"file\": \"%s\"",
		 s[1].port, file);
	id = cap_start(&sw, args);
	expect_port_capture(&sw, s[1].port, true);
	expect_port_capture(&sw, s[0].port, false);

	for (uint32_t i = 0; i < 3; i++)
		itest_unicast(&s[0], &s[1], 10 + i, 100 + i);
	itest_unicast(&s[1], &s[0], 20, 200);
	itest_unicast(&s[0], &s[2], 30, 300); /* not B's */
	itest_flood(s, 3, 2, 40, 64);
	cap_stop(&sw, id);
	expect_port_capture(&sw, s[1].port, false);

	n = tcpdump(&sw, file, pk);
	cr_assert_eq(n, 5, "B's capture should hold 5 frames, has %zu", n);
	expect_pkt(pk, 0, s[0].mac, s[1].mac, 100);
	expect_pkt(pk, 1, s[0].mac, s[1].mac, 101);
	expect_pkt(pk, 2, s[0].mac, s[1].mac, 102);
	expect_pkt(pk, 3, s[1].mac, s[0].mac, 200);
	expect_pkt(pk, 4, s[2].mac, itest_bcast, 64);
	itest_stop(&sw);
}

/* A capture file is never opened through a symbolic link: the file the
 * link points at is not truncated, and the error says why. */
Test(capture, symlink_capture_file_is_refused)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char target[512], link_path[512], args[1200];
	struct stat st;
	char *r;
	FILE *f;

	itest_start_learned(&sw, TP_UNIX, ctl_args, s, 2);
	snprintf(target, sizeof(target), "%s/precious.txt", sw.d->dir);
	snprintf(link_path, sizeof(link_path), "%s/cap.pcap", sw.d->dir);
	f = fopen(target, "w");
	cr_assert_not_null(f);
	fputs("keep me\n", f);
	fclose(f);
	cr_assert_eq(symlink(target, link_path), 0, "%s", strerror(errno));
	snprintf(args, sizeof(args),
		 "{\"execute\": \"capture-start\", \"arguments\": "
		 "{\"port\": %d, \"file\": \"%s\"}}",
		 s[0].port, link_path);
	r = ctl(&sw, "%s", args);
	cr_assert_not_null(strstr(r, "symbolic link"), "%s", r);
	cr_assert_null(strstr(r, "\"return\""), "%s", r);
	free(r);
	cr_assert_eq(stat(target, &st), 0);
	cr_assert_eq(st.st_size, 8, "the link's target is untouched");
	itest_ping(&s[0], &s[1], 1);
	itest_stop(&sw);
}

Test(capture, bpf_filter_restricts_a_whole_switch_capture)
{
	struct pkt pk[MAX_PKTS];
	struct itest_sta s[3];
	struct itest_sw sw;
	char file[512], args[1024], mac[18], *r;
	size_t n;
	int id;

	itest_start_learned(&sw, TP_UNIX, ctl_args, s, 3);
	snprintf(file, sizeof(file), "%s/a.pcap", sw.d->dir);
	mac_str(s[0].mac, mac);
	snprintf(
		args, sizeof(args),
		"\"port\": \"all\", \"file\": \"%s\", \"filter\": \"ether src %s\"",
		file, mac);
	id = cap_start(&sw, args);

	itest_unicast(&s[0], &s[1], 10, 100);
	itest_unicast(&s[1], &s[0], 11, 110);
	itest_flood(s, 3, 2, 12, 120);
	itest_flood(s, 3, 0, 13, 130);

	r = ctl(&sw, "{\"execute\": \"query-captures\"}");
	cr_expect_eq(json_num(r, "filtered"), 2, "filtered out: %s", r);
	cr_expect_eq(json_num(r, "frames"), 2, "%s", r);
	free(r);
	cap_stop(&sw, id);

	n = tcpdump(&sw, file, pk);
	cr_assert_eq(n, 2, "only A's 2 frames should pass, got %zu", n);
	expect_pkt(pk, 0, s[0].mac, s[1].mac, 100);
	expect_pkt(pk, 1, s[0].mac, itest_bcast, 130);

	r = ctl(&sw,
		"{\"execute\": \"capture-start\", \"arguments\": "
		"{\"port\": \"all\", \"file\": \"%s\", \"filter\": \"ether nonsense((\"}}",
		file);
	cr_expect_not_null(strstr(r, "\"error\""), "a bad filter: %s", r);
	cr_expect_not_null(strstr(r, "filter"), "%s", r);
	free(r);
	itest_stop(&sw);
}

Test(capture, max_frames_ends_the_capture)
{
	struct pkt pk[MAX_PKTS];
	struct itest_sta s[2];
	struct itest_sw sw;
	char file[512], args[1024], line[1024], *r;
	size_t n;
	int id;

	itest_start_learned(&sw, TP_UNIX, ctl_args, s, 2);
	snprintf(file, sizeof(file), "%s/m.pcap", sw.d->dir);
	snprintf(args, sizeof(args),
		 "\"port\": \"p%d\", \"file\": \"%s\", \"max-frames\": 3",
		 s[0].port, file);
	id = cap_start(&sw, args);
	for (uint32_t i = 0; i < 6; i++)
		itest_unicast(&s[0], &s[1], 10 + i, 90);
	cap_wait_end(&sw, id, line, sizeof(line));
	cr_expect_not_null(strstr(line, "max-frames reached"), "%s", line);
	r = ctl(&sw, "{\"execute\": \"query-captures\"}");
	cr_expect_not_null(strstr(r, "\"return\":[]"), "it should be gone: %s",
			   r);
	free(r);
	n = tcpdump(&sw, file, pk);
	cr_assert_eq(n, 3, "max-frames 3: %zu frames in the file", n);
	itest_stop(&sw);
}

Test(capture, tcpdump_reads_a_fifo_live)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char fifo[512], out[512], args[1024], *r, *text;
	const char *argv[] = { "tcpdump", "-r", fifo, "-nn",
			       "-e",	  "-c", "3",  NULL };
	int64_t deadline;
	pid_t pid;
	int rc;

	itest_start_learned(&sw, TP_UNIX, ctl_args, s, 2);
	snprintf(fifo, sizeof(fifo), "%s/live.fifo", sw.d->dir);
	snprintf(out, sizeof(out), "%s/live.txt", sw.d->dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
	pid = iproc_spawn(argv, NULL, out);
	cr_assert_gt(pid, 0);
	/* tcpdump opens the FIFO when it gets to it: until then the
	 * switch refuses a FIFO without a reader. */
	snprintf(args, sizeof(args), "\"port\": \"all\", \"file\": \"%s\"",
		 fifo);
	deadline = ss_now_ms() + SS_TIMEOUT_MS;
	for (;;) {
		r = ctl(&sw,
			"{\"execute\": \"capture-start\", \"arguments\": {%s}}",
			args);
		if (strstr(r, "\"return\""))
			break;
		cr_assert_not_null(strstr(r, "no reader"), "%s", r);
		cr_assert_lt(ss_now_ms(), deadline, "tcpdump never opened %s",
			     fifo);
		free(r);
		usleep(20000);
	}
	free(r);
	for (uint32_t i = 0; i < 3; i++)
		itest_unicast(&s[0], &s[1], 10 + i, 70 + i);
	rc = iproc_wait(pid, TOOL_TIMEOUT_MS);
	text = iproc_read(out);
	cr_assert_eq(rc, 0, "tcpdump -c 3 on the FIFO (%d):\n%s", rc,
		     text ? text : "");
	cr_expect_not_null(strstr(text, "length 70"), "%s", text);
	cr_expect_not_null(strstr(text, "length 72"), "%s", text);
	free(text);
	/* The reader is gone: the next record ends the capture. */
	itest_unicast(&s[0], &s[1], 20, 80);
	{
		char line[1024];

		cap_wait_end(&sw, 1, line, sizeof(line));
		cr_expect_not_null(strstr(line, "reader went away"), "%s",
				   line);
	}
	itest_ping(&s[0], &s[1], 30);
	itest_stop(&sw);
}

/* A reader that opens the FIFO and never reads: the pipe and the
 * capture buffer fill, records are dropped and counted, and forwarding
 * goes on at full speed. Closing the reader ends the capture. */
/**
 * stuck_capture() - a whole-switch capture into a FIFO nobody reads
 * @sw:		started here, two stations learned
 * @s:		the stations
 * @rd:		set to the FIFO's (unread) reading end
 * @frames:	set to the frames recorded
 * @dropped:	set to the frames dropped
 *
 * 400 frames of 1000 bytes go from s[0] to s[1]: far more than a 64 KiB
 * pipe plus the capture's 64 KiB buffer. Every one is forwarded (the
 * stations check it), and recorded or counted as dropped.
 *
 * Return: the capture's id
 */
static int stuck_capture(struct itest_sw *sw, struct itest_sta s[2], int *rd,
			 long long *frames, long long *dropped)
{
	char fifo[512], args[1024], *r;
	int id;

	itest_start_learned(sw, TP_UNIX, ctl_args, s, 2);
	snprintf(fifo, sizeof(fifo), "%s/stuck.fifo", sw->d->dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
	*rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(*rd, 0, "open %s: %s", fifo, strerror(errno));
	snprintf(args, sizeof(args),
		 "\"port\": \"all\", \"file\": \"%s\", \"buffer\": 65536",
		 fifo);
	id = cap_start(sw, args);
	for (uint32_t i = 0; i < 400; i++)
		itest_unicast(&s[0], &s[1], 100 + i, 1000);
	r = ctl(sw, "{\"execute\": \"query-captures\"}");
	*dropped = json_num(r, "dropped");
	*frames = json_num(r, "frames");
	cr_expect_gt(*dropped, 0, "a stuck reader must cost drops: %s", r);
	cr_expect_eq(*dropped + *frames, 400,
		     "every frame written or dropped: %s", r);
	cr_expect_not_null(strstr(r, "\"stalled\":true"), "%s", r);
	free(r);
	return id;
}

Test(capture, stuck_fifo_reader_costs_capture_drops_not_forwarding)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char line[1024];
	long long dropped, frames;
	int rd, id;

	id = stuck_capture(&sw, s, &rd, &frames, &dropped);
	close(rd);
	itest_unicast(&s[0], &s[1], 600, 100);
	cap_wait_end(&sw, id, line, sizeof(line));
	cr_expect_not_null(strstr(line, "reader went away"), "%s", line);
	itest_ping(&s[0], &s[1], 700);
	itest_stop(&sw);
}

Test(capture, capture_ends_when_its_port_closes)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char file[512], args[1024], line[1024];
	int id;

	itest_start(&sw, TP_UNIX, ctl_args);
	itest_join(&sw, s, 2);
	snprintf(file, sizeof(file), "%s/c.pcap", sw.d->dir);
	snprintf(args, sizeof(args), "\"port\": %d, \"file\": \"%s\"",
		 s[1].port, file);
	id = cap_start(&sw, args);
	ss_client_close(s[1].c);
	s[1].c = NULL;
	cap_wait_end(&sw, id, line, sizeof(line));
	cr_expect_not_null(strstr(line, "port closed"), "%s", line);
	itest_stop(&sw);
}

/* snaplen 20 keeps 20 bytes of each frame; max-bytes ends the capture
 * before the file would pass it, on a whole record. */
Test(capture, snaplen_and_max_bytes)
{
	struct pkt pk[MAX_PKTS];
	struct itest_sta s[2];
	struct itest_sw sw;
	char file[512], args[1024], line[1024];
	struct stat st;
	size_t n;
	int id;

	itest_start_learned(&sw, TP_UNIX, ctl_args, s, 2);
	snprintf(file, sizeof(file), "%s/s.pcap", sw.d->dir);
	/* 24-byte file header + 3 records of 16 + 20 bytes = 132 */
	snprintf(args, sizeof(args),
		 "\"port\": \"all\", \"file\": \"%s\", \"snaplen\": 20, "
		 "\"max-bytes\": 140",
		 file);
	id = cap_start(&sw, args);
	for (uint32_t i = 0; i < 5; i++)
		itest_unicast(&s[0], &s[1], 10 + i, 90);
	cap_wait_end(&sw, id, line, sizeof(line));
	cr_expect_not_null(strstr(line, "max-bytes reached"), "%s", line);
	cr_assert_eq(stat(file, &st), 0);
	cr_expect_eq(st.st_size, 132, "file size %lld, expected 132",
		     (long long)st.st_size);
	n = tcpdump(&sw, file, pk);
	cr_assert_eq(n, 3, "%zu frames", n);
	expect_pkt(pk, 2, s[0].mac, s[1].mac, 90);
	itest_stop(&sw);
}

/* --capture starts a whole-switch capture with the daemon. */
Test(capture, capture_flag_at_start_up)
{
	static const char *const extra[] = {
		"--capture", "port=all,file=@DIR@/start.pcap,max-frames=2",
		"--control", "none", NULL
	};
	struct pkt pk[MAX_PKTS];
	struct itest_sta s[2];
	struct itest_sw sw;
	char file[512], line[1024];
	size_t n;

	itest_start(&sw, TP_UNIX, extra);
	snprintf(file, sizeof(file), "%s/start.pcap", sw.d->dir);
	itest_join(&sw, s, 2);
	itest_learn_all(s, 2, 1);
	itest_ping(&s[0], &s[1], 3);
	cap_wait_end(&sw, 1, line, sizeof(line));
	cr_expect_not_null(strstr(line, "max-frames reached"), "%s", line);
	n = tcpdump(&sw, file, pk);
	cr_assert_eq(n, 2, "%zu frames", n);
	expect_pkt(pk, 0, s[0].mac, itest_bcast, 64);
	expect_pkt(pk, 1, s[1].mac, itest_bcast, 64);
	itest_stop(&sw);
}

/* capture-start with @args fails, and the message has @want in it. */
static void cap_refused(struct itest_sw *sw, const char *args, const char *want)
{
	char *r =
		ctl(sw, "{\"execute\": \"capture-start\", \"arguments\": {%s}}",
		    args);

	cr_expect_not_null(strstr(r, "\"error\""), "{%s}: %s", args, r);
	cr_expect_not_null(strstr(r, want), "{%s}: %s", args, r);
	free(r);
}

/* All captures' buffers together stay within --capture-budget: a capture
 * that does not fit is refused and says why; one ending makes room. */
Test(capture, capture_buffers_are_bounded_together)
{
	static const char *const args[] = { "--control", "@DIR@/ctl.sock",
					    "--capture-budget", "1048576",
					    NULL };
	struct itest_sw sw;
	char file[512], a[1024], *r;
	int id1, id2;

	itest_start(&sw, TP_UNIX, args);
	snprintf(file, sizeof(file), "%s/b.pcap", sw.d->dir);
	snprintf(a, sizeof(a),
		 "\"port\": \"all\", \"file\": \"%s1\", \"buffer\": 524288",
		 file);
	id1 = cap_start(&sw, a);
	snprintf(a, sizeof(a),
		 "\"port\": \"all\", \"file\": \"%s2\", \"buffer\": 524288",
		 file);
	id2 = cap_start(&sw, a);
	r = ctl(&sw, "{\"execute\": \"query-status\"}");
	cr_expect_eq(json_num(r, "capture_buffers"), 1048576, "%s", r);
	cr_expect_eq(json_num(r, "capture_budget"), 1048576, "%s", r);
	free(r);
	snprintf(a, sizeof(a),
		 "\"port\": \"all\", \"file\": \"%s3\", \"buffer\": 4096",
		 file);
	cap_refused(&sw, a, "does not fit");
	snprintf(a, sizeof(a),
		 "\"port\": \"all\", \"file\": \"%s4\", \"buffer\": 268435457",
		 file);
	cap_refused(&sw, a, "buffer");
	cap_stop(&sw, id1);
	snprintf(a, sizeof(a),
		 "\"port\": \"all\", \"file\": \"%s3\", \"buffer\": 4096",
		 file);
	cap_stop(&sw, cap_start(&sw, a));
	cap_stop(&sw, id2);
	itest_stop(&sw);
}

/* A capture whose reader stops is stalled once its buffer is full: it
 * only counts what it misses, and records again once the reader has
 * taken half of the buffer. Forwarding never waits for it. */
Test(capture, stalled_capture_counts_misses_and_resumes)
{
	struct itest_sta s[2];
	struct itest_sw sw;
	char buf[65536], *r;
	long long dropped, frames;
	int rd, id, tries;

	id = stuck_capture(&sw, s, &rd, &frames, &dropped);
	/* The reader catches up: the capture records again. */
	for (tries = 0; tries < 200; tries++) {
		while (read(rd, buf, sizeof(buf)) > 0)
			;
		r = ctl(&sw, "{\"execute\": \"query-captures\"}");
		if (strstr(r, "\"stalled\":false")) {
			free(r);
			break;
		}
		free(r);
		usleep(10000);
	}
	cr_assert_lt(tries, 200, "the capture stayed stalled");
	itest_unicast(&s[0], &s[1], 600, 100);
	r = ctl(&sw, "{\"execute\": \"query-captures\"}");
	cr_expect_eq(json_num(r, "frames"), frames + 1, "%s", r);
	cr_expect_eq(json_num(r, "dropped"), dropped, "%s", r);
	free(r);
	close(rd); /* the reader goes away: the next record ends it */
	itest_unicast(&s[0], &s[1], 601, 100);
	cap_wait_end(&sw, id, buf, sizeof(buf));
	itest_stop(&sw);
}

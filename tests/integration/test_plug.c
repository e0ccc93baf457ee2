// SPDX-License-Identifier: MIT
/*
 * test_plug.c - sockswitch-plug against real peers
 *
 * The real daemon ($SOCKSWITCH_BIN), the real plug ($SOCKSWITCH_PLUG_BIN),
 * Debian's real vde_switch, vde_plug and dpipe. Stations are stream
 * clients on a sockswitch, or processes whose stdin/stdout carry framed
 * frames (vde_plug: 2-byte length, sockswitch-plug -: 4-byte length).
 * Every process is started here, recorded, and killed by its pid (its own
 * process group, so dpipe's children go too).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "itest.h"

#define MAX_PROCS 16
#define FLEN 100 /* vde_switch pads shorter frames to 60 */

/**
 * struct proc - a process started by a test
 * @pid:	its pid (leader of its own process group), -1 once reaped
 * @in:		write end of its stdin, or -1
 * @out:	read end of its stdout, or -1
 * @err:	file holding its stderr
 * @hdr:	length prefix on its stdin/stdout: 2 or 4
 * @buf:	bytes read from @out not yet handed out
 * @len:	bytes in @buf
 * @status:	wait status
 */
struct proc {
	pid_t pid;
	int in;
	int out;
	char err[300];
	unsigned int hdr;
	uint8_t buf[2 * SS_FRAME_LIMIT];
	size_t len;
	int status;
};

static struct proc *procs[MAX_PROCS];
static char tdir[256];

static void procs_cleanup(void)
{
	for (size_t i = 0; i < MAX_PROCS; i++) {
		struct proc *p = procs[i];

		if (!p)
			continue;
		if (p->pid > 0) {
			kill(-p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		if (p->in >= 0)
			close(p->in);
		if (p->out >= 0)
			close(p->out);
		free(p);
		procs[i] = NULL;
	}
	ss_cleanup();
}

TestSuite(plug, .fini = procs_cleanup, .timeout = 90);

static const char *plug_bin(void)
{
	const char *b = getenv("SOCKSWITCH_PLUG_BIN");

	cr_assert(b && *b, "SOCKSWITCH_PLUG_BIN is not set");
	return b;
}

static void need(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0)
		cr_skip_test("%s is not installed (Debian vde2/vdeplug)", tool);
}

/* A private directory for sockets, shared by the helpers of one test. */
static const char *test_dir(void)
{
	if (!tdir[0])
		snprintf(tdir, sizeof(tdir), "%s", ss_tmpdir());
	cr_assert(tdir[0], "no temporary directory");
	return tdir;
}

/*
 * spawn() - start argv with stdin/stdout on pipes (or /dev/null) and
 * stderr into a file of the test directory.
 */
static struct proc *spawn(const char *const *argv, bool pipes, unsigned int hdr)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 };
	struct proc *p = calloc(1, sizeof(*p));
	size_t slot = 0;

	cr_assert_not_null(p);
	while (slot < MAX_PROCS && procs[slot])
		slot++;
	cr_assert_lt(slot, MAX_PROCS, "too many processes");
	procs[slot] = p;
	p->in = p->out = -1;
	p->hdr = hdr;
	snprintf(p->err, sizeof(p->err), "%s/stderr.%zu", test_dir(), slot);
	if (pipes)
		cr_assert(pipe2(ip, O_CLOEXEC) == 0 &&
			  pipe2(op, O_CLOEXEC) == 0);
	fflush(NULL);
	p->pid = fork();
	cr_assert_geq(p->pid, 0, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int efd = open(p->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		setpgid(0, 0);
		dup2(pipes ? ip[0] : null, 0);
		dup2(pipes ? op[1] : null, 1);
		dup2(efd, 2);
		/* execvp() takes char *const[], it does not write. */
		char *const *av;

		memcpy(&av, &argv, sizeof(av));
		execvp(argv[0], av);
		_exit(127);
	}
	setpgid(p->pid, p->pid);
	if (pipes) {
		close(ip[0]);
		close(op[1]);
		p->in = ip[1];
		p->out = op[0];
		fcntl(p->out, F_SETFL, O_NONBLOCK);
	}
	return p;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* Wait until @p's stderr holds @needle at least @times times. */
static void wait_err(struct proc *p, const char *needle, size_t times)
{
	int64_t deadline = ss_now_ms() + 2 * SS_TIMEOUT_MS;

	while (count_str(slurp(p->err), needle) < times) {
		if (ss_now_ms() > deadline)
			cr_assert_fail("no `%s' (x%zu) on stderr:\n%s", needle,
				       times, slurp(p->err));
		usleep(20000);
	}
}

static bool proc_exited(struct proc *p, int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;

	while (p->pid > 0) {
		if (waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
			p->pid = -1;
			return true;
		}
		if (ss_now_ms() > deadline)
			return false;
		usleep(20000);
	}
	return true;
}

static void proc_term(struct proc *p)
{
	if (p->pid > 0)
		kill(-p->pid, SIGTERM);
	cr_assert(proc_exited(p, SS_TIMEOUT_MS), "pid %d ignored SIGTERM",
		  (int)p->pid);
}

static void pipe_write(struct proc *p, const void *buf, size_t len)
{
	ssize_t n = write(p->in, buf, len);

	cr_assert_eq(n, (ssize_t)len, "write to pid %d: %s", (int)p->pid,
		     strerror(errno));
}

static void pipe_send(struct proc *p, const uint8_t *src, const uint8_t *dst,
		      uint32_t seq)
{
	uint8_t buf[4 + FLEN];

	for (unsigned int i = 0; i < p->hdr; i++)
		buf[i] = (uint8_t)(FLEN >> (8 * (p->hdr - 1 - i)));
	ss_frame_build(buf + p->hdr, FLEN, dst, src, seq);
	pipe_write(p, buf, p->hdr + FLEN);
}

/* Next frame on the stdout of @p: 0 (frame in @f, @len) or -ETIMEDOUT. */
static int pipe_recv(struct proc *p, const uint8_t **f, size_t *len,
		     int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	static uint8_t frame[SS_FRAME_LIMIT];

	for (;;) {
		size_t flen = 0;
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };
		ssize_t n;
		int left;

		for (unsigned int i = 0; i < p->hdr && i < p->len; i++)
			flen = flen << 8 | p->buf[i];
		if (p->len >= p->hdr && p->len >= p->hdr + flen) {
			memcpy(frame, p->buf + p->hdr, flen);
			memmove(p->buf, p->buf + p->hdr + flen,
				p->len - p->hdr - flen);
			p->len -= p->hdr + flen;
			*f = frame;
			*len = flen;
			return 0;
		}
		left = (int)(deadline - ss_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -ETIMEDOUT;
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n <= 0)
			return -EPIPE;
		p->len += (size_t)n;
	}
}

static void pipe_expect(struct proc *p, const uint8_t *dst, const uint8_t *src,
			uint32_t seq)
{
	const uint8_t *f = NULL;
	size_t len = 0;
	int rc = pipe_recv(p, &f, &len, SS_TIMEOUT_MS);

	cr_assert_eq(rc, 0, "pid %d: expected frame %u: %s", (int)p->pid, seq,
		     strerror(-rc));
	cr_assert(len >= FLEN && ss_frame_check(f, FLEN, dst, src, seq),
		  "pid %d: expected frame %u, got seq %lld (%zu bytes)",
		  (int)p->pid, seq, (long long)ss_frame_seq(f, len), len);
}

static void sta_send(struct itest_sta *s, const uint8_t *dst, uint32_t seq)
{
	itest_send(s, dst, seq, FLEN);
}

/* Like itest_expect, but vde_switch may pad: accept len >= FLEN. */
static void sta_expect(struct itest_sta *s, const uint8_t *dst,
		       const uint8_t *src, uint32_t seq)
{
	const uint8_t *f = NULL;
	size_t len = 0;
	int rc = ss_recv_frame(s->c, &f, &len, SS_TIMEOUT_MS);

	cr_assert_eq(rc, 0, "%s: expected frame %u: %d", s->name, seq, rc);
	cr_assert(len >= FLEN && ss_frame_check(f, FLEN, dst, src, seq),
		  "%s: expected frame %u, got seq %lld", s->name, seq,
		  (long long)ss_frame_seq(f, len));
}

/* vde_switch in the foreground; its stdin is our pipe, held open. */
static struct proc *start_vde_switch(char *dir, size_t dirlen)
{
	const char *argv[] = { "vde_switch", "-s", dir, NULL };
	char ctl[300];
	struct stat st;
	struct proc *p;
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;

	need("vde_switch");
	snprintf(dir, dirlen, "%s/vde", test_dir());
	p = spawn(argv, true, 0);
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	while (stat(ctl, &st) != 0) {
		cr_assert(ss_now_ms() < deadline, "vde_switch: no %s:\n%s", ctl,
			  slurp(p->err));
		usleep(20000);
	}
	return p;
}

static void start_sw(struct itest_sw *sw)
{
	itest_start(sw, TP_UNIX, NULL);
}

/* Wait until a daemon logs one more port connection (the plug). */
static void wait_port(struct itest_sw *sw)
{
	char line[1024];
	int rc = ss_daemon_wait_log(sw->d, &sw->pos, LOG_CONNECTED, line,
				    sizeof(line), SS_TIMEOUT_MS);

	cr_assert_eq(rc, 0, "the plug did not connect to the daemon");
}

/* (a) sockswitch <-> vde_switch, PEER given as a vde:// URL. */
Test(plug, bridges_sockswitch_and_vde_switch)
{
	struct itest_sw sw;
	struct itest_sta a;
	char vdir[300], vurl[320];
	struct proc *vp, *plug;
	uint8_t vmac[SS_MAC_LEN];

	need("vde_plug");
	start_vde_switch(vdir, sizeof(vdir));
	start_sw(&sw);
	snprintf(vurl, sizeof(vurl), "vde://%s", vdir);
	{
		const char *argv[] = { plug_bin(), sw.url, vurl, NULL };

		plug = spawn(argv, false, 0);
	}
	wait_err(plug, "peer vde://", 1);
	wait_port(&sw);
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	{
		const char *argv[] = { "vde_plug", vurl, NULL };

		vp = spawn(argv, true, 2);
	}
	ss_mac(vmac, 2);
	/* vde side -> sockswitch side: broadcast, then unicast back and
	 * forth once both MACs are learned on both switches. */
	pipe_send(vp, vmac, itest_bcast, 1);
	sta_expect(&a, itest_bcast, vmac, 1);
	sta_send(&a, vmac, 2);
	pipe_expect(vp, vmac, a.mac, 2);
	sta_send(&a, itest_bcast, 3);
	pipe_expect(vp, itest_bcast, a.mac, 3);
	pipe_send(vp, vmac, a.mac, 4);
	sta_expect(&a, a.mac, vmac, 4);
	proc_term(plug);
	cr_assert(WIFEXITED(plug->status) && WEXITSTATUS(plug->status) == 0,
		  "plug: SIGTERM should exit 0 (status 0x%x)", plug->status);
	cr_assert(strstr(slurp(plug->err), "rx_frames=2"),
		  "plug stats should count 2 frames each way:\n%s",
		  slurp(plug->err));
}

/* SWITCH given as vde:DIR (libvdeplug client of vde_switch). */
Test(plug, switch_side_vde_dir)
{
	char vdir[300], sarg[320], vurl[320];
	struct proc *plug, *vp;
	uint8_t m1[SS_MAC_LEN], m2[SS_MAC_LEN];

	need("vde_plug");
	start_vde_switch(vdir, sizeof(vdir));
	snprintf(sarg, sizeof(sarg), "vde:%s", vdir);
	snprintf(vurl, sizeof(vurl), "vde://%s", vdir);
	{
		const char *argv[] = { plug_bin(),  "--description",
				       "plug-test", sarg,
				       "-",	    NULL };

		plug = spawn(argv, true, 4);
	}
	wait_err(plug, "switch vde:", 1);
	{
		const char *argv[] = { "vde_plug", vurl, NULL };

		vp = spawn(argv, true, 2);
	}
	ss_mac(m1, 1);
	ss_mac(m2, 2);
	pipe_send(vp, m2, itest_bcast, 1);
	pipe_expect(plug, itest_bcast, m2, 1);
	pipe_send(plug, m1, m2, 2);
	pipe_expect(vp, m2, m1, 2);
}

/* (b) two sockswitch instances joined by two plugs under dpipe. */
Test(plug, dpipe_joins_two_sockswitches)
{
	struct itest_sw s1, s2;
	struct itest_sta a, b;

	need("dpipe");
	start_sw(&s1);
	start_sw(&s2);
	{
		const char *argv[] = { "dpipe",	   plug_bin(), s1.url, "-", "=",
				       plug_bin(), s2.url,     "-",    NULL };

		spawn(argv, false, 0);
	}
	wait_port(&s1);
	wait_port(&s2);
	itest_join_one(&s1, &a, NULL, "A", 1, 0);
	itest_join_one(&s2, &b, NULL, "B", 2, 0);
	for (uint32_t seq = 1; seq <= 20; seq += 4) {
		sta_send(&a, itest_bcast, seq);
		sta_expect(&b, itest_bcast, a.mac, seq);
		sta_send(&b, itest_bcast, seq + 1);
		sta_expect(&a, itest_bcast, b.mac, seq + 1);
		sta_send(&a, b.mac, seq + 2);
		sta_expect(&b, b.mac, a.mac, seq + 2);
		sta_send(&b, a.mac, seq + 3);
		sta_expect(&a, a.mac, b.mac, seq + 3);
	}
}

/* (c) --vde-stream talks to real vde_plug: dpipe vde_plug = plug. */
Test(plug, vde_stream_interoperates_with_vde_plug)
{
	struct itest_sw sw;
	struct itest_sta a;
	char vdir[300], vurl[320];
	struct proc *vp;
	uint8_t vmac[SS_MAC_LEN];

	need("dpipe");
	need("vde_plug");
	start_vde_switch(vdir, sizeof(vdir));
	start_sw(&sw);
	snprintf(vurl, sizeof(vurl), "vde://%s", vdir);
	{
		const char *argv[] = { "dpipe", "vde_plug", vurl,
				       "=",	plug_bin(), "--vde-stream",
				       sw.url,	"-",	    NULL };

		spawn(argv, false, 0);
	}
	wait_port(&sw);
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	{
		const char *argv[] = { "vde_plug", vurl, NULL };

		vp = spawn(argv, true, 2);
	}
	ss_mac(vmac, 2);
	/* The dpipe'd vde_plug may attach to vde_switch after this one: try
	 * the first broadcast until it crosses. */
	for (uint32_t seq = 1;; seq++) {
		const uint8_t *f;
		size_t len = 0;

		cr_assert_lt(seq, 50, "no frame crossed vde_switch -> plug");
		pipe_send(vp, vmac, itest_bcast, seq);
		if (ss_recv_frame(a.c, &f, &len, 200) == 0) {
			cr_assert(ss_frame_check(f, FLEN, itest_bcast, vmac,
						 seq));
			break;
		}
	}
	sta_send(&a, vmac, 100);
	pipe_expect(vp, vmac, a.mac, 100);
}

/* (d) --reconnect: the daemon restarts on the same path, the plug
 * attaches again and frames cross again; without it the plug exits 1. */
Test(plug, reconnects_after_switch_restart)
{
	struct itest_sw sw;
	struct itest_sta a;
	char path[300], listen[320];
	const char *args[] = { "--listen", listen, NULL };
	struct proc *plug, *once;
	uint8_t pm[SS_MAC_LEN];

	snprintf(path, sizeof(path), "%s/sw.sock", test_dir());
	snprintf(listen, sizeof(listen), "unix:%s", path);
	memset(&sw, 0, sizeof(sw));
	sw.d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert(sw.d && sw.d->ready, "daemon did not start");
	sw.url = listen;
	{
		const char *argv[] = { plug_bin(), "--reconnect", listen, "-",
				       NULL };
		const char *argv1[] = { plug_bin(), listen, "-", NULL };

		plug = spawn(argv, true, 4);
		once = spawn(argv1, true, 4);
	}
	wait_port(&sw);
	wait_port(&sw);
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	ss_mac(pm, 2);
	pipe_send(plug, pm, itest_bcast, 1);
	sta_expect(&a, itest_bcast, pm, 1);
	pipe_expect(once, itest_bcast, pm, 1);

	cr_assert_eq(ss_daemon_stop(sw.d, SS_TIMEOUT_MS), 0);
	ss_client_close(a.c);
	wait_err(plug, "connection lost", 1);
	cr_assert(proc_exited(once, SS_TIMEOUT_MS),
		  "plug without --reconnect should exit");
	cr_assert(WIFEXITED(once->status) && WEXITSTATUS(once->status) == 1,
		  "exit status 1 expected (0x%x)", once->status);
	cr_assert(strstr(slurp(once->err), "--reconnect"),
		  "the message should say what to do:\n%s", slurp(once->err));

	sw.d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert(sw.d && sw.d->ready, "daemon did not restart");
	sw.pos = 0;
	wait_port(&sw);
	wait_err(plug, ": connected", 2);
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	pipe_send(plug, pm, itest_bcast, 2);
	sta_expect(&a, itest_bcast, pm, 2);
	sta_send(&a, pm, 3);
	pipe_expect(plug, pm, a.mac, 3);
}

/* (e) runt, oversize and garbage lengths on stdin. */
Test(plug, bad_lengths_on_stdin_are_counted)
{
	struct itest_sw sw;
	struct itest_sta a;
	struct proc *plug;
	uint8_t pm[SS_MAC_LEN], hdr[4], *junk;
	const char *err;

	start_sw(&sw);
	{
		const char *argv[] = { plug_bin(), "-v", sw.url, "-", NULL };

		plug = spawn(argv, true, 4);
	}
	wait_port(&sw);
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	ss_mac(pm, 2);
	/* a 5-byte runt: dropped, the stream stays in step */
	pipe_write(plug, "\0\0\0\5hello", 9);
	/* 66000 > --max-frame 65550 but within any peer's limit: skipped */
	junk = calloc(1, 66000);
	cr_assert_not_null(junk);
	hdr[0] = 0;
	hdr[1] = 66000 >> 16;
	hdr[2] = (66000 >> 8) & 0xff;
	hdr[3] = 66000 & 0xff;
	pipe_write(plug, hdr, 4);
	pipe_write(plug, junk, 66000);
	free(junk);
	pipe_send(plug, pm, itest_bcast, 1);
	sta_expect(&a, itest_bcast, pm, 1);
	/* a length no peer takes: garbage, the plug exits 1 */
	pipe_write(plug, "\x7f\xff\xff\xff", 4);
	cr_assert(proc_exited(plug, SS_TIMEOUT_MS), "plug should exit");
	cr_assert(WIFEXITED(plug->status) && WEXITSTATUS(plug->status) == 1,
		  "exit status 1 expected (0x%x)", plug->status);
	err = slurp(plug->err);
	cr_assert(strstr(err, "garbage"), "%s", err);
	cr_assert(strstr(err, "drop_rx_runt=1 drop_rx_oversize=2"),
		  "one runt and two oversize drops expected:\n%s", err);
	cr_assert(strstr(err, "rx_frames=1 "), "%s", err);
	/* the daemon carries on */
	sta_send(&a, itest_bcast, 2);
	cr_assert_eq(kill(sw.d->pid, 0), 0, "the daemon should still run");
}

/* unixgram: and udp: switch sides against a plain socket peer. */
static void dgram_roundtrip(int fd, struct proc *plug)
{
	struct sockaddr_storage src;
	socklen_t slen = sizeof(src);
	uint8_t buf[2048], m1[SS_MAC_LEN], m2[SS_MAC_LEN];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	ss_mac(m1, 1);
	ss_mac(m2, 2);
	pipe_send(plug, m2, itest_bcast, 1);
	cr_assert_eq(poll(&pfd, 1, SS_TIMEOUT_MS), 1, "no datagram");
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &slen);
	cr_assert_eq(n, FLEN, "one frame per datagram expected, got %zd", n);
	cr_assert(ss_frame_check(buf, FLEN, itest_bcast, m2, 1));
	/* an empty datagram is ignored, the next frame still crosses */
	cr_assert_eq(sendto(fd, buf, 0, 0, (struct sockaddr *)&src, slen), 0);
	ss_frame_build(buf, FLEN, m2, m1, 2);
	cr_assert_eq(sendto(fd, buf, FLEN, 0, (struct sockaddr *)&src, slen),
		     FLEN);
	pipe_expect(plug, m2, m1, 2);
	proc_term(plug);
	cr_assert(strstr(slurp(plug->err), "drop_rx_ignored=1"), "%s",
		  slurp(plug->err));
}

Test(plug, unixgram_switch_side)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char url[320];
	struct proc *plug;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sw.dgram", test_dir());
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	snprintf(url, sizeof(url), "unixgram:%s", sun.sun_path);
	{
		const char *argv[] = { plug_bin(), url, "-", NULL };

		plug = spawn(argv, true, 4);
	}
	wait_err(plug, "connected from", 1);
	dgram_roundtrip(fd, plug);
	cr_assert_null(strstr(slurp(plug->err), "error:"), "%s",
		       slurp(plug->err));
	close(fd);
}

Test(plug, udp_switch_side)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	char url[64];
	struct proc *plug;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &slen);
	snprintf(url, sizeof(url), "udp:127.0.0.1:%d", ntohs(sin.sin_port));
	{
		const char *argv[] = { plug_bin(), url, "-", NULL };

		plug = spawn(argv, true, 4);
	}
	wait_err(plug, "connected", 1);
	dgram_roundtrip(fd, plug);
	close(fd);
}

static long long stat_of(const char *err, const char *side, const char *key)
{
	char tag[32];
	const char *line;
	long long v = -1;

	/* the last one: the counters at exit */
	snprintf(tag, sizeof(tag), "stats %s ", side);
	line = strstr(err, tag);
	for (const char *n = line; n; n = strstr(n + 1, tag))
		line = n;
	cr_assert_not_null(line, "no `%s' line:\n%s", tag, err);
	cr_assert(ss_log_value(line, key, &v), "no %s in `%s'", key, line);
	return v;
}

/* A peer that does not read stdout: the pipe fills (partial writes), the
 * bounded queue overflows, drops are counted, and what does come out is
 * whole frames in order, every frame accounted for. */
Test(plug, slow_stdout_reader_drops_are_counted)
{
	struct itest_sw sw;
	struct itest_sta a;
	struct proc *plug;
	const uint32_t total = 3000;
	const size_t flen = 1000;
	long long got = 0, rx, tx, full, down;
	int64_t last = 0;
	const char *err;

	start_sw(&sw);
	{
		const char *argv[] = { plug_bin(), sw.url, "-", NULL };

		plug = spawn(argv, true, 4);
	}
	wait_port(&sw);
	itest_join_one(&sw, &a, NULL, "A", 1, 0);
	for (uint32_t seq = 1; seq <= total; seq++)
		itest_send(&a, itest_bcast, seq, flen);
	/* let the plug take in what the switch sends, then drain */
	usleep(500000);
	kill(plug->pid, SIGUSR1);
	wait_err(plug, "stats peer", 1);
	for (;;) {
		const uint8_t *f;
		size_t len;
		int64_t seq;

		if (pipe_recv(plug, &f, &len, 1000) < 0)
			break;
		seq = ss_frame_seq(f, len);
		cr_assert_eq(len, flen, "frame %lld torn: %zu bytes",
			     (long long)seq, len);
		cr_assert(seq > last && ss_frame_check(f, len, itest_bcast,
						       a.mac, (uint32_t)seq),
			  "frame %lld after %lld: out of order or corrupt",
			  (long long)seq, (long long)last);
		last = seq;
		got++;
	}
	proc_term(plug);
	err = slurp(plug->err);
	rx = stat_of(err, "switch", "rx_frames");
	tx = stat_of(err, "peer", "tx_frames");
	full = stat_of(err, "peer", "drop_tx_full");
	down = stat_of(err, "peer", "drop_tx_down");
	cr_assert_gt(full, 0, "the 1 MiB queue should have overflowed:\n%s",
		     err);
	cr_assert_eq(got, tx, "frames read %lld != tx_frames %lld", got, tx);
	cr_assert_eq(rx, tx + full + down,
		     "every frame from the switch is written or counted: "
		     "rx %lld tx %lld full %lld down %lld",
		     rx, tx, full, down);
}

/* unixgram: the plug takes frames from the switch's path and from an
 * unnamed socket (how a sockswitch unixgram: listener answers), and
 * ignores any other named sender. */
Test(plug, unixgram_switch_side_senders)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX }, own, other;
	char url[320];
	const char *from;
	struct proc *plug;
	uint8_t buf[FLEN], m1[SS_MAC_LEN], m2[SS_MAC_LEN];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	int foreign = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sw.dgram", test_dir());
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	other = sun;
	snprintf(other.sun_path, sizeof(other.sun_path), "%s/other.dgram",
		 test_dir());
	cr_assert_eq(bind(foreign, (struct sockaddr *)&other, sizeof(other)),
		     0);
	snprintf(url, sizeof(url), "unixgram:%s", sun.sun_path);
	{
		const char *argv[] = { plug_bin(), url, "-", NULL };

		plug = spawn(argv, true, 4);
	}
	wait_err(plug, "connected from ", 1);
	from = strstr(slurp(plug->err), "connected from ");
	own = sun;
	snprintf(own.sun_path, sizeof(own.sun_path), "%s",
		 from + strlen("connected from "));
	own.sun_path[strcspn(own.sun_path, "\n")] = '\0';
	ss_mac(m1, 1);
	ss_mac(m2, 2);
	ss_frame_build(buf, FLEN, m2, m1, 1);
	cr_assert_eq(sendto(foreign, buf, FLEN, 0, (struct sockaddr *)&own,
			    sizeof(own)),
		     FLEN, "sendto %s: %s", own.sun_path, strerror(errno));
	ss_frame_build(buf, FLEN, m2, m1, 2);
	cr_assert_eq(sendto(anon, buf, FLEN, 0, (struct sockaddr *)&own,
			    sizeof(own)),
		     FLEN);
	pipe_expect(plug, m2, m1, 2);
	ss_frame_build(buf, FLEN, m2, m1, 3);
	cr_assert_eq(
		sendto(fd, buf, FLEN, 0, (struct sockaddr *)&own, sizeof(own)),
		FLEN);
	pipe_expect(plug, m2, m1, 3);
	proc_term(plug);
	cr_assert(strstr(slurp(plug->err), "drop_rx_ignored=1"),
		  "the named foreign sender is ignored and counted:\n%s",
		  slurp(plug->err));
	close(fd);
	close(anon);
	close(foreign);
}

// SPDX-License-Identifier: MIT
/*
 * test_vde.c - the vde:DIR listener against Debian's real vde_plug
 *
 * One daemon listens on vde:DIR and on a unix stream socket. Stations are
 * real `vde_plug vde:///DIR' processes (their stdin/stdout carry frames
 * with a 2-byte big-endian length), stream clients (ssclient), and a raw
 * VDE client written here that does the handshake itself, so it can send
 * broken requests, empty or oversize datagrams, or never read. Every
 * process started is killed by its recorded pid.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ctltest.h"

#define VDE_PLUG_BIN "vde_plug"
#define MAX_PLUGS 8
#define REQ_FIXED 122
#define SUN_LEN_VDE 110

/**
 * struct vsta - a station of any kind
 * @kind:	stream client, vde_plug process or raw VDE client
 * @s:		stream: the itest station
 * @pid:	vde_plug: its pid (-1 once reaped)
 * @to_plug:	vde_plug: its stdin
 * @from_plug:	vde_plug: its stdout
 * @ctl:	raw: control connection
 * @data:	raw: connected datagram socket
 * @buf:	vde_plug: bytes read from its stdout
 * @len:	bytes in @buf
 * @port:	switch port number
 * @mac:	its MAC
 * @name:	for messages
 */
struct vsta {
	enum { VS_STREAM, VS_PLUG, VS_RAW } kind;
	struct itest_sta s;
	pid_t pid;
	int to_plug;
	int from_plug;
	int ctl;
	int data;
	uint8_t buf[2 * (SS_FRAME_LIMIT + 2)];
	size_t len;
	int port;
	uint8_t mac[SS_MAC_LEN];
	char name[8];
};

static pid_t plug_pids[MAX_PLUGS];
static uint8_t frame_buf[SS_FRAME_LIMIT];

static void plugs_kill(void)
{
	for (size_t i = 0; i < MAX_PLUGS; i++) {
		if (plug_pids[i] > 0) {
			kill(plug_pids[i], SIGKILL);
			waitpid(plug_pids[i], NULL, 0);
		}
		plug_pids[i] = 0;
	}
}

static void vde_fini(void)
{
	plugs_kill();
	ss_cleanup();
}

TestSuite(vde, .fini = vde_fini, .timeout = 90);

static bool have_vde_plug(void)
{
	return system(VDE_PLUG_BIN " --help >/dev/null 2>&1") != 127 * 256;
}

/* Daemon with vde:@DIR@/vde and unix:@DIR@/sw.sock; returns DIR/vde. */
static void start(struct itest_sw *sw, char *dir, size_t dirlen,
		  const char *const *more)
{
	const char *extra[16] = { "--listen", "vde:@DIR@/vde" };
	size_t n = 2;
	const char *url;

	if (!have_vde_plug())
		cr_skip_test(
			"vde_plug (Debian package vdeplug) is not installed");
	for (; more && *more && n < 15; more++)
		extra[n++] = *more;
	extra[n] = NULL;
	itest_start(sw, TP_UNIX, extra);
	url = ss_daemon_url(sw->d, "vde:");
	cr_assert_not_null(url, "no `listening on vde:...' line");
	snprintf(dir, dirlen, "%s", url + 4);
}

static int wait_in(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Wait for the `connected' line of the VDE client with process @pid. */
static int wait_vde_port(struct itest_sw *sw, pid_t pid, char *line,
			 size_t linelen)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	char needle[48];
	size_t pos = 0;

	snprintf(needle, sizeof(needle), ": pid=%d uid=", (int)pid);
	for (;;) {
		int left = (int)(deadline - ss_now_ms());

		if (ss_daemon_wait_log(sw->d, &pos, needle, line, linelen,
				       left > 0 ? left : 0) < 0)
			return -1;
		if (strstr(line, ") connected on vde:"))
			return ss_log_port(line);
	}
}

static void plug_start(struct itest_sw *sw, struct vsta *v, const char *dir,
		       const char *suffix, const char *name, unsigned macn)
{
	int in[2], out[2];
	char url[512], line[1024];
	pid_t parent = getpid();
	size_t slot;

	memset(v, 0, sizeof(*v));
	v->kind = VS_PLUG;
	snprintf(v->name, sizeof(v->name), "%s", name);
	ss_mac(v->mac, macn);
	snprintf(url, sizeof(url), "vde://%s%s", dir, suffix ? suffix : "");
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	for (slot = 0; slot < MAX_PLUGS && plug_pids[slot] > 0; slot++)
		;
	cr_assert_lt(slot, MAX_PLUGS, "too many vde_plug processes");
	fflush(NULL);
	v->pid = fork();
	cr_assert_geq(v->pid, 0, "fork: %s", strerror(errno));
	if (v->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execlp(VDE_PLUG_BIN, VDE_PLUG_BIN, url, (char *)NULL);
		_exit(127);
	}
	plug_pids[slot] = v->pid;
	close(in[0]);
	close(out[1]);
	v->to_plug = in[1];
	v->from_plug = out[0];
	v->port = wait_vde_port(sw, v->pid, line, sizeof(line));
	if (v->port < 0)
		itest_dump_log(sw->d);
	cr_assert_geq(v->port, 0, "%s: %s %s never attached", name,
		      VDE_PLUG_BIN, url);
}

/* Run vde_plug with no input; return its exit status (killed if slow). */
static int plug_run_to_exit(const char *dir, const char *suffix)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	char url[512];
	int st = -1;
	pid_t pid;

	snprintf(url, sizeof(url), "vde://%s%s", dir, suffix);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp(VDE_PLUG_BIN, VDE_PLUG_BIN, url, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (ss_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		usleep(10000);
	}
	return st;
}

static void plug_kill(struct vsta *v)
{
	for (size_t i = 0; i < MAX_PLUGS; i++)
		if (plug_pids[i] == v->pid)
			plug_pids[i] = 0;
	kill(v->pid, SIGKILL);
	waitpid(v->pid, NULL, 0);
	v->pid = -1;
	close(v->to_plug);
	close(v->from_plug);
}

static void stream_join(struct itest_sw *sw, struct vsta *v, const char *name,
			unsigned macn)
{
	memset(v, 0, sizeof(*v));
	v->kind = VS_STREAM;
	itest_join_one(sw, &v->s, NULL, name, macn, 0);
	snprintf(v->name, sizeof(v->name), "%s", name);
	memcpy(v->mac, v->s.mac, SS_MAC_LEN);
	v->port = v->s.port;
}

/* The request a libvdeplug client sends (protocols.md section 3). */
static size_t build_req(uint8_t *buf, uint32_t magic, uint32_t version,
			uint32_t type, const char *path, const char *descr)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t dl = strlen(descr);

	memcpy(buf, &magic, 4);
	memcpy(buf + 4, &version, 4);
	memcpy(buf + 8, &type, 4);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	memcpy(buf + 12, &sa, SUN_LEN_VDE);
	memcpy(buf + REQ_FIXED, descr, dl);
	return REQ_FIXED + dl;
}

static int ctl_connect(const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", dir);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect %s: %s", sa.sun_path, strerror(errno));
	return fd;
}

/* Handshake by hand: bind, request (v3, or the old v1 layout), reply,
 * connect. */
static void raw_join(struct itest_sw *sw, struct vsta *v, const char *dir,
		     uint32_t want, const char *name, unsigned macn, bool v1)
{
	static unsigned seq;
	struct sockaddr_un me = { .sun_family = AF_UNIX }, sa;
	uint8_t req[REQ_FIXED + 64];
	char descr[64], line[1024];
	size_t len;
	ssize_t r;

	memset(v, 0, sizeof(*v));
	v->kind = VS_RAW;
	snprintf(v->name, sizeof(v->name), "%s", name);
	ss_mac(v->mac, macn);
	v->data = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(v->data, 0);
	snprintf(me.sun_path, sizeof(me.sun_path), "%s/.raw%d-%u", dir,
		 (int)getpid(), seq++);
	cr_assert_eq(bind(v->data, (struct sockaddr *)&me, sizeof(me)), 0,
		     "bind %s: %s", me.sun_path, strerror(errno));
	v->ctl = ctl_connect(dir);
	snprintf(descr, sizeof(descr), "raw test client %s", name);
	len = build_req(req, 0xfeedface, 3, want << 8, me.sun_path, descr);
	if (v1) {
		/* magic, type 0, a MAC, the address, the description */
		memmove(req + 14, req + 12, len - 12);
		memset(req + 4, 0, 10);
		len += 2;
	}
	cr_assert_eq(send(v->ctl, req, len, 0), (ssize_t)len);
	cr_assert_gt(wait_in(v->ctl, SS_TIMEOUT_MS), 0, "%s: no reply", name);
	r = recv(v->ctl, &sa, sizeof(sa), 0);
	cr_assert_eq(r, SUN_LEN_VDE, "%s: reply of %zd bytes, expected 110",
		     name, r);
	cr_assert_eq(sa.sun_family, AF_UNIX);
	cr_assert_lt(strnlen(sa.sun_path, sizeof(sa.sun_path)),
		     sizeof(sa.sun_path), "reply path not NUL-terminated");
	cr_assert_eq(strncmp(sa.sun_path, dir, strlen(dir)), 0,
		     "data socket %s should be inside %s", sa.sun_path, dir);
	cr_assert_eq(connect(v->data, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect %s: %s", sa.sun_path, strerror(errno));
	unlink(me.sun_path);
	v->port = wait_vde_port(sw, getpid(), line, sizeof(line));
	cr_assert_geq(v->port, 0);
	/* Several raw clients share our pid: take the newest line. */
	{
		char needle[80];
		size_t pos = 0;

		snprintf(needle, sizeof(needle), "(vde: %s)", descr);
		cr_assert_eq(ss_daemon_wait_log(sw->d, &pos, needle, line,
						sizeof(line), SS_TIMEOUT_MS),
			     0, "no connected line for %s", descr);
		v->port = ss_log_port(line);
	}
}

/* Mode of DIR/@name, or of the entry whose name starts with @name. */
static void check_mode(const char *dir, const char *name, unsigned mode)
{
	char path[512];
	struct dirent *e;
	struct stat st;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (*name && stat(path, &st) < 0) {
		dp = opendir(dir);
		cr_assert_not_null(dp);
		while ((e = readdir(dp)) &&
		       strncmp(e->d_name, name, strlen(name)))
			;
		cr_assert_not_null(e, "no %s/%s*", dir, name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		closedir(dp);
	}
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_mode & 0777, mode, "%s: mode %o, expected %o", path,
		     st.st_mode & 0777, mode);
}

static void vs_send_raw(struct vsta *v, const uint8_t *f, size_t len)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	ssize_t r;

	switch (v->kind) {
	case VS_STREAM:
		cr_assert_eq(ss_send_frame(v->s.c, f, len), 0);
		break;
	case VS_PLUG:
		cr_assert_eq(write(v->to_plug, hdr, 2), 2);
		cr_assert_eq(write(v->to_plug, f, len), (ssize_t)len);
		break;
	case VS_RAW:
		r = send(v->data, f, len, 0);
		cr_assert_eq(r, (ssize_t)len, "%s: send: %s", v->name,
			     strerror(errno));
		break;
	}
}

static void vs_send(struct vsta *from, const uint8_t *dst, uint32_t seq,
		    size_t len)
{
	ss_frame_build(frame_buf, len, dst, from->mac, seq);
	vs_send_raw(from, frame_buf, len);
}

/* Next frame @v receives; -ETIMEDOUT if none in @timeout_ms. */
static int vs_recv(struct vsta *v, const uint8_t **f, size_t *len,
		   int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	size_t need;
	ssize_t r;

	if (v->kind == VS_STREAM)
		return ss_recv_frame(v->s.c, f, len, timeout_ms);
	if (v->kind == VS_RAW) {
		if (wait_in(v->data, timeout_ms) <= 0)
			return -ETIMEDOUT;
		r = recv(v->data, v->buf, sizeof(v->buf), 0);
		if (r < 0)
			return -errno;
		*f = v->buf;
		*len = (size_t)r;
		return 0;
	}
	/* vde_plug: consume the previous frame, then a 2-byte length. */
	for (;;) {
		need = v->len >= 2 ? 2 + (size_t)(v->buf[0] << 8 | v->buf[1])
				   : 2;
		if (v->len >= 2 && v->len >= need && need > 2) {
			*f = v->buf + 2;
			*len = need - 2;
			return 0;
		}
		if (wait_in(v->from_plug,
			    (int)(deadline - ss_now_ms()) > 0
				    ? (int)(deadline - ss_now_ms())
				    : 0) <= 0)
			return -ETIMEDOUT;
		r = read(v->from_plug, v->buf + v->len,
			 sizeof(v->buf) - v->len);
		if (r <= 0)
			return -EPIPE;
		v->len += (size_t)r;
	}
}

/* vde_plug frames stay in @buf until the next receive. */
static void vs_consumed(struct vsta *v, size_t flen)
{
	if (v->kind != VS_PLUG)
		return;
	memmove(v->buf, v->buf + 2 + flen, v->len - 2 - flen);
	v->len -= 2 + flen;
}

static void vs_expect(struct vsta *to, const uint8_t *dst,
		      const struct vsta *from, uint32_t seq, size_t len)
{
	const uint8_t *f;
	size_t flen;
	int ret = vs_recv(to, &f, &flen, SS_TIMEOUT_MS);

	cr_assert_eq(ret, 0, "%s: expected frame %u from %s: %s", to->name, seq,
		     from->name, strerror(-ret));
	cr_assert_eq(flen, len, "%s: frame %u from %s: %zu bytes, expected %zu",
		     to->name, seq, from->name, flen, len);
	cr_assert(ss_frame_check(f, flen, dst, from->mac, seq),
		  "%s: expected frame %u from %s, got seq %lld", to->name, seq,
		  from->name, (long long)ss_frame_seq(f, flen));
	vs_consumed(to, flen);
}

/* @from sends to @to's MAC; @to's next frame is exactly that. */
static void vs_unicast(struct vsta *from, struct vsta *to, uint32_t seq,
		       size_t len)
{
	vs_send(from, to->mac, seq, len);
	vs_expect(to, to->mac, from, seq, len);
}

/* @v[@from] broadcasts; every other station's next frame is that. */
static void vs_flood(struct vsta **v, size_t n, size_t from, uint32_t seq,
		     size_t len)
{
	vs_send(v[from], itest_bcast, seq, len);
	for (size_t j = 0; j < n; j++)
		if (j != from)
			vs_expect(v[j], itest_bcast, v[from], seq, len);
}

static long long vde_port_stat(struct itest_sw *sw, int port, const char *key)
{
	size_t pos = ss_daemon_log_end(sw->d);
	char needle[48], line[512];
	long long val = -1;

	snprintf(needle, sizeof(needle), "stats vde_port=%d ", port);
	kill(sw->d->pid, SIGUSR1);
	cr_assert_eq(ss_daemon_wait_log(sw->d, &pos, needle, line, sizeof(line),
					SS_TIMEOUT_MS),
		     0, "no `%s' line after SIGUSR1", needle);
	cr_assert(ss_log_value(line, key, &val), "no %s= in `%s'", key, line);
	return val;
}

static long long vde_listener_stat(struct itest_sw *sw, const char *key)
{
	size_t pos = ss_daemon_log_end(sw->d);
	char line[512];
	long long val = -1;

	kill(sw->d->pid, SIGUSR1);
	cr_assert_eq(ss_daemon_wait_log(sw->d, &pos, "stats vde=", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "no `stats vde=' line after SIGUSR1");
	cr_assert(ss_log_value(line, key, &val), "no %s= in `%s'", key, line);
	return val;
}

/* Broadcast from each station reaches every other one. */
static void learn_all(struct vsta **v, size_t n, uint32_t seq0)
{
	for (size_t i = 0; i < n; i++)
		vs_flood(v, n, i, seq0 + (uint32_t)i, 64);
}

/*
 * Unicast @a -> @b, then a broadcast from @a: every other station's next
 * frame is that broadcast, so the unicast went to @b only.
 */
static void unicast_only(struct vsta **v, size_t n, size_t a, size_t b,
			 uint32_t seq)
{
	vs_unicast(v[a], v[b], seq, 100);
	vs_flood(v, n, a, seq + 1, 60);
}

Test(vde, vde_plug_and_stream_clients_share_one_lan)
{
	struct vsta s, p1, p2, *v[] = { &s, &p1, &p2 };
	struct itest_sw sw;
	char dir[256];
	uint32_t seq = 100;

	start(&sw, dir, sizeof(dir), NULL);
	stream_join(&sw, &s, "S", 1);
	plug_start(&sw, &p1, dir, NULL, "P1", 2);
	plug_start(&sw, &p2, dir, NULL, "P2", 3);
	learn_all(v, 3, 1);
	for (size_t a = 0; a < 3; a++)
		for (size_t b = 0; b < 3; b++)
			if (a != b) {
				unicast_only(v, 3, a, b, seq);
				seq += 2;
			}
	/* Frames of every size up to what vde_plug carries (1514 + VLAN). */
	vs_unicast(&p1, &s, 200, 1518);
	vs_unicast(&s, &p2, 201, 1518);
	plug_kill(&p1);
	plug_kill(&p2);
	itest_stop(&sw);
}

Test(vde, requested_port_is_honoured_and_description_shown)
{
	struct vsta p, q, s;
	struct itest_sw sw;
	char dir[256], line[1024], needle[64];
	size_t pos = 0;

	start(&sw, dir, sizeof(dir), NULL);
	plug_start(&sw, &p, dir, "[5]", "P", 2);
	cr_assert_eq(p.port, 5, "vde:///DIR[5] should get port 5, got %d",
		     p.port);
	snprintf(needle, sizeof(needle), "stats port=5 ");
	kill(sw.d->pid, SIGUSR1);
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, needle, line, sizeof(line),
					SS_TIMEOUT_MS),
		     0);
	snprintf(needle, sizeof(needle), "peer=\"vde: vdeplug: user=");
	cr_assert_not_null(strstr(line, needle),
			   "the client's description should be shown: `%s'",
			   line);
	snprintf(needle, sizeof(needle), "pid=%d\"", (int)p.pid);
	cr_assert_not_null(strstr(line, needle), "`%s' in `%s'", needle, line);
	cr_assert_not_null(strstr(line, "transport=vde"));

	/* A second client asking for port 5 is refused: no sharing. */
	pos = ss_daemon_log_end(sw.d);
	cr_assert_neq(plug_run_to_exit(dir, "[5]"), 0,
		      "vde_plug on a taken port should fail");
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "port 5 is in use", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "refusing a taken port should be logged");

	/* The port still works, and the lowest free port is used otherwise. */
	stream_join(&sw, &s, "S", 1);
	cr_assert_eq(s.port, 1);
	plug_start(&sw, &q, dir, NULL, "Q", 3);
	cr_assert_eq(q.port, 2);
	vs_unicast(&p, &s, 1, 80);
	vs_expect(&q, s.mac, &p, 1, 80);
	vs_unicast(&s, &p, 2, 80);
	plug_kill(&p);
	plug_kill(&q);
	itest_stop(&sw);
}

/*
 * Each bad request closes its own control connection with a log line
 * naming the fault, is counted, and an attached vde_plug keeps working.
 */
Test(vde, garbage_on_the_control_socket_closes_only_that_connection)
{
	struct {
		const char *what;
		const char *log;
	} cases[] = {
		{ "random bytes", "bad magic" },
		{ "truncated request", "truncated request: 60 bytes" },
		{ "bad magic", "bad magic 0xdeadbeef" },
		{ "bad version", "unsupported version 2" },
		{ "oversize", "oversize request" },
		{ "unknown type", "unknown request type 7" },
		{ "relative path", "not an absolute path" },
		{ "missing socket", "No such file or directory" },
	};
	struct vsta s, p, *v[] = { &s, &p };
	struct itest_sw sw;
	char dir[256], line[1024], path[300], big[5000];
	uint8_t req[5200];
	size_t n = sizeof(cases) / sizeof(cases[0]);
	uint32_t seq = 10;

	start(&sw, dir, sizeof(dir), NULL);
	stream_join(&sw, &s, "S", 1);
	plug_start(&sw, &p, dir, NULL, "P", 2);
	snprintf(path, sizeof(path), "%s/.nobody", dir);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	srand(42);
	for (size_t i = 0; i < n; i++) {
		size_t pos = ss_daemon_log_end(sw.d), len = 0;
		int fd = ctl_connect(dir);
		uint8_t junk[8];

		switch (i) {
		case 0:
			for (len = 0; len < 200; len++)
				req[len] = (uint8_t)rand();
			req[0] = 0x11; /* never the magic by chance */
			break;
		case 1:
			len = build_req(req, 0xfeedface, 3, 0, path, "");
			len = 60;
			break;
		case 2:
			len = build_req(req, 0xdeadbeef, 3, 0, path, "x");
			break;
		case 3:
			len = build_req(req, 0xfeedface, 2, 0, path, "x");
			break;
		case 4:
			len = build_req(req, 0xfeedface, 3, 0, path, big);
			break;
		case 5:
			len = build_req(req, 0xfeedface, 3, 7, path, "x");
			break;
		case 6:
			len = build_req(req, 0xfeedface, 3, 0, "rel/sock", "x");
			break;
		case 7:
			len = build_req(req, 0xfeedface, 3, 0, path, "x");
			break;
		}
		cr_assert_eq(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
		if (i == 1)
			shutdown(fd, SHUT_WR);
		cr_assert_gt(wait_in(fd, SS_TIMEOUT_MS), 0,
			     "%s: the switch should close the connection",
			     cases[i].what);
		cr_assert_leq(recv(fd, junk, sizeof(junk), 0), 0,
			      "%s: no reply expected", cases[i].what);
		close(fd);
		if (ss_daemon_wait_log(sw.d, &pos, cases[i].log, line,
				       sizeof(line), SS_TIMEOUT_MS) < 0)
			itest_dump_log(sw.d);
		cr_assert_not_null(strstr(line, "control connection from pid="),
				   "%s: `%s'", cases[i].what, line);
		unicast_only(v, 2, 0, 1, seq);
		unicast_only(v, 2, 1, 0, seq + 2);
		seq += 4;
	}
	cr_assert_geq(vde_listener_stat(&sw, "ctl_refused"), (long long)n);
	cr_assert_eq(vde_listener_stat(&sw, "ports_opened"), 1);
	plug_kill(&p);
	itest_stop(&sw);
}

/*
 * Real clients may describe themselves at length (vde_switch takes long
 * descriptions and truncates them): a 2000-byte description is accepted,
 * shown truncated, and the port works.
 */
Test(vde, long_description_is_accepted_and_truncated_for_display)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX }, sa;
	struct itest_sw sw;
	char dir[256], line[1024], descr[2001];
	uint8_t req[2200];
	size_t len, pos;
	int data, ctl;

	start(&sw, dir, sizeof(dir), NULL);
	memset(descr, 'd', sizeof(descr) - 1);
	descr[sizeof(descr) - 1] = '\0';
	memcpy(descr, "long-one ", 9);
	data = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(data, 0);
	cr_assert_lt(strlen(dir) + 7, sizeof(me.sun_path));
	memcpy(me.sun_path, dir, strlen(dir));
	memcpy(me.sun_path + strlen(dir), "/.long", 7);
	cr_assert_eq(bind(data, (struct sockaddr *)&me, sizeof(me)), 0);
	pos = ss_daemon_log_end(sw.d);
	ctl = ctl_connect(dir);
	len = build_req(req, 0xfeedface, 3, 0, me.sun_path, descr);
	cr_assert_eq(send(ctl, req, len, 0), (ssize_t)len);
	cr_assert_gt(wait_in(ctl, SS_TIMEOUT_MS), 0, "no reply");
	cr_assert_eq(recv(ctl, &sa, sizeof(sa), 0), SUN_LEN_VDE,
		     "a long description should not be refused");
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "(vde: long-one ddd", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0, "the connected line shows the description");
	cr_assert_lt(strlen(line), 1000, "shown truncated: `%s'", line);
	close(ctl);
	close(data);
	unlink(me.sun_path);
	itest_stop(&sw);
}

/*
 * 64 control connections that never send a request (the pending limit)
 * cannot keep a real client out: the oldest pending one is closed to make
 * room, vde_plug attaches and its port works.
 */
Test(vde, silent_connections_cannot_lock_out_a_real_client)
{
	struct vsta s, p, *v[] = { &s, &p };
	struct itest_sw sw;
	char dir[256];
	int fds[64];
	size_t i;

	start(&sw, dir, sizeof(dir), NULL);
	for (i = 0; i < 64; i++)
		fds[i] = ctl_connect(dir);
	stream_join(&sw, &s, "S", 1);
	plug_start(&sw, &p, dir, NULL, "P", 2);
	unicast_only(v, 2, 0, 1, 10);
	cr_assert_geq(vde_listener_stat(&sw, "ctl_evicted"), 1,
		      "the oldest silent connection made room");
	cr_assert_gt(wait_in(fds[0], SS_TIMEOUT_MS), 0,
		     "the oldest pending connection is closed");
	for (i = 0; i < 64; i++)
		close(fds[i]);
	plug_kill(&p);
	itest_stop(&sw);
}

/* Bind a unix socket of @type at @path and close it: what a killed
 * process leaves behind. */
static void leave_socket(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s: %s",
		     path, strerror(errno));
	close(fd);
}

/*
 * A switch killed with SIGKILL leaves DIR/ctl and its ports' data sockets
 * (NNN.FD) behind. The next switch on DIR takes DIR/ctl over and removes
 * those data sockets; a client's own socket and a file with such a name
 * that is no socket stay.
 */
Test(vde, stale_data_sockets_are_removed_at_start)
{
	const char *tmp = ss_tmpdir();
	const char *args[] = { "--listen", NULL, "--control", "none", NULL };
	char dir[300], url[320], p1[400], p2[400], keep[400], plain[400];
	struct itest_sw sw = { .tp = TP_UNIX };
	size_t pos = 0;
	FILE *f;

	if (!have_vde_plug())
		cr_skip_test(
			"vde_plug (Debian package vdeplug) is not installed");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/vde", tmp);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(p1, sizeof(p1), "%s/ctl", dir);
	leave_socket(p1, SOCK_STREAM);
	snprintf(p1, sizeof(p1), "%s/001.7", dir);
	leave_socket(p1, SOCK_DGRAM);
	snprintf(p2, sizeof(p2), "%s/012.11", dir);
	leave_socket(p2, SOCK_DGRAM);
	snprintf(keep, sizeof(keep), "%s/.12345-00000", dir);
	leave_socket(keep, SOCK_DGRAM);
	snprintf(plain, sizeof(plain), "%s/003.9", dir);
	f = fopen(plain, "w");
	cr_assert_not_null(f);
	fclose(f);

	snprintf(url, sizeof(url), "vde:%s", dir);
	args[1] = url;
	sw.d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert_not_null(sw.d);
	if (!sw.d->ready)
		itest_dump_log(sw.d);
	cr_assert(sw.d->ready, "the switch takes over a stale DIR/ctl");
	cr_assert_eq(
		ss_daemon_wait_log(sw.d, &pos,
				   "removed 2 data socket(s) left by a switch",
				   NULL, 0, SS_TIMEOUT_MS),
		0, "the stale data sockets are removed and logged");
	cr_assert_neq(access(p1, F_OK), 0, "%s removed", p1);
	cr_assert_neq(access(p2, F_OK), 0, "%s removed", p2);
	cr_assert_eq(access(keep, F_OK), 0, "a client's socket stays");
	cr_assert_eq(access(plain, F_OK), 0, "a file that is no socket stays");
	unlink(keep);
	unlink(plain);
	itest_stop(&sw);
}

Test(vde, silent_control_client_times_out)
{
	struct itest_sw sw;
	char dir[256], line[1024];
	size_t pos;
	int fd;

	start(&sw, dir, sizeof(dir), NULL);
	pos = ss_daemon_log_end(sw.d);
	fd = ctl_connect(dir);
	cr_assert_eq(send(fd, "\xce\xfa\xed\xfe", 4, 0), 4);
	cr_assert_gt(wait_in(fd, 3 * SS_TIMEOUT_MS), 0,
		     "a client that never completes its request is dropped");
	cr_assert_eq(ss_daemon_wait_log(sw.d, &pos, "no complete request", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0);
	cr_assert_eq(vde_listener_stat(&sw, "ctl_timeouts"), 1);
	close(fd);
	itest_stop(&sw);
}

Test(vde, killed_vde_plug_closes_its_port_and_socket)
{
	struct vsta s, p;
	struct itest_sw sw;
	char dir[256], line[1024], path[300];
	struct stat st;
	const char *sock;

	start(&sw, dir, sizeof(dir), NULL);
	stream_join(&sw, &s, "S", 1);
	plug_start(&sw, &p, dir, NULL, "P", 2);
	vs_send(&p, itest_bcast, 1, 64);
	vs_expect(&s, itest_bcast, &p, 1, 64);
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, ") connected on vde:", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0);
	sock = strstr(line, "switch socket ");
	cr_assert_not_null(sock);
	snprintf(path, sizeof(path), "%s", sock + strlen("switch socket "));
	path[strcspn(path, " \n")] = '\0';
	cr_assert_eq(stat(path, &st), 0, "%s should exist", path);
	cr_assert(S_ISSOCK(st.st_mode));
	/* (vdeplug chmods our data socket to its own mode, 0700.) */
	check_mode(dir, "ctl", 0600);
	check_mode(dir, "", 0700);

	plug_kill(&p);
	{
		struct itest_sta t = { .port = p.port };

		snprintf(t.name, sizeof(t.name), "P");
		itest_wait_closed_log(&sw, &t, line, sizeof(line));
	}
	cr_assert_not_null(strstr(line, "control connection"), "`%s'", line);
	cr_assert_neq(stat(path, &st), 0, "%s should be removed", path);
	/* The MAC moved nowhere: frames to it are flooded to nobody. */
	vs_send(&s, p.mac, 2, 64);
	itest_stop(&sw);
	cr_assert_neq(stat(dir, &st), 0, "%s should be removed at exit", dir);
}

/* A VDE peer that never reads: its queue fills and drops, others go on. */
Test(vde, peer_that_never_reads_drops_are_counted)
{
	static const char *const more[] = { "--tx-queue-frames", "512", NULL };
	struct vsta s, p, r;
	struct itest_sw sw;
	char dir[256];
	uint32_t seq = 1;
	long long full;

	start(&sw, dir, sizeof(dir), more);
	stream_join(&sw, &s, "S", 1);
	plug_start(&sw, &p, dir, NULL, "P", 2);
	raw_join(&sw, &r, dir, 0, "R", 3, false);
	for (int round = 0; round < 12; round++) {
		for (int i = 0; i < 60; i++)
			vs_send(&s, itest_bcast, seq + (uint32_t)i, 200);
		for (int i = 0; i < 60; i++)
			vs_expect(&p, itest_bcast, &s, seq + (uint32_t)i, 200);
		seq += 60;
	}
	full = itest_stat(&sw, r.port, "drop_tx_queue_full");
	cr_assert_gt(full, 0, "R never reads: its full queue must drop");
	cr_assert_eq(itest_stat(&sw, p.port, "drop_tx_queue_full"), 0);
	cr_assert_eq(itest_stat(&sw, r.port, "tx_queued_now"),
		     512); /* --tx-queue-frames */
	vs_unicast(&p, &s, seq, 100);
	plug_kill(&p);
	itest_stop(&sw);
}

/* Empty datagrams are ignored and counted; oversize ones dropped. */
Test(vde, empty_and_oversize_datagrams)
{
	static const char *const more[] = { "--max-frame", "1000",
					    "--socket-mode", "0660", NULL };
	struct vsta s, r;
	struct itest_sw sw;
	char dir[256];

	start(&sw, dir, sizeof(dir), more);
	stream_join(&sw, &s, "S", 1);
	raw_join(&sw, &r, dir, 9, "R", 2, false);
	cr_assert_eq(r.port, 9);
	/* Mode like vde_switch -m: sockets 0660, the new DIR 0770. */
	check_mode(dir, "ctl", 0660);
	check_mode(dir, "", 0770);
	check_mode(dir, "009.", 0660);
	cr_assert_eq(send(r.data, "", 0, 0), 0);
	ss_frame_build(frame_buf, 1200, itest_bcast, r.mac, 1);
	cr_assert_eq(send(r.data, frame_buf, 1200, 0), 1200);
	cr_assert_eq(send(r.data, frame_buf, 5, 0), 5);
	vs_send(&r, itest_bcast, 2, 1000);
	vs_expect(&s, itest_bcast, &r, 2, 1000);
	cr_assert_eq(vde_port_stat(&sw, 9, "rx_empty"), 1);
	cr_assert_eq(itest_stat(&sw, 9, "drop_rx_oversize"), 1);
	cr_assert_eq(itest_stat(&sw, 9, "drop_rx_runt"), 1);
	cr_assert_eq(itest_stat(&sw, 9, "rx_frames"), 3);
	/* And the other way: frames reach the raw client one per datagram. */
	vs_unicast(&s, &r, 3, 999);
	itest_stop(&sw);
}

/* The old v1 request layout is still accepted; port 0 gets a free port;
 * a client whose data socket is gone loses its port. */
Test(vde, v1_request_port0_and_data_socket_close)
{
	struct vsta s, r, p;
	struct itest_sw sw;
	char dir[256], line[1024];
	size_t pos;

	start(&sw, dir, sizeof(dir), NULL);
	stream_join(&sw, &s, "S", 1);
	raw_join(&sw, &r, dir, 0, "R", 2, true);
	cr_assert_eq(r.port, 2);
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, "request v1", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0);
	vs_send(&r, itest_bcast, 1, 64);
	vs_expect(&s, itest_bcast, &r, 1, 64);
	vs_unicast(&s, &r, 2, 64);

	plug_start(&sw, &p, dir, "[0]", "P", 3);
	cr_assert_eq(p.port, 3, "port 0 should get the lowest free port");
	cr_assert_eq(ss_daemon_wait_log(sw.d, NULL, "for port 0", line,
					sizeof(line), SS_TIMEOUT_MS),
		     0);

	/* A closed datagram peer shows when the switch next sends to it. */
	pos = ss_daemon_log_end(sw.d);
	close(r.data);
	vs_send(&s, itest_bcast, 3, 64);
	vs_expect(&p, itest_bcast, &s, 3, 64);
	{
		struct itest_sta t = { .port = r.port, .logpos = pos };

		snprintf(t.name, sizeof(t.name), "R");
		itest_wait_closed_log(&sw, &t, line, sizeof(line));
	}
	cr_assert_not_null(strstr(line, "data socket"), "`%s'", line);
	cr_assert_eq(wait_in(r.ctl, SS_TIMEOUT_MS), 1);
	cr_assert_eq(recv(r.ctl, line, sizeof(line), 0), 0,
		     "the switch should close R's control connection too");
	close(r.ctl);
	vs_unicast(&p, &s, 4, 64);
	plug_kill(&p);
	itest_stop(&sw);
}

/*
 * Reload removes the vde: listener: DIR/ctl goes, new clients cannot
 * attach, and the VDE ports it made stay attached and forwarding (like a
 * stream listener's connections: each has its own sockets) until their
 * clients leave. Their PORT_UP event comes after the handshake.
 */
Test(vde, reload_removes_the_listener_and_its_ports_stay)
{
	struct vsta a, b, *v[] = { &a, &b };
	struct itest_sw sw;
	struct ss_ctl *c, *ev;
	const char *t = ss_tmpdir(), *args[] = { "--config", NULL, NULL };
	char cfg[400], json[1024], dir[300], path[400];
	struct stat st;
	json_t *e, *p;

	if (!have_vde_plug())
		cr_skip_test(
			"vde_plug (Debian package vdeplug) is not installed");
	cr_assert_not_null(t);
	snprintf(cfg, sizeof(cfg), "%s/sw.json", t);
	snprintf(dir, sizeof(dir), "%s/vde", t);
	snprintf(json, sizeof(json),
		 "{\"listen\": [\"unix:%s/sw.sock\", \"vde:%s\"]}", t, dir);
	{
		FILE *f = fopen(cfg, "w");

		cr_assert_not_null(f);
		fputs(json, f);
		cr_assert_eq(fclose(f), 0);
	}
	args[1] = cfg;
	memset(&sw, 0, sizeof(sw));
	sw.tp = TP_UNIX;
	sw.d = ss_daemon_start(args, SS_TIMEOUT_MS);
	cr_assert(sw.d && sw.d->ready);
	sw.url = ss_daemon_url(sw.d, "unix:");
	cr_assert_not_null(sw.url);
	c = ct_connect(&sw);
	ev = ct_connect(&sw);
	json_decref(ct_ok(ev, "subscribe", NULL));

	plug_start(&sw, &a, dir, NULL, "A", 1);
	e = ct_event(ev, "PORT_UP");
	cr_assert_eq(ct_int(e, "port"), a.port);
	cr_assert_str_eq(json_string_value(json_object_get(e, "transport")),
			 "vde");
	cr_assert_str_eq(json_string_value(json_object_get(e, "cause")),
			 "connected");
	json_decref(e);
	stream_join(&sw, &b, "B", 2);
	learn_all(v, 2, 1);

	{
		FILE *f = fopen(cfg, "w");

		cr_assert_not_null(f);
		fprintf(f, "{\"listen\": [\"unix:%s/sw.sock\"]}", t);
		cr_assert_eq(fclose(f), 0);
	}
	e = ct_ok(c, "reload", NULL);
	cr_assert_not_null(
		strstr(json_string_value(json_object_get(e, "changes")),
		       "stopped listening on vde:"));
	json_decref(e);
	snprintf(path, sizeof(path), "%s/ctl", dir);
	cr_assert_neq(stat(path, &st), 0, "DIR/ctl is removed");
	cr_assert_neq(plug_run_to_exit(dir, ""), 0,
		      "a new vde_plug cannot attach any more");
	p = ct_port(c, a.port);
	cr_assert_str_eq(json_string_value(json_object_get(p, "state")), "up",
			 "the VDE port stays");
	cr_assert_not_null(
		strstr(json_string_value(json_object_get(p, "description")),
		       "vdeplug: user="),
		"query-ports shows the VDE client's own description");
	json_decref(p);
	unicast_only(v, 2, 0, 1, 10);
	unicast_only(v, 2, 1, 0, 12);
	plug_kill(&a);
	e = ct_event(ev, "PORT_DOWN");
	cr_assert_eq(ct_int(e, "port"), a.port);
	json_decref(e);
	ss_ctl_close(c);
	ss_ctl_close(ev);
	itest_stop(&sw);
}

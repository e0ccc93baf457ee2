// SPDX-License-Identifier: MIT
/*
 * ssbench.c - load generator for sockswitch: options, test matrix, output
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * Parses the command line, runs every (pairs, size) throughput test in
 * direct mode and/or through the switch (stream or VDE) and/or its
 * vhost-user listener, then the ping-pong test, prints one RESULT line per
 * test as it finishes and Markdown tables at the end.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ssbench.h"

#define MAX_RESULTS (BENCH_NTARGETS * (BENCH_MAX_LIST * BENCH_MAX_LIST + 1))

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [--unix PATH | --tcp HOST:PORT | --vde DIR] [--vhost PATH]\n"
		"       [--direct] [OPTIONS]\n"
		"\n"
		"Load generator for sockswitch. Attaches 2*N simulated hosts (MAC\n"
		"02:00:00:00:00:NN) over the stream protocol (4-byte big-endian length +\n"
		"Ethernet frame, as QEMU -netdev stream/socket), with --vde through\n"
		"libvdeplug (as QEMU -netdev vde), or with --vhost as vhost-user\n"
		"frontends (as QEMU -netdev vhost-user), lets the switch learn them with\n"
		"one broadcast each, then host 2k sends to host 2k+1 for a fixed time,\n"
		"one frame per system call (vhost-user: up to %d frames per kick), each\n"
		"sender and receiver in its own thread. Every target given is measured\n"
		"in turn, test by test, in the same run.\n"
		"\n"
		"Targets (at least one):\n"
		"  -u, --unix PATH        switch listening on a unix stream socket\n"
		"  -t, --tcp HOST:PORT    switch listening on TCP ([ADDR]:PORT for IPv6)\n"
		"  -V, --vde DIR          VDE switch serving DIR (vde_switch -s DIR, or\n"
		"                         sockswitch --listen vde:DIR): hosts attach with\n"
		"                         libvdeplug vde_open(\"vde://DIR\"), one vde_send()\n"
		"                         and one vde_recv() per frame, like QEMU -netdev vde\n"
		"      --vhost PATH       vhost-user backend listening on PATH (sockswitch\n"
		"                         --listen vhost-user:PATH): every host is a\n"
		"                         frontend with its own memfd, RX and TX rings\n"
		"                         of 256 and eventfds, one connection per host;\n"
		"                         may be given with --unix, --tcp or --vde\n"
		"      --rx-vhost PATH    with --vhost: the receiving hosts attach to\n"
		"                         PATH instead (two backends, or one with two\n"
		"                         sockets such as dpdk-testpmd's net_vhost\n"
		"                         ports forwarding to each other)\n"
		"      --rx-unix PATH     with --unix: the receiving hosts attach to a\n"
		"                         second switch at PATH (two switches joined by\n"
		"                         --connect, VXLAN...: the link is measured);\n"
		"                         throughput tests only (use -P 0)\n"
		"  -d, --direct           also run each test over direct links, no switch\n"
		"                         (the limit of this machine): unix socketpairs,\n"
		"                         or loopback TCP connections with --tcp\n"
		"Tests:\n"
		"  -p, --pairs LIST       pair counts, comma-separated (default 1,4)\n"
		"  -s, --size LIST        frame sizes in bytes, %d..%d (default 64,1500,9000)\n"
		"  -S, --seconds S        duration of each throughput test (default 3;\n"
		"                         0 skips throughput tests)\n"
		"  -P, --pingpong N       N timed round trips, one frame outstanding\n"
		"                         (default 10000; 0 skips)\n"
		"      --pp-size N        ping-pong frame size (default 64)\n"
		"      --drain S          wait at most S s for late frames (default 1)\n"
		"      --max-frame N      skip switch throughput tests with frames above N\n"
		"                         (vde_switch truncates frames at 1518 bytes)\n"
		"      --count N          each sender sends exactly N frames (--seconds\n"
		"                         is then the time limit)\n"
		"Load shapes:\n"
		"      --idle N           attach N idle ports before the tests (raises\n"
		"                         RLIMIT_NOFILE) and keep them until exit\n"
		"      --fill-macs N      before the tests, one extra port sends N frames\n"
		"                         from N distinct source MACs (fills the MAC table)\n"
		"      --hold S           after the tests print \"HOLD ports=N\" and keep the\n"
		"                         idle ports attached for S seconds\n"
		"      --rx-delay-us N    receivers sleep N us after every read (overload)\n"
		"      --rx-chunk N       receivers read at most N bytes per read()\n"
		"      --probe            half-way through each switch throughput test,\n"
		"                         attach a new client and time one frame from it\n"
		"                         to an idle host (attach_ms=)\n"
		"Switch probes (optional):\n"
		"      --switch-pid PID   report the switch's CPU time per frame\n"
		"      --switch-log FILE  with --switch-pid: send SIGUSR1 after each test and\n"
		"                         sum every drop_<reason>= from the stats in FILE\n"
		"  -h, --help             this text\n"
		"\n"
		"Output: one line per test on stdout, then Markdown tables:\n"
		"  RESULT test=tput mode=direct|switch transport=stream|vde|vhost-user\n"
		"    pairs=N size=N seconds=F sent=N received=N loss=N loss_pct=F fps=F\n"
		"    mbps=F writes_per_frame=F rx_calls_per_frame=F reordered=N bad=N\n"
		"    sw_cpu_us_per_frame=F|- sw_drop=N|- status=ok|ERRNO\n"
		"    sw_drop_reasons=REASON:N,...|none|- [attach_ms=F|-]\n"
		"  RESULT test=pingpong mode=direct|switch transport=... pairs=1 size=N\n"
		"    n=N warmup=N lost=N p50_us=F p99_us=F sw_cpu_us_per_frame=F|-\n"
		"    status=ok|ERRNO\n"
		"writes_per_frame and rx_calls_per_frame count every system call of\n"
		"the senders and receivers (write/read, or kick, poll, eventfd read).\n"
		"Exit status: 0 if every test ran cleanly, 1 if one failed, 2 on usage\n"
		"errors. Progress goes to stderr.\n",
		prog, BENCH_SEND_BURST, BENCH_MIN_FRAME, BENCH_MAX_FRAME);
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *v)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max)
		return -EINVAL;
	*v = (unsigned)n;
	return 0;
}

static int parse_list(const char *s, unsigned min, unsigned max, unsigned *v,
		      unsigned *n)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == BENCH_MAX_LIST || parse_uint(tok, min, max, &v[*n]))
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static int parse_seconds(const char *s, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !(*v >= 0 && *v <= max))
		return -EINVAL;
	return 0;
}

enum {
	OPT_PP_SIZE = 256,
	OPT_DRAIN,
	OPT_SW_PID,
	OPT_SW_LOG,
	OPT_MAX_FRAME,
	OPT_COUNT,
	OPT_IDLE,
	OPT_FILL_MACS,
	OPT_HOLD,
	OPT_RX_DELAY,
	OPT_RX_CHUNK,
	OPT_PROBE,
	OPT_RX_UNIX,
	OPT_VHOST,
	OPT_RX_VHOST,
};

static const struct option long_opts[] = {
	{ "unix", required_argument, NULL, 'u' },
	{ "rx-unix", required_argument, NULL, OPT_RX_UNIX },
	{ "tcp", required_argument, NULL, 't' },
	{ "vde", required_argument, NULL, 'V' },
	{ "vhost", required_argument, NULL, OPT_VHOST },
	{ "rx-vhost", required_argument, NULL, OPT_RX_VHOST },
	{ "direct", no_argument, NULL, 'd' },
	{ "pairs", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 's' },
	{ "seconds", required_argument, NULL, 'S' },
	{ "pingpong", required_argument, NULL, 'P' },
	{ "pp-size", required_argument, NULL, OPT_PP_SIZE },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "switch-pid", required_argument, NULL, OPT_SW_PID },
	{ "switch-log", required_argument, NULL, OPT_SW_LOG },
	{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "fill-macs", required_argument, NULL, OPT_FILL_MACS },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "rx-delay-us", required_argument, NULL, OPT_RX_DELAY },
	{ "rx-chunk", required_argument, NULL, OPT_RX_CHUNK },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(int c, const char *arg, struct bench_opts *o)
{
	unsigned v;

	switch (c) {
	case 'u':
		o->unix_path = arg;
		return 0;
	case OPT_RX_UNIX:
		o->rx_unix_path = arg;
		return 0;
	case 't':
		o->tcp_addr = arg;
		return 0;
	case 'V':
		o->vde_dir = arg;
		return 0;
	case OPT_VHOST:
		o->vhost_path = arg;
		return 0;
	case OPT_RX_VHOST:
		o->rx_vhost_path = arg;
		return 0;
	case 'd':
		o->direct = true;
		return 0;
	case 'p':
		return parse_list(arg, 1, BENCH_MAX_HOSTS / 2, o->pairs,
				  &o->npairs);
	case 's':
		return parse_list(arg, BENCH_MIN_FRAME, BENCH_MAX_FRAME,
				  o->sizes, &o->nsizes);
	case 'S':
		return parse_seconds(arg, 3600, &o->seconds);
	case 'P':
		return parse_uint(arg, 0, 10000000, &o->pingpong);
	case OPT_PP_SIZE:
		return parse_uint(arg, BENCH_MIN_FRAME, BENCH_MAX_FRAME,
				  &o->pp_size);
	case OPT_DRAIN:
		return parse_seconds(arg, 60, &o->drain);
	case OPT_SW_PID:
		if (parse_uint(arg, 1, INT_MAX, &v))
			return -EINVAL;
		o->switch_pid = (pid_t)v;
		return 0;
	case OPT_SW_LOG:
		o->switch_log = arg;
		return 0;
	case OPT_MAX_FRAME:
		return parse_uint(arg, BENCH_MIN_FRAME, BENCH_MAX_FRAME,
				  &o->max_frame);
	case OPT_COUNT:
		return parse_uint(arg, 1, 1000000000, &o->count);
	case OPT_IDLE:
		return parse_uint(arg, 0, 100000, &o->idle);
	case OPT_FILL_MACS:
		return parse_uint(arg, 0, 65536, &o->fill_macs);
	case OPT_HOLD:
		return parse_seconds(arg, 3600, &o->hold);
	case OPT_RX_DELAY:
		return parse_uint(arg, 0, 1000000, &o->rx_delay_us);
	case OPT_RX_CHUNK:
		return parse_uint(arg, 1, BENCH_RX_CHUNK, &o->rx_chunk);
	case OPT_PROBE:
		o->probe = true;
		return 0;
	}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	int c;

	*o = (struct bench_opts){
		.pairs = { 1, 4 },
		.npairs = 2,
		.sizes = { 64, 1500, 9000 },
		.nsizes = 3,
		.seconds = 3,
		.drain = 1,
		.pingpong = 10000,
		.pp_size = 64,
	};
	while ((c = getopt_long(argc, argv, "u:t:V:dp:s:S:P:h", long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			usage(stdout, argv[0]);
			exit(0);
		}
		if (c == '?' || parse_opt(c, optarg, o)) {
			if (c != '?')
				fprintf(stderr,
					"%s: bad value for option: `%s'\n",
					argv[0], optarg);
			return -EINVAL;
		}
	}
	if (optind < argc ||
	    !!o->unix_path + !!o->tcp_addr + !!o->vde_dir > 1 ||
	    (!o->unix_path && !o->tcp_addr && !o->vde_dir && !o->vhost_path &&
	     !o->direct)) {
		fprintf(stderr,
			"%s: need --direct, --vhost and/or one of --unix, --tcp, --vde\n",
			argv[0]);
		return -EINVAL;
	}
	if (o->rx_vhost_path && !o->vhost_path) {
		fprintf(stderr, "%s: --rx-vhost needs --vhost\n", argv[0]);
		return -EINVAL;
	}
	if (o->rx_unix_path && (!o->unix_path || o->pingpong || o->probe)) {
		fprintf(stderr,
			"%s: --rx-unix needs --unix, and -P 0 without --probe (throughput tests only)\n",
			argv[0]);
		return -EINVAL;
	}
	if (o->vde_dir && !vde_supported()) {
		fprintf(stderr, "%s: --vde: built without libvdeplug\n",
			argv[0]);
		return -EINVAL;
	}
	return 0;
}

static const char *status(int err)
{
	const char *name = err ? strerrorname_np(err) : "ok";

	return name ? name : "error";
}

static void print_result(const struct bench_result *r, bool probe)
{
	char cpu[32] = "-", drop[32] = "-", att[48] = "";
	long long loss = (long long)r->sent - (long long)r->received;

	if (r->cpu_us >= 0)
		snprintf(cpu, sizeof(cpu), "%.3f", r->cpu_us);
	if (r->sw_drop >= 0)
		snprintf(drop, sizeof(drop), "%lld", r->sw_drop);
	if (r->attach_ms >= 0)
		snprintf(att, sizeof(att), " attach_ms=%.1f", r->attach_ms);
	else if (probe)
		snprintf(att, sizeof(att), " attach_ms=-");
	if (!strcmp(r->test, "pingpong")) {
		printf("RESULT test=pingpong mode=%s transport=%s pairs=1 "
		       "size=%zu n=%llu warmup=%llu lost=%llu p50_us=%.1f "
		       "p99_us=%.1f sw_cpu_us_per_frame=%s status=%s\n",
		       r->mode, r->transport, r->size,
		       (unsigned long long)r->received,
		       (unsigned long long)r->pp_warmup,
		       (unsigned long long)r->pp_lost, r->p50, r->p99, cpu,
		       status(r->err));
	} else {
		printf("RESULT test=tput mode=%s transport=%s pairs=%u size=%zu "
		       "seconds=%.3f sent=%llu received=%llu loss=%lld "
		       "loss_pct=%.3f fps=%.0f mbps=%.1f writes_per_frame=%.3f "
		       "rx_calls_per_frame=%.3f reordered=%llu bad=%llu "
		       "sw_cpu_us_per_frame=%s sw_drop=%s status=%s "
		       "sw_drop_reasons=%s%s\n",
		       r->mode, r->transport, r->pairs, r->size, r->elapsed,
		       (unsigned long long)r->sent,
		       (unsigned long long)r->received, loss,
		       r->sent ? 100.0 * (double)loss / (double)r->sent : 0.0,
		       r->fps, r->mbps, r->writes_per_frame,
		       r->rx_calls_per_frame, (unsigned long long)r->reordered,
		       (unsigned long long)r->bad, cpu, drop, status(r->err),
		       r->sw_reasons[0] ? r->sw_reasons : "-", att);
	}
	fflush(stdout);
}

static const struct bench_result *find(const struct bench_result *res,
				       unsigned n, const char *test,
				       enum bench_target t, unsigned pairs,
				       size_t size)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(res[i].test, test) && res[i].target == t &&
		    res[i].pairs == pairs && res[i].size == size)
			return &res[i];
	return NULL;
}

/* How tables and progress lines name a target. */
static const char *target_name(enum bench_target t)
{
	static const char *const names[BENCH_NTARGETS] = {
		[BENCH_DIRECT] = "direct",
		[BENCH_SWITCH] = "switch",
		[BENCH_VHOST] = "vhost-user",
	};

	return names[t];
}

/* Format @v with @prec decimals into @buf, or "-" when not @ok. */
static void cell(char *buf, size_t len, int prec, double v, bool ok)
{
	if (ok)
		snprintf(buf, len, "%.*f", prec, v);
	else
		snprintf(buf, len, "-");
}

static void print_tput_row(const struct bench_result *d,
			   const struct bench_result *s, unsigned pairs,
			   size_t size)
{
	char dfps[32], sfps[32], ratio[32], dmb[32], smb[32], loss[48];
	char cpu[32], drop[32];
	long long lost = s ? (long long)s->sent - (long long)s->received : 0;

	cell(dfps, sizeof(dfps), 0, d ? d->fps : 0, d && !d->err);
	cell(sfps, sizeof(sfps), 0, s ? s->fps : 0, s && !s->err);
	cell(ratio, sizeof(ratio), 2,
	     d && s && d->fps > 0 ? s->fps / d->fps : 0,
	     d && s && !d->err && !s->err);
	cell(dmb, sizeof(dmb), 0, d ? d->mbps : 0, d && !d->err);
	cell(smb, sizeof(smb), 0, s ? s->mbps : 0, s && !s->err);
	cell(cpu, sizeof(cpu), 2, s ? s->cpu_us : 0, s && s->cpu_us >= 0);
	cell(drop, sizeof(drop), 0, s ? (double)s->sw_drop : 0,
	     s && s->sw_drop >= 0);
	if (s && s->err)
		snprintf(loss, sizeof(loss), "%s", status(s->err));
	else if (s)
		snprintf(loss, sizeof(loss), "%lld (%.2f%%)", lost,
			 s->sent ? 100.0 * (double)lost / (double)s->sent : 0);
	else
		snprintf(loss, sizeof(loss), "-");
	printf("| %u x %zu B | %s | %s | %s | %s | %s | %s | %s | %s |\n",
	       pairs, size, dfps, sfps, ratio, dmb, smb, loss, drop, cpu);
}

/*
 * Throughput of target @b beside target @a (the ratio is b / a), named @an
 * and @bn in the header.
 */
static void print_tput_table(const struct bench_opts *o,
			     const struct bench_result *res, unsigned n,
			     enum bench_target a, enum bench_target b,
			     const char *an, const char *bn)
{
	unsigned i, j;

	printf("\n| pairs x size | %s fps | %s fps | ratio | %s Mbit/s "
	       "| %s Mbit/s | %s loss | %s queue drops | %s CPU us/frame |\n"
	       "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
	       an, bn, an, bn, bn, bn, bn);
	for (i = 0; i < o->npairs; i++)
		for (j = 0; j < o->nsizes; j++)
			print_tput_row(find(res, n, "tput", a, o->pairs[i],
					    o->sizes[j]),
				       find(res, n, "tput", b, o->pairs[i],
					    o->sizes[j]),
				       o->pairs[i], o->sizes[j]);
}

/* Point out loss that the switch's own drop counters do not explain. */
static void print_unexplained(const struct bench_result *res, unsigned n)
{
	long long lost;
	unsigned i;

	for (i = 0; i < n; i++) {
		lost = (long long)res[i].sent - (long long)res[i].received;
		if (strcmp(res[i].test, "tput") || res[i].sw_drop < 0 ||
		    res[i].err || lost == res[i].sw_drop)
			continue;
		printf("note: %s %u x %zu B: %lld frames lost, the switch "
		       "counted %lld drops (%s)\n",
		       target_name(res[i].target), res[i].pairs, res[i].size,
		       lost, res[i].sw_drop, res[i].sw_reasons);
	}
}

/* Direct and switch columns always, vhost-user ones when it ran. */
static void print_pp_table(const struct bench_opts *o, const bool *on,
			   const struct bench_result *res, unsigned n)
{
	const struct bench_result *r;
	char p50[32], p99[32];
	unsigned t;

	printf("\n| ping-pong |");
	for (t = 0; t < BENCH_NTARGETS; t++)
		if (t != BENCH_VHOST || on[t])
			printf(" %s p50 us | %s p99 us |", target_name(t),
			       target_name(t));
	printf("\n|---|");
	for (t = 0; t < BENCH_NTARGETS; t++)
		if (t != BENCH_VHOST || on[t])
			printf("--:|--:|");
	printf("\n| %u x %u B |", o->pingpong, o->pp_size);
	for (t = 0; t < BENCH_NTARGETS; t++) {
		if (t == BENCH_VHOST && !on[t])
			continue;
		r = find(res, n, "pingpong", t, 1, o->pp_size);
		cell(p50, sizeof(p50), 1, r ? r->p50 : 0, r && !r->err);
		cell(p99, sizeof(p99), 1, r ? r->p99 : 0, r && !r->err);
		printf(" %s | %s |", p50, p99);
	}
	printf("\n");
}

/*
 * Direct against switch as always; vhost-user against the stream (or VDE)
 * switch when both ran, else against direct.
 */
static void print_tables(const struct bench_opts *o, const bool *on,
			 const struct bench_result *res, unsigned n)
{
	bool base = on[BENCH_SWITCH];

	if (o->seconds > 0 && (on[BENCH_SWITCH] || !on[BENCH_VHOST]))
		print_tput_table(o, res, n, BENCH_DIRECT, BENCH_SWITCH,
				 "direct", "switch");
	if (o->seconds > 0 && on[BENCH_VHOST])
		print_tput_table(o, res, n, base ? BENCH_SWITCH : BENCH_DIRECT,
				 BENCH_VHOST,
				 base ? (o->vde_dir ? "vde" : "stream")
				      : "direct",
				 "vhost-user");
	print_unexplained(res, n);
	if (o->pingpong)
		print_pp_table(o, on, res, n);
}

/* Report a finished test. Return: whether it failed. */
static bool record(const struct bench_opts *o, const struct bench_result *r)
{
	fprintf(stderr, "ssbench: %s %s %u x %zu B: %s\n", r->test,
		target_name(r->target), r->pairs, r->size, status(r->err));
	print_result(r, o->probe && r->target != BENCH_DIRECT &&
				!strcmp(r->test, "tput"));
	return r->err != 0;
}

/**
 * struct extra - ports attached for the whole run (--idle, --fill-macs)
 * @t:		the target they attach to
 * @n:		entries used
 * @fd:		their fds
 * @rx:		their buffers (only @rx->vde or @rx->vhost is used: nothing
 *		is read)
 */
struct extra {
	enum bench_target t;
	unsigned n;
	int *fd;
	struct rx_buf *rx;
};

static int extra_attach(const struct bench_opts *o, struct extra *x)
{
	int fd = host_attach(o, x->t, false, &x->rx[x->n]);

	if (fd < 0)
		return fd;
	x->fd[x->n++] = fd;
	return 0;
}
/* One port sends o->fill_macs frames from distinct source MACs. */
static int fill_macs(const struct bench_opts *o, struct extra *x)
{
	static const uint8_t dst[6] = { 0x02, 0xfe, 0, 0, 0, 0 };
	uint8_t buf[BENCH_HDR_LEN + 64], src[6] = { 0x02, 0x01, 0, 0, 0, 0 };
	uint64_t w = 0;
	unsigned i;
	int ret;

	ret = extra_attach(o, x);
	if (ret)
		return ret;
	for (i = 0; i < o->fill_macs && !ret; i++) {
		src[3] = (uint8_t)(i >> 16);
		src[4] = (uint8_t)(i >> 8);
		src[5] = (uint8_t)i;
		frame_build(buf, dst, src, 64, 0xf111);
		ret = host_write(x->fd[x->n - 1], &x->rx[x->n - 1], buf,
				 sizeof(buf), &w);
		if (ret == -EAGAIN) {
			ret = 0;
			i--;
		}
	}
	usleep(500000); /* let the switch read and learn them */
	return ret;
}

static int extras_open(const struct bench_opts *o, struct extra *x)
{
	unsigned want = o->idle + !!o->fill_macs, i;
	struct rlimit rl;
	int ret = 0;

	x->n = 0;
	x->fd = calloc(want + 1, sizeof(*x->fd));
	x->rx = calloc(want + 1, sizeof(*x->rx));
	if (!x->fd || !x->rx)
		return -ENOMEM;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (o->fill_macs)
		ret = fill_macs(o, x);
	for (i = 0; i < o->idle && !ret; i++)
		ret = extra_attach(o, x);
	if (ret)
		fprintf(stderr, "ssbench: attaching extra port %u: %s\n", x->n,
			strerror(-ret));
	return ret;
}

static void extras_close(struct extra *x)
{
	unsigned i;

	for (i = 0; i < x->n; i++)
		host_detach(x->fd[i], &x->rx[i]);
	free(x->fd);
	free(x->rx);
}

static void note_skip(const struct bench_opts *o, enum bench_target t,
		      unsigned pairs, unsigned size)
{
	printf("note: %s %u x %u B skipped: above --max-frame %u%s\n",
	       target_name(t), pairs, size, o->max_frame,
	       t == BENCH_SWITCH && o->vde_dir
		       ? " (vde_switch truncates at 1518)"
		       : "");
}

int main(int argc, char **argv)
{
	static struct bench_result res[MAX_RESULTS];
	struct extra x = { 0 };
	struct bench_opts o;
	bool on[BENCH_NTARGETS], failed = false;
	unsigned i, j, t, n = 0;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try `%s --help'.\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	on[BENCH_DIRECT] = o.direct;
	on[BENCH_SWITCH] = o.unix_path || o.tcp_addr || o.vde_dir;
	on[BENCH_VHOST] = o.vhost_path;
	x.t = on[BENCH_SWITCH] ? BENCH_SWITCH : BENCH_VHOST;
	if ((on[BENCH_SWITCH] || on[BENCH_VHOST]) && (o.idle || o.fill_macs) &&
	    extras_open(&o, &x)) {
		extras_close(&x);
		return 1;
	}
	/* the targets alternate, so slow drifts of load hit all of them */
	for (i = 0; o.seconds > 0 && i < o.npairs; i++)
		for (j = 0; j < o.nsizes; j++)
			for (t = 0; t < BENCH_NTARGETS; t++) {
				if (!on[t])
					continue;
				if (t != BENCH_DIRECT && o.max_frame &&
				    o.sizes[j] > o.max_frame) {
					note_skip(&o, t, o.pairs[i],
						  o.sizes[j]);
					continue;
				}
				bench_tput(&o, t, o.pairs[i], o.sizes[j],
					   &res[n]);
				failed |= record(&o, &res[n++]);
			}
	for (t = 0; o.pingpong && t < BENCH_NTARGETS; t++) {
		if (!on[t])
			continue;
		bench_pingpong(&o, t, &res[n]);
		failed |= record(&o, &res[n++]);
	}
	if (n)
		print_tables(&o, on, res, n);
	if (o.hold > 0 && x.n) {
		printf("HOLD ports=%u\n", x.n);
		fflush(stdout);
		sleep_s(o.hold);
	}
	extras_close(&x);
	return failed ? 1 : 0;
}

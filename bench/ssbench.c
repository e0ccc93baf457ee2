// SPDX-License-Identifier: MIT
/*
 * ssbench.c - load generator for sockswitch: options, test matrix, output
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * Parses the command line, runs every (pairs, size) throughput test in
 * direct mode and/or through the switch, then the ping-pong test, prints one
 * RESULT line per test as it finishes and a Markdown table at the end.
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

#define MAX_RESULTS (2 * BENCH_MAX_LIST * BENCH_MAX_LIST + 2)

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [--unix PATH | --tcp HOST:PORT | --vde DIR] [--direct]\n"
		"       [OPTIONS]\n"
		"\n"
		"Load generator for sockswitch. Attaches 2*N simulated hosts (MAC\n"
		"02:00:00:00:00:NN) over the stream protocol (4-byte big-endian length +\n"
		"Ethernet frame, as QEMU -netdev stream/socket) or, with --vde, through\n"
		"libvdeplug (as QEMU -netdev vde), lets the switch learn them with one\n"
		"broadcast each, then host 2k sends to host 2k+1 for a fixed time, one\n"
		"frame per system call, each sender and receiver in its own thread.\n"
		"\n"
		"Targets (at least one):\n"
		"  -u, --unix PATH        switch listening on a unix stream socket\n"
		"  -t, --tcp HOST:PORT    switch listening on TCP ([ADDR]:PORT for IPv6)\n"
		"  -V, --vde DIR          VDE switch serving DIR (vde_switch -s DIR, or\n"
		"                         sockswitch --listen vde:DIR): hosts attach with\n"
		"                         libvdeplug vde_open(\"vde://DIR\"), one vde_send()\n"
		"                         and one vde_recv() per frame, like QEMU -netdev vde\n"
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
		"Output: one line per test on stdout, then a Markdown table:\n"
		"  RESULT test=tput mode=direct|switch pairs=N size=N seconds=F sent=N\n"
		"    received=N loss=N loss_pct=F fps=F mbps=F writes_per_frame=F\n"
		"    reordered=N bad=N sw_cpu_us_per_frame=F|- sw_drop=N|- status=ok|ERRNO\n"
		"    sw_drop_reasons=REASON:N,...|none|- [attach_ms=F|-]\n"
		"  RESULT test=pingpong mode=direct|switch pairs=1 size=N n=N warmup=N\n"
		"    lost=N p50_us=F p99_us=F sw_cpu_us_per_frame=F|- status=ok|ERRNO\n"
		"Exit status: 0 if every test ran cleanly, 1 if one failed, 2 on usage\n"
		"errors. Progress goes to stderr.\n",
		prog, BENCH_MIN_FRAME, BENCH_MAX_FRAME);
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
};

static const struct option long_opts[] = {
	{ "unix", required_argument, NULL, 'u' },
	{ "rx-unix", required_argument, NULL, OPT_RX_UNIX },
	{ "tcp", required_argument, NULL, 't' },
	{ "vde", required_argument, NULL, 'V' },
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
	    (!o->unix_path && !o->tcp_addr && !o->vde_dir && !o->direct)) {
		fprintf(stderr,
			"%s: need --direct and/or one of --unix, --tcp, --vde\n",
			argv[0]);
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
		printf("RESULT test=pingpong mode=%s pairs=1 size=%zu n=%llu "
		       "warmup=%llu lost=%llu p50_us=%.1f p99_us=%.1f "
		       "sw_cpu_us_per_frame=%s status=%s\n",
		       r->mode, r->size, (unsigned long long)r->received,
		       (unsigned long long)r->pp_warmup,
		       (unsigned long long)r->pp_lost, r->p50, r->p99, cpu,
		       status(r->err));
	} else {
		printf("RESULT test=tput mode=%s pairs=%u size=%zu seconds=%.3f "
		       "sent=%llu received=%llu loss=%lld loss_pct=%.3f "
		       "fps=%.0f mbps=%.1f writes_per_frame=%.3f "
		       "reordered=%llu bad=%llu sw_cpu_us_per_frame=%s "
		       "sw_drop=%s status=%s sw_drop_reasons=%s%s\n",
		       r->mode, r->pairs, r->size, r->elapsed,
		       (unsigned long long)r->sent,
		       (unsigned long long)r->received, loss,
		       r->sent ? 100.0 * (double)loss / (double)r->sent : 0.0,
		       r->fps, r->mbps, r->writes_per_frame,
		       (unsigned long long)r->reordered,
		       (unsigned long long)r->bad, cpu, drop, status(r->err),
		       r->sw_reasons[0] ? r->sw_reasons : "-", att);
	}
	fflush(stdout);
}

static const struct bench_result *find(const struct bench_result *res,
				       unsigned n, const char *test,
				       const char *mode, unsigned pairs,
				       size_t size)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(res[i].test, test) && !strcmp(res[i].mode, mode) &&
		    res[i].pairs == pairs && res[i].size == size)
			return &res[i];
	return NULL;
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
		       res[i].mode, res[i].pairs, res[i].size, lost,
		       res[i].sw_drop, res[i].sw_reasons);
	}
}

static void print_tables(const struct bench_opts *o,
			 const struct bench_result *res, unsigned n)
{
	const struct bench_result *d, *s;
	char buf[4][32];
	unsigned i, j;

	printf("\n| pairs x size | direct fps | switch fps | ratio "
	       "| direct Mbit/s | switch Mbit/s | switch loss "
	       "| switch queue drops | switch CPU us/frame |\n"
	       "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (i = 0; o->seconds > 0 && i < o->npairs; i++)
		for (j = 0; j < o->nsizes; j++)
			print_tput_row(find(res, n, "tput", "direct",
					    o->pairs[i], o->sizes[j]),
				       find(res, n, "tput", "switch",
					    o->pairs[i], o->sizes[j]),
				       o->pairs[i], o->sizes[j]);
	print_unexplained(res, n);
	if (!o->pingpong)
		return;
	d = find(res, n, "pingpong", "direct", 1, o->pp_size);
	s = find(res, n, "pingpong", "switch", 1, o->pp_size);
	cell(buf[0], 32, 1, d ? d->p50 : 0, d && !d->err);
	cell(buf[1], 32, 1, d ? d->p99 : 0, d && !d->err);
	cell(buf[2], 32, 1, s ? s->p50 : 0, s && !s->err);
	cell(buf[3], 32, 1, s ? s->p99 : 0, s && !s->err);
	printf("\n| ping-pong | direct p50 us | direct p99 us "
	       "| switch p50 us | switch p99 us |\n|---|--:|--:|--:|--:|\n"
	       "| %u x %u B | %s | %s | %s | %s |\n",
	       o->pingpong, o->pp_size, buf[0], buf[1], buf[2], buf[3]);
}

static void progress(const struct bench_result *r)
{
	fprintf(stderr, "ssbench: %s %s %u x %zu B: %s\n", r->test, r->mode,
		r->pairs, r->size, status(r->err));
}

/**
 * struct extra - ports attached for the whole run (--idle, --fill-macs)
 * @n:		entries used
 * @fd:		their fds
 * @rx:		their buffers (only @rx->vde is used: nothing is read)
 */
struct extra {
	unsigned n;
	int *fd;
	struct rx_buf *rx;
};

static int extra_attach(const struct bench_opts *o, struct extra *x)
{
	int fd = host_attach(o, &x->rx[x->n]);

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

static void note_skip(const struct bench_opts *o, unsigned pairs, unsigned size)
{
	printf("note: switch %u x %u B skipped: above --max-frame %u%s\n",
	       pairs, size, o->max_frame,
	       o->vde_dir ? " (vde_switch truncates at 1518)" : "");
}

int main(int argc, char **argv)
{
	static struct bench_result res[MAX_RESULTS];
	struct extra x = { 0 };
	struct bench_opts o;
	bool sw, failed = false;
	unsigned i, j, m, n = 0;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try `%s --help'.\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sw = o.unix_path || o.tcp_addr || o.vde_dir;
	if (sw && (o.idle || o.fill_macs) && extras_open(&o, &x)) {
		extras_close(&x);
		return 1;
	}
	/* direct and switch alternate, so slow drifts of load hit both */
	for (i = 0; o.seconds > 0 && i < o.npairs; i++)
		for (j = 0; j < o.nsizes; j++)
			for (m = !o.direct; m < 1u + sw; m++) {
				if (m && o.max_frame &&
				    o.sizes[j] > o.max_frame) {
					note_skip(&o, o.pairs[i], o.sizes[j]);
					continue;
				}
				bench_tput(&o, m, o.pairs[i], o.sizes[j],
					   &res[n]);
				progress(&res[n]);
				print_result(&res[n], o.probe && m);
				failed |= res[n++].err != 0;
			}
	for (m = !o.direct; o.pingpong && m < 1u + sw; m++) {
		bench_pingpong(&o, m, &res[n]);
		progress(&res[n]);
		print_result(&res[n], false);
		failed |= res[n++].err != 0;
	}
	if (n)
		print_tables(&o, res, n);
	if (o.hold > 0 && x.n) {
		printf("HOLD ports=%u\n", x.n);
		fflush(stdout);
		sleep_s(o.hold);
	}
	extras_close(&x);
	return failed ? 1 : 0;
}

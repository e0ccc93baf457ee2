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

#include "ssbench.h"

#define MAX_RESULTS (2 * BENCH_MAX_LIST * BENCH_MAX_LIST + 2)

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [--unix PATH | --tcp HOST:PORT] [--direct] [OPTIONS]\n"
		"\n"
		"Load generator for sockswitch. Attaches 2*N simulated hosts (MAC\n"
		"02:00:00:00:00:NN) over the stream protocol (4-byte big-endian length +\n"
		"Ethernet frame, as QEMU -netdev stream/socket), lets the switch learn them\n"
		"with one broadcast each, then host 2k sends to host 2k+1 for a fixed time,\n"
		"one frame per write(), each sender and receiver in its own thread.\n"
		"\n"
		"Targets (at least one):\n"
		"  -u, --unix PATH        switch listening on a unix stream socket\n"
		"  -t, --tcp HOST:PORT    switch listening on TCP ([ADDR]:PORT for IPv6)\n"
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
		"Switch probes (optional):\n"
		"      --switch-pid PID   report the switch's CPU time per frame\n"
		"      --switch-log FILE  with --switch-pid: send SIGUSR1 after each test and\n"
		"                         sum drop_tx_queue_full from the stats in FILE\n"
		"  -h, --help             this text\n"
		"\n"
		"Output: one line per test on stdout, then a Markdown table:\n"
		"  RESULT test=tput mode=direct|switch pairs=N size=N seconds=F sent=N\n"
		"    received=N loss=N loss_pct=F fps=F mbps=F writes_per_frame=F\n"
		"    reordered=N bad=N sw_cpu_us_per_frame=F|- sw_drop=N|- status=ok|ERRNO\n"
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

enum { OPT_PP_SIZE = 256, OPT_DRAIN, OPT_SW_PID, OPT_SW_LOG };

static const struct option long_opts[] = {
	{ "unix", required_argument, NULL, 'u' },
	{ "tcp", required_argument, NULL, 't' },
	{ "direct", no_argument, NULL, 'd' },
	{ "pairs", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 's' },
	{ "seconds", required_argument, NULL, 'S' },
	{ "pingpong", required_argument, NULL, 'P' },
	{ "pp-size", required_argument, NULL, OPT_PP_SIZE },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "switch-pid", required_argument, NULL, OPT_SW_PID },
	{ "switch-log", required_argument, NULL, OPT_SW_LOG },
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
	case 't':
		o->tcp_addr = arg;
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
	while ((c = getopt_long(argc, argv, "u:t:dp:s:S:P:h", long_opts,
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
	if (optind < argc || (o->unix_path && o->tcp_addr) ||
	    (!o->unix_path && !o->tcp_addr && !o->direct)) {
		fprintf(stderr,
			"%s: need --direct and/or one of --unix, --tcp\n",
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

static void print_result(const struct bench_result *r)
{
	char cpu[32] = "-", drop[32] = "-";
	long long loss = (long long)r->sent - (long long)r->received;

	if (r->cpu_us >= 0)
		snprintf(cpu, sizeof(cpu), "%.3f", r->cpu_us);
	if (r->sw_drop >= 0)
		snprintf(drop, sizeof(drop), "%lld", r->sw_drop);
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
		       "sw_drop=%s status=%s\n",
		       r->mode, r->pairs, r->size, r->elapsed,
		       (unsigned long long)r->sent,
		       (unsigned long long)r->received, loss,
		       r->sent ? 100.0 * (double)loss / (double)r->sent : 0.0,
		       r->fps, r->mbps, r->writes_per_frame,
		       (unsigned long long)r->reordered,
		       (unsigned long long)r->bad, cpu, drop, status(r->err));
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
		       "counted %lld drop_tx_queue_full\n",
		       res[i].mode, res[i].pairs, res[i].size, lost,
		       res[i].sw_drop);
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

int main(int argc, char **argv)
{
	static struct bench_result res[MAX_RESULTS];
	struct bench_opts o;
	bool sw, failed = false;
	unsigned i, j, m, n = 0;

	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try `%s --help'.\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sw = o.unix_path || o.tcp_addr;
	/* direct and switch alternate, so slow drifts of load hit both */
	for (i = 0; o.seconds > 0 && i < o.npairs; i++)
		for (j = 0; j < o.nsizes; j++)
			for (m = !o.direct; m < 1u + sw; m++) {
				bench_tput(&o, m, o.pairs[i], o.sizes[j],
					   &res[n]);
				progress(&res[n]);
				print_result(&res[n]);
				failed |= res[n++].err != 0;
			}
	for (m = !o.direct; o.pingpong && m < 1u + sw; m++) {
		bench_pingpong(&o, m, &res[n]);
		progress(&res[n]);
		print_result(&res[n]);
		failed |= res[n++].err != 0;
	}
	print_tables(&o, res, n);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: MIT
/*
 * ssbench_test.c - the throughput and ping-pong tests of ssbench
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * Owns one test run: attaching the simulated hosts (to the switch, or
 * pairwise over socketpairs in direct mode), the sender and receiver
 * threads, timing, and turning counters into a struct bench_result.
 *
 * DOC: Theory of Operation
 * Every sender thread writes one length-prefixed frame per write() to its
 * socket, as QEMU does, until the run phase ends (a vhost-user sender puts
 * a batch into its TX ring per kick instead, as a guest driver does). Every
 * receiver thread reads up to 256 KiB per read(), reassembles frames and
 * counts them by sequence number, so loss is exact: sent - received. After
 * the senders stop, the receivers keep reading until the last sequence
 * number arrived or nothing came for --drain seconds.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ssbench.h"

#define SENT_UNKNOWN UINT64_MAX
#define LEARN_LIMIT_S 5.0
#define SND_TIMEOUT_MS 200
#define RCV_TIMEOUT_MS 50
#define PP_WARMUP 200
#define PP_TIMEOUT_S 1.0
#define PROBE_A 240 /* host index of the client attached during a test */
#define PROBE_B 241 /* host index of the idle host it sends to */
#define PROBE_FLOW 0x70726f62u
#define PROBE_TIMEOUT_S 2.0

enum run_phase {
	PHASE_RUN,
	PHASE_STOP,
};

/**
 * struct run_ctl - shared state of one test run
 * @phase:	enum run_phase
 * @start:	all threads and the main thread meet here before timing starts
 * @t_stop:	when @phase became PHASE_STOP (written before it)
 * @drain:	receivers give up this long after the last frame or @t_stop
 */
struct run_ctl {
	atomic_int phase;
	pthread_barrier_t start;
	double t_stop;
	double drain;
};

/**
 * struct hosts - the simulated hosts of one test
 * @n:		how many; host i has MAC 02:00:00:00:00:(i+1)
 * @fd:		each host's stream socket
 * @rx:		each host's reassembly buffer
 */
struct hosts {
	unsigned n;
	int fd[BENCH_MAX_HOSTS];
	struct rx_buf rx[BENCH_MAX_HOSTS];
};

/**
 * struct flow - one pair: host 2k sends to host 2k+1
 * @ctl:	run state
 * @id:		k
 * @tx_fd:	sender's socket
 * @tx:		sender's buffer (host_write() needs its VDE connection)
 * @count:	frames to send, 0 = until the run phase ends
 * @rx_delay_us: receiver sleeps this long after every read
 * @rx_fd:	receiver's socket
 * @rx:		receiver's reassembly buffer
 * @src:	sender's MAC
 * @dst:	receiver's MAC
 * @size:	frame length
 * @sent:	frames completely written
 * @writes:	system calls made by the sender
 * @rx_calls:	system calls made by the receiver
 * @tx_err:	sender's errno, 0 if none
 * @sent_final:	@sent published when the sender is done, else SENT_UNKNOWN
 * @received:	frames received in sequence (duplicates not counted)
 * @next_seq:	sequence number expected next
 * @reordered:	frames older than @next_seq
 * @bad:	frames of this flow with wrong addresses or torn boundaries
 * @t_last_rx:	time of the last read that returned data
 * @rx_err:	receiver's errno, 0 if none
 */
struct flow {
	struct run_ctl *ctl;
	uint32_t id;
	int tx_fd;
	const struct rx_buf *tx;
	uint64_t count;
	unsigned rx_delay_us;
	int rx_fd;
	struct rx_buf *rx;
	uint8_t src[6];
	uint8_t dst[6];
	size_t size;
	uint64_t sent;
	uint64_t writes;
	uint64_t rx_calls;
	int tx_err;
	_Atomic uint64_t sent_final;
	uint64_t received;
	uint64_t next_seq;
	uint64_t reordered;
	uint64_t bad;
	double t_last_rx;
	int rx_err;
};

static void hosts_close(struct hosts *h)
{
	unsigned i;

	for (i = 0; i < h->n; i++) {
		host_detach(h->fd[i], &h->rx[i]);
		h->fd[i] = -1;
		rx_buf_fini(&h->rx[i]);
	}
	h->n = 0;
}

/* Direct link: loopback TCP when the switch is tested over TCP, else unix. */
static int direct_pair(const struct bench_opts *o, int sv[2])
{
	if (o->tcp_addr)
		return tcp_pair(sv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	return 0;
}

/**
 * hosts_open() - create and attach @n simulated hosts
 * @o:		options (switch address)
 * @t:		attach to this switch; BENCH_DIRECT: connect 2k and 2k+1
 *		directly (unix socketpair, or loopback TCP when @o names a TCP
 *		switch)
 * @n:		number of hosts, even
 * @h:		output
 *
 * Return: 0 on success, negative error code on failure (nothing left open)
 */
static int hosts_open(const struct bench_opts *o, enum bench_target t,
		      unsigned n, struct hosts *h)
{
	bool sw = t != BENCH_DIRECT;
	int ret = 0, sv[2];
	unsigned i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < n; i++)
		h->fd[i] = -1;
	h->n = n;
	for (i = 0; i < n && !ret; i++) {
		ret = rx_buf_init(&h->rx[i]);
		if (ret)
			break;
		h->rx[i].chunk = o->rx_chunk;
		if (!sw && i % 2 == 0) {
			ret = direct_pair(o, sv);
			if (ret)
				break;
			h->fd[i] = sv[0];
			h->fd[i + 1] = sv[1];
		} else if (sw) {
			h->fd[i] = host_attach(o, t, i % 2, &h->rx[i]);
			ret = h->fd[i] < 0 ? h->fd[i] : 0;
		}
		if (!ret)
			ret = host_timeouts(h->fd[i], &h->rx[i], SND_TIMEOUT_MS,
					    RCV_TIMEOUT_MS);
	}
	if (!ret && sw)
		ret = learn_hosts(h->fd, h->rx, n, LEARN_LIMIT_S);
	if (ret)
		hosts_close(h);
	return ret;
}

static void *sender_main(void *arg)
{
	struct flow *f = arg;
	size_t total = BENCH_HDR_LEN + f->size;
	uint8_t *buf = malloc(total);
	uint64_t seq = 0;
	unsigned max;
	int ret;

	if (buf)
		frame_build(buf, f->dst, f->src, f->size, f->id);
	else
		f->tx_err = ENOMEM;
	pthread_barrier_wait(&f->ctl->start);
	while (buf && (!f->count || seq < f->count) &&
	       atomic_load_explicit(&f->ctl->phase, memory_order_relaxed) ==
		       PHASE_RUN) {
		max = f->count && f->count - seq < BENCH_SEND_BURST
			      ? (unsigned)(f->count - seq)
			      : BENCH_SEND_BURST;
		ret = host_send(f->tx_fd, f->tx, buf, total, seq, max,
				&f->writes);
		if (ret == -EAGAIN)
			continue;
		if (ret < 0) {
			f->tx_err = -ret;
			break;
		}
		seq += (uint64_t)ret;
	}
	f->sent = seq;
	atomic_store(&f->sent_final, seq);
	free(buf);
	return NULL;
}

static void flow_account(struct flow *f, const uint8_t *fr, size_t len)
{
	struct bench_frame bf;

	if (!frame_parse(fr, len, &bf))
		return; /* late learning broadcasts and the like */
	if (bf.flow != f->id || !bf.intact || len != f->size ||
	    memcmp(fr, f->dst, 6) || memcmp(fr + 6, f->src, 6)) {
		f->bad++;
		return;
	}
	if (bf.seq < f->next_seq) {
		f->reordered++;
		return;
	}
	f->next_seq = bf.seq + 1;
	f->received++;
}

static bool receiver_done(const struct flow *f)
{
	uint64_t sent;
	double last;

	if (atomic_load(&f->ctl->phase) != PHASE_STOP)
		return false;
	sent = atomic_load(&f->sent_final);
	if (sent != SENT_UNKNOWN && f->next_seq >= sent)
		return true;
	last = fmax(f->t_last_rx, f->ctl->t_stop);
	return now_s() - last > f->ctl->drain;
}

static void *receiver_main(void *arg)
{
	struct flow *f = arg;
	const uint8_t *fr;
	size_t len;
	ssize_t n;

	pthread_barrier_wait(&f->ctl->start);
	f->rx->calls = 0;
	do {
		n = rx_buf_fill(f->rx_fd, f->rx);
		if (n == 0) {
			f->rx_err = ECONNRESET;
			break;
		}
		if (n < 0 && n != -EAGAIN && n != -EINTR) {
			f->rx_err = (int)-n;
			break;
		}
		if (n < 0)
			continue;
		f->t_last_rx = now_s();
		if (f->rx_delay_us)
			usleep(f->rx_delay_us);
		while ((fr = rx_buf_next(f->rx, &len)))
			flow_account(f, fr, len);
		if (f->rx->bad_len) {
			f->rx_err = EPROTO;
			break;
		}
	} while (!receiver_done(f));
	f->rx_calls = f->rx->calls;
	return NULL;
}

/**
 * sleep_s() - sleep, resuming after signals
 * @s:	seconds
 */
void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void flows_setup(const struct bench_opts *o, struct flow *fl,
			unsigned pairs, struct hosts *h, struct run_ctl *ctl,
			size_t size)
{
	unsigned k;

	for (k = 0; k < pairs; k++) {
		fl[k].ctl = ctl;
		fl[k].id = k;
		fl[k].tx_fd = h->fd[2 * k];
		fl[k].tx = &h->rx[2 * k];
		fl[k].count = o->count;
		fl[k].rx_delay_us = o->rx_delay_us;
		fl[k].rx_fd = h->fd[2 * k + 1];
		fl[k].rx = &h->rx[2 * k + 1];
		host_mac(fl[k].src, 2 * k);
		host_mac(fl[k].dst, 2 * k + 1);
		fl[k].size = size;
		atomic_init(&fl[k].sent_final, SENT_UNKNOWN);
	}
}

static void flows_sum(const struct flow *fl, unsigned pairs, double t0,
		      struct bench_result *r)
{
	double last = t0;
	unsigned k;

	for (k = 0; k < pairs; k++) {
		r->sent += fl[k].sent;
		r->received += fl[k].received;
		r->writes += fl[k].writes;
		r->rx_calls += fl[k].rx_calls;
		r->reordered += fl[k].reordered;
		r->bad += fl[k].bad;
		if (fl[k].t_last_rx > last)
			last = fl[k].t_last_rx;
		if (!r->err)
			r->err = fl[k].tx_err ? fl[k].tx_err : fl[k].rx_err;
	}
	r->elapsed = last - t0;
	if (r->elapsed > 0) {
		r->fps = (double)r->received / r->elapsed;
		r->mbps = r->fps * (double)r->size * 8 / 1e6;
	}
	if (r->sent)
		r->writes_per_frame = (double)r->writes / (double)r->sent;
	if (r->received)
		r->rx_calls_per_frame =
			(double)r->rx_calls / (double)r->received;
}

/**
 * struct probe - the control-path probe of --probe
 * @fd:		host B's fd, attached before the test, or -1
 * @rx:		its buffer
 * @ms:		attach-to-delivery time of the last probe, -1 if none
 */
struct probe {
	int fd;
	struct rx_buf rx;
	double ms;
};

static void probe_close(struct probe *p)
{
	host_detach(p->fd, &p->rx);
	rx_buf_fini(&p->rx);
	p->fd = -1;
}

/* Attach host B to @t and let it learn B. Return: 0 or -errno. */
static int probe_open(const struct bench_opts *o, enum bench_target t,
		      struct probe *p)
{
	uint8_t buf[BENCH_HDR_LEN + 64];
	uint64_t w = 0;
	double end;
	int ret;

	p->fd = -1;
	p->ms = -1;
	ret = rx_buf_init(&p->rx);
	if (ret)
		return ret;
	p->fd = host_attach(o, t, false, &p->rx);
	ret = p->fd < 0 ? p->fd
			: host_timeouts(p->fd, &p->rx, SND_TIMEOUT_MS, 20);
	if (!ret)
		ret = host_write(p->fd, &p->rx, buf, arp_build(buf, PROBE_B),
				 &w);
	for (end = now_s() + 0.1; !ret && now_s() < end;) {
		if (rx_buf_fill(p->fd, &p->rx) == 0)
			ret = -ECONNRESET;
		p->rx.off = p->rx.have; /* discard */
	}
	if (ret)
		probe_close(p);
	return ret;
}

/* Wait on B for the probe frame. Return: 0, -ETIMEDOUT or -errno. */
static int probe_wait(struct probe *p, double deadline)
{
	struct bench_frame bf;
	const uint8_t *fr;
	size_t len;
	ssize_t n;

	while (now_s() < deadline) {
		n = rx_buf_fill(p->fd, &p->rx);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			return (int)n;
		while ((fr = rx_buf_next(&p->rx, &len)))
			if (frame_parse(fr, len, &bf) && bf.flow == PROBE_FLOW)
				return 0;
	}
	return -ETIMEDOUT;
}

/*
 * Attach a new client A, send one frame from it to B, time until B has it.
 * Sets p->ms (-1 if the frame did not arrive within PROBE_TIMEOUT_S).
 */
static void probe_run(const struct bench_opts *o, enum bench_target t,
		      struct probe *p)
{
	uint8_t buf[BENCH_HDR_LEN + 64], a[6], b[6];
	double t0 = now_s();
	struct rx_buf arx;
	uint64_t w = 0;
	int fd, ret;

	p->ms = -1;
	if (rx_buf_init(&arx))
		return;
	fd = host_attach(o, t, false, &arx);
	ret = fd < 0 ? fd : host_timeouts(fd, &arx, SND_TIMEOUT_MS, 20);
	host_mac(a, PROBE_A);
	host_mac(b, PROBE_B);
	frame_build(buf, b, a, 64, PROBE_FLOW);
	if (!ret)
		ret = host_write(fd, &arx, buf, BENCH_HDR_LEN + 64, &w);
	if (!ret)
		ret = probe_wait(p, t0 + PROBE_TIMEOUT_S);
	if (!ret)
		p->ms = (now_s() - t0) * 1e3;
	host_detach(fd, &arx);
	rx_buf_fini(&arx);
}

/* Count mode: wait until every sender has sent its frames or @limit s. */
static void wait_senders(struct flow *fl, unsigned pairs, double limit)
{
	double end = now_s() + limit;
	unsigned k;

	do {
		for (k = 0; k < pairs; k++)
			if (atomic_load(&fl[k].sent_final) == SENT_UNKNOWN)
				break;
		if (k == pairs)
			return;
		usleep(10000);
	} while (now_s() < end);
}

/*
 * Start 2 * @pairs threads, let them run for o->seconds (or, with
 * o->count, until every sender is done), join them. With @p, probe the
 * control path half-way through.
 */
static int flows_run(const struct bench_opts *o, enum bench_target t,
		     struct flow *fl, unsigned pairs, struct run_ctl *ctl,
		     double *t0, double *cpu, struct probe *p)
{
	pthread_t thr[BENCH_MAX_HOSTS];
	unsigned k, started = 0;
	double c0;
	int ret = 0;

	atomic_init(&ctl->phase, PHASE_RUN);
	ctl->drain = o->drain;
	ctl->t_stop = 0;
	if (pthread_barrier_init(&ctl->start, NULL, 2 * pairs + 1))
		return -ENOMEM;
	for (k = 0; k < pairs && !ret; k++) {
		ret = -pthread_create(&thr[started], NULL, sender_main, &fl[k]);
		started += !ret;
		if (!ret)
			ret = -pthread_create(&thr[started], NULL,
					      receiver_main, &fl[k]);
		started += !ret;
	}
	if (ret) /* cannot happen in practice; the barrier would hang */
		abort();
	pthread_barrier_wait(&ctl->start);
	*t0 = now_s();
	c0 = proc_cpu_s(o->switch_pid);
	if (o->count) {
		wait_senders(fl, pairs, o->seconds);
	} else if (p) {
		sleep_s(o->seconds / 2);
		probe_run(o, t, p);
		if (now_s() < *t0 + o->seconds)
			sleep_s(*t0 + o->seconds - now_s());
	} else {
		sleep_s(o->seconds);
	}
	ctl->t_stop = now_s();
	atomic_store(&ctl->phase, PHASE_STOP);
	for (k = 0; k < started; k++)
		pthread_join(thr[k], NULL);
	*cpu = c0 >= 0 ? proc_cpu_s(o->switch_pid) - c0 : -1;
	pthread_barrier_destroy(&ctl->start);
	return 0;
}

/* Start @r: nothing measured yet. */
static void result_init(const struct bench_opts *o, enum bench_target t,
			const char *test, unsigned pairs, size_t size,
			struct bench_result *r)
{
	memset(r, 0, sizeof(*r));
	r->test = test;
	r->mode = t == BENCH_DIRECT ? "direct" : "switch";
	r->target = t;
	if (t == BENCH_VHOST)
		r->transport = "vhost-user";
	else if (t == BENCH_SWITCH && o->vde_dir)
		r->transport = "vde";
	else
		r->transport = "stream";
	r->pairs = pairs;
	r->size = size;
	r->cpu_us = -1;
	r->sw_drop = -1;
	r->attach_ms = -1;
}

/**
 * bench_tput() - one throughput test
 * @o:		options
 * @t:		through this switch (BENCH_DIRECT: direct socketpairs)
 * @pairs:	number of sender/receiver pairs
 * @size:	frame length
 * @r:		result, filled in (r->err set on failure)
 */
void bench_tput(const struct bench_opts *o, enum bench_target t, unsigned pairs,
		size_t size, struct bench_result *r)
{
	struct hosts *h = calloc(1, sizeof(*h));
	struct flow *fl = calloc(pairs, sizeof(*fl));
	struct probe pr = { .fd = -1, .ms = -1 };
	bool sw = t != BENCH_DIRECT, probe = sw && o->probe && !o->count;
	struct run_ctl ctl;
	double t0, cpu;
	int ret;

	result_init(o, t, "tput", pairs, size, r);
	if (!h || !fl) {
		r->err = ENOMEM;
		goto out;
	}
	ret = hosts_open(o, t, 2 * pairs, h);
	if (ret) {
		r->err = -ret;
		goto out;
	}
	if (probe) {
		ret = probe_open(o, t, &pr);
		if (ret) {
			r->err = -ret;
			hosts_close(h);
			goto out;
		}
	}
	flows_setup(o, fl, pairs, h, &ctl, size);
	flows_run(o, t, fl, pairs, &ctl, &t0, &cpu, probe ? &pr : NULL);
	flows_sum(fl, pairs, t0, r);
	r->attach_ms = pr.ms;
	if (sw && cpu >= 0 && r->received)
		r->cpu_us = cpu * 1e6 / (double)r->received;
	if (sw)
		r->sw_drop =
			switch_stats(o->switch_pid, o->switch_log,
				     h->n + probe + o->idle + !!o->fill_macs,
				     r->sw_reasons, sizeof(r->sw_reasons));
	if (probe)
		probe_close(&pr);
	hosts_close(h);
out:
	free(fl);
	free(h);
}

/**
 * struct echo - the ping-pong responder (host 1)
 * @ctl:	run state
 * @fd:		its socket
 * @rx:		its reassembly buffer
 * @err:	errno, 0 if none
 */
struct echo {
	struct run_ctl *ctl;
	int fd;
	struct rx_buf *rx;
	int err;
};

static int echo_frames(struct echo *e, uint8_t *out)
{
	struct bench_frame bf;
	const uint8_t *fr;
	uint64_t writes = 0;
	size_t len, total;
	int ret;

	while ((fr = rx_buf_next(e->rx, &len))) {
		if (!frame_parse(fr, len, &bf))
			continue;
		/* reply to the source, from the destination */
		total = frame_build(out, fr + 6, fr, len, bf.flow);
		frame_set_seq(out + BENCH_HDR_LEN, len, bf.seq);
		do
			ret = host_write(e->fd, e->rx, out, total, &writes);
		while (ret == -EAGAIN &&
		       atomic_load(&e->ctl->phase) == PHASE_RUN);
		if (ret < 0)
			return ret;
	}
	return e->rx->bad_len ? -EPROTO : 0;
}

static void *echo_main(void *arg)
{
	uint8_t *out = malloc(BENCH_HDR_LEN + BENCH_MAX_FRAME);
	struct echo *e = arg;
	ssize_t n;
	int ret;

	if (!out) {
		e->err = ENOMEM;
		return NULL;
	}
	while (atomic_load(&e->ctl->phase) == PHASE_RUN) {
		n = rx_buf_fill(e->fd, e->rx);
		if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR)) {
			e->err = n ? (int)-n : ECONNRESET;
			break;
		}
		ret = echo_frames(e, out);
		if (ret < 0) {
			e->err = -ret;
			break;
		}
	}
	free(out);
	return NULL;
}

/* Wait for the reply carrying @seq. Return: 0, -EAGAIN on timeout, -errno */
static int pp_wait(int fd, struct rx_buf *rx, uint64_t seq)
{
	double deadline = now_s() + PP_TIMEOUT_S;
	struct bench_frame bf;
	const uint8_t *fr;
	size_t len;
	ssize_t n;

	for (;;) {
		while ((fr = rx_buf_next(rx, &len)))
			if (frame_parse(fr, len, &bf) && bf.seq == seq)
				return 0;
		if (rx->bad_len)
			return -EPROTO;
		if (now_s() > deadline)
			return -EAGAIN;
		n = rx_buf_fill(fd, rx);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && n != -EAGAIN && n != -EINTR)
			return (int)n;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n);

	return n ? v[rank ? rank - 1 : 0] : 0;
}

/* Timed round trips from host 0. Return: 0 or negative error code. */
static int pp_loop(const struct bench_opts *o, struct hosts *h, double *rtt,
		   struct bench_result *r)
{
	uint8_t *buf = malloc(BENCH_HDR_LEN + o->pp_size), m0[6], m1[6];
	uint64_t i, writes = 0;
	size_t total, k = 0;
	double t1;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	host_mac(m0, 0);
	host_mac(m1, 1);
	total = frame_build(buf, m1, m0, o->pp_size, 0);
	for (i = 0; i < PP_WARMUP + (uint64_t)o->pingpong && !ret; i++) {
		frame_set_seq(buf + BENCH_HDR_LEN, o->pp_size, i);
		t1 = now_s();
		ret = host_write(h->fd[0], &h->rx[0], buf, total, &writes);
		if (!ret)
			ret = pp_wait(h->fd[0], &h->rx[0], i);
		if (ret == -EAGAIN) {
			r->pp_lost += i >= PP_WARMUP;
			ret = 0;
		} else if (!ret && i >= PP_WARMUP) {
			rtt[k++] = (now_s() - t1) * 1e6;
		}
	}
	r->received = k;
	r->sent = k + r->pp_lost;
	r->pp_warmup = PP_WARMUP;
	free(buf);
	return ret;
}

/**
 * bench_pingpong() - round-trip latency with one frame outstanding
 * @o:		options (o->pingpong round trips of o->pp_size bytes)
 * @t:		through this switch (BENCH_DIRECT: a direct socketpair)
 * @r:		result, filled in (r->err set on failure)
 */
void bench_pingpong(const struct bench_opts *o, enum bench_target t,
		    struct bench_result *r)
{
	double *rtt = calloc(o->pingpong, sizeof(*rtt)), c0, t0;
	struct hosts *h = calloc(1, sizeof(*h));
	struct run_ctl ctl = { .drain = o->drain };
	struct echo e = { .ctl = &ctl };
	bool sw = t != BENCH_DIRECT;
	pthread_t thr;
	int ret;

	result_init(o, t, "pingpong", 1, o->pp_size, r);
	ret = !rtt || !h ? -ENOMEM : hosts_open(o, t, 2, h);
	if (ret) {
		r->err = -ret;
		goto out;
	}
	atomic_init(&ctl.phase, PHASE_RUN);
	e.fd = h->fd[1];
	e.rx = &h->rx[1];
	if (pthread_create(&thr, NULL, echo_main, &e)) {
		r->err = EAGAIN;
		goto out_hosts;
	}
	t0 = now_s();
	c0 = proc_cpu_s(o->switch_pid);
	ret = pp_loop(o, h, rtt, r);
	r->elapsed = now_s() - t0;
	if (sw && c0 >= 0 && r->received)
		r->cpu_us = (proc_cpu_s(o->switch_pid) - c0) * 1e6 /
			    (2.0 * (double)(r->received + r->pp_warmup));
	atomic_store(&ctl.phase, PHASE_STOP);
	pthread_join(thr, NULL);
	r->err = ret ? -ret : e.err;
	qsort(rtt, r->received, sizeof(*rtt), cmp_double);
	r->p50 = percentile(rtt, r->received, 0.50);
	r->p99 = percentile(rtt, r->received, 0.99);
	if (r->elapsed > 0)
		r->fps = 2.0 * (double)r->received / r->elapsed;
out_hosts:
	hosts_close(h);
out:
	free(h);
	free(rtt);
}

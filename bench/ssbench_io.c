// SPDX-License-Identifier: MIT
/*
 * ssbench_io.c - sockets, framing and switch probes for ssbench
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * Owns everything ssbench does on the wire: building and parsing its test
 * frames, one-write-per-frame sending, reassembly of length-prefixed frames
 * from large reads, connecting to a switch, the broadcast learning phase,
 * and the optional probes of the switch process (CPU time from /proc and
 * per-port drop counters from the SIGUSR1 stats log).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ssbench.h"

#define ARP_FRAME_LEN 60
#define LEARN_RESEND_S 0.2

/**
 * now_s() - monotonic clock in seconds
 *
 * Return: seconds since an arbitrary fixed point
 */
double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/**
 * put_be32() - store a big-endian 32-bit value (a stream length prefix)
 * @p:	4 bytes
 * @v:	the value
 */
void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/**
 * rx_buf_init() - allocate a reassembly buffer
 * @r:	buffer to initialise
 *
 * Return: 0 on success, -ENOMEM on failure
 */
int rx_buf_init(struct rx_buf *r)
{
	memset(r, 0, sizeof(*r));
	r->cap = BENCH_RX_CHUNK + BENCH_HDR_LEN + BENCH_MAX_FRAME;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

/**
 * rx_buf_fini() - release a reassembly buffer
 * @r:	buffer, may be zeroed
 */
void rx_buf_fini(struct rx_buf *r)
{
	free(r->buf);
	r->buf = NULL;
}

/**
 * rx_buf_compact() - move the unparsed bytes to the front of the buffer
 * @r:	reassembly buffer
 */
void rx_buf_compact(struct rx_buf *r)
{
	if (r->off) {
		memmove(r->buf, r->buf + r->off, r->have - r->off);
		r->have -= r->off;
		r->off = 0;
	}
}

/**
 * rx_buf_fill() - one read() of up to BENCH_RX_CHUNK bytes
 * @fd:	stream socket (ignored when @r->vde or @r->vhost is set:
 *	vde_fill(), vhost_fill())
 * @r:	reassembly buffer; an incomplete frame is moved to the front first
 *
 * Return: bytes read, 0 on end of stream, -errno on error (-EAGAIN when a
 *	   receive timeout expired)
 */
ssize_t rx_buf_fill(int fd, struct rx_buf *r)
{
	size_t room;
	ssize_t n;

	if (r->vde)
		return vde_fill(r->vde, r);
	if (r->vhost)
		return vhost_fill(r->vhost, r);
	rx_buf_compact(r);
	room = r->cap - r->have;
	if (room > (r->chunk ? r->chunk : BENCH_RX_CHUNK))
		room = r->chunk ? r->chunk : BENCH_RX_CHUNK;
	n = read(fd, r->buf + r->have, room);
	r->calls++;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	r->have += (size_t)n;
	return n;
}

/**
 * rx_buf_next() - take the next complete frame out of the buffer
 * @r:		reassembly buffer
 * @len:	set to the frame length
 *
 * A length prefix above BENCH_MAX_FRAME sets @r->bad_len: the stream can't
 * be resynchronised, so the caller should give up on it.
 *
 * Return: pointer to the frame inside @r (valid until the next fill), or
 *	   NULL if no complete frame is buffered
 */
const uint8_t *rx_buf_next(struct rx_buf *r, size_t *len)
{
	size_t avail = r->have - r->off;
	const uint8_t *p = r->buf + r->off;
	uint32_t flen;

	if (r->bad_len || avail < BENCH_HDR_LEN)
		return NULL;
	flen = get_be32(p);
	if (flen > BENCH_MAX_FRAME) {
		r->bad_len = true;
		return NULL;
	}
	if (avail < BENCH_HDR_LEN + (size_t)flen)
		return NULL;
	r->off += BENCH_HDR_LEN + flen;
	*len = flen;
	return p + BENCH_HDR_LEN;
}

/**
 * host_mac() - the MAC address of simulated host @idx: 02:00:00:00:00:NN
 * @mac:	output
 * @idx:	host index, 0-based (NN = idx + 1)
 */
void host_mac(uint8_t mac[6], unsigned idx)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(idx + 1);
}

/**
 * frame_build() - fill a length prefix and a test frame
 * @out:	BENCH_HDR_LEN + @size bytes
 * @dst:	destination MAC
 * @src:	source MAC
 * @size:	Ethernet frame length, BENCH_MIN_FRAME..BENCH_MAX_FRAME
 * @flow:	flow number written into the payload
 *
 * Return: total bytes to write (prefix and frame)
 */
size_t frame_build(uint8_t *out, const uint8_t dst[6], const uint8_t src[6],
		   size_t size, uint32_t flow)
{
	uint8_t *f = out + BENCH_HDR_LEN;
	uint32_t magic = BENCH_MAGIC;
	size_t i;

	put_be32(out, (uint32_t)size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = BENCH_ETHERTYPE >> 8;
	f[13] = BENCH_ETHERTYPE & 0xff;
	memcpy(f + 14, &magic, 4);
	memcpy(f + 18, &flow, 4);
	for (i = 30; i < size; i++)
		f[i] = (uint8_t)i;
	frame_set_seq(f, size, 0);
	return BENCH_HDR_LEN + size;
}

/**
 * frame_set_seq() - store a sequence number in a test frame
 * @frame:	the frame (after the length prefix)
 * @size:	its length
 * @seq:	sequence number; its low byte also goes into the last byte, so a
 *		receiver notices frames whose boundaries got mixed up
 */
void frame_set_seq(uint8_t *frame, size_t size, uint64_t seq)
{
	memcpy(frame + 22, &seq, 8);
	frame[size - 1] = (uint8_t)seq;
}

/**
 * frame_parse() - recognise a test frame and extract its payload fields
 * @frame:	the frame
 * @len:	its length
 * @bf:		output
 *
 * Return: true for an ssbench frame (check @bf->intact), false for anything
 *	   else
 */
bool frame_parse(const uint8_t *frame, size_t len, struct bench_frame *bf)
{
	uint32_t magic;

	if (len < BENCH_MIN_FRAME || frame[12] != (BENCH_ETHERTYPE >> 8) ||
	    frame[13] != (BENCH_ETHERTYPE & 0xff))
		return false;
	memcpy(&magic, frame + 14, 4);
	if (magic != BENCH_MAGIC)
		return false;
	memcpy(&bf->flow, frame + 18, 4);
	memcpy(&bf->seq, frame + 22, 8);
	bf->intact = frame[len - 1] == (uint8_t)bf->seq;
	return true;
}

/**
 * write_frame() - send one prefixed frame, one write() when possible
 * @fd:		stream socket with a send timeout
 * @buf:	prefix and frame
 * @total:	their length
 * @writes:	incremented for every write() issued
 *
 * Like QEMU, a frame is never torn: after a short write the rest follows
 * before anything else (retrying through send timeouts for up to ~5 s).
 *
 * Return: 0 on success, -EAGAIN if the send timeout expired before any byte
 *	   went out, other negative error code on failure
 */
int write_frame(int fd, const uint8_t *buf, size_t total, uint64_t *writes)
{
	size_t done = 0;
	int stalls = 0;
	ssize_t n;

	while (done < total) {
		n = write(fd, buf + done, total - done);
		(*writes)++;
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!done)
				return -EAGAIN;
			if (++stalls > 25)
				return -ETIMEDOUT;
			continue;
		}
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/**
 * host_write() - send one frame the way the host is attached
 * @fd:		stream socket (unused for a VDE host)
 * @rx:		the host's buffer; @rx->vde selects vde_write_frame()
 * @buf:	length prefix and frame
 * @total:	their length
 * @writes:	incremented for every system call
 *
 * Return: as write_frame()
 */
int host_write(int fd, const struct rx_buf *rx, const uint8_t *buf,
	       size_t total, uint64_t *writes)
{
	if (rx->vde)
		return vde_write_frame(rx->vde, buf, total, writes);
	if (rx->vhost)
		return vhost_write_frame(rx->vhost, buf, total, writes);
	return write_frame(fd, buf, total, writes);
}

/**
 * host_send() - send the next frames of a flow
 * @fd:		stream socket (unused for VDE and vhost-user hosts)
 * @rx:		the host's buffer (selects the transport as host_write())
 * @buf:	length prefix and frame; its sequence number is overwritten
 * @total:	their length
 * @seq:	sequence number of the first frame
 * @max:	send at most this many frames, numbered @seq, @seq + 1, ...
 * @writes:	incremented for every system call
 *
 * A stream or VDE host sends one frame with one system call, as QEMU does.
 * A vhost-user host puts up to @max frames into its TX ring and kicks once,
 * as a guest driver does with a batch.
 *
 * Return: frames sent (at least 1), or as write_frame()
 */
int host_send(int fd, const struct rx_buf *rx, uint8_t *buf, size_t total,
	      uint64_t seq, unsigned max, uint64_t *writes)
{
	int ret;

	if (rx->vhost)
		return vhost_send_burst(rx->vhost, buf + BENCH_HDR_LEN,
					total - BENCH_HDR_LEN, seq, max,
					writes);
	frame_set_seq(buf + BENCH_HDR_LEN, total - BENCH_HDR_LEN, seq);
	ret = host_write(fd, rx, buf, total, writes);
	return ret < 0 ? ret : 1;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int connect_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hlen;
	int fd = -EADDRNOTAVAIL, one = 1;

	if (!colon || colon == hostport)
		return -EINVAL;
	hlen = (size_t)(colon - hostport);
	if (hostport[0] == '[' && hlen >= 2 && hostport[hlen - 1] == ']') {
		hostport++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -ENAMETOOLONG;
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -ECONNREFUSED;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/**
 * switch_connect() - open one host's connection to the switch
 * @unix_path:	unix stream socket path, or NULL
 * @tcp_addr:	HOST:PORT (IPv6 as [ADDR]:PORT) when @unix_path is NULL
 *
 * Return: connected fd, or negative error code
 */
int switch_connect(const char *unix_path, const char *tcp_addr)
{
	return unix_path ? connect_unix(unix_path) : connect_tcp(tcp_addr);
}

/**
 * host_attach() - attach one host to a switch named in @o
 * @o:		options: --vhost PATH for @t == BENCH_VHOST, else --vde DIR,
 *		--unix PATH or --tcp HOST:PORT
 * @t:		BENCH_SWITCH or BENCH_VHOST
 * @rx_side:	a receiving host: attach to --rx-unix or --rx-vhost if given
 * @rx:		the host's initialised buffer; @rx->vde is set for VDE,
 *		@rx->vhost for vhost-user
 *
 * Return: the fd to poll (a VDE host's data fd, a vhost-user host's RX call
 *	   eventfd), or negative error code
 */
int host_attach(const struct bench_opts *o, enum bench_target t, bool rx_side,
		struct rx_buf *rx)
{
	if (t == BENCH_VHOST && rx_side && o->rx_vhost_path)
		return vhost_attach(o->rx_vhost_path, &rx->vhost);
	if (t == BENCH_VHOST)
		return vhost_attach(o->vhost_path, &rx->vhost);
	if (o->vde_dir)
		return vde_attach(o->vde_dir, &rx->vde);
	if (rx_side && o->rx_unix_path)
		return switch_connect(o->rx_unix_path, NULL);
	return switch_connect(o->unix_path, o->tcp_addr);
}

/**
 * host_timeouts() - bound how long a host's sends and receives block
 * @fd:		its fd
 * @rx:		its buffer (a vhost-user host keeps its own timeouts)
 * @snd_ms:	send timeout, milliseconds
 * @rcv_ms:	receive timeout, milliseconds
 *
 * Return: 0 on success, negative error code on failure
 */
int host_timeouts(int fd, const struct rx_buf *rx, int snd_ms, int rcv_ms)
{
	if (rx->vhost) {
		vhost_timeouts(rx->vhost, snd_ms, rcv_ms);
		return 0;
	}
	return sock_timeouts(fd, snd_ms, rcv_ms);
}

/**
 * host_detach() - close a host made by host_attach() or a direct link
 * @fd:		its fd, or negative
 * @rx:		its buffer (the VDE or vhost-user connection, if any, is
 *		closed and cleared)
 */
void host_detach(int fd, struct rx_buf *rx)
{
	if (rx->vde) {
		vde_detach(rx->vde); /* closes the data fd too */
		rx->vde = NULL;
	} else if (rx->vhost) {
		vhost_detach(rx->vhost); /* closes the eventfds too */
		rx->vhost = NULL;
	} else if (fd >= 0) {
		close(fd);
	}
}

/**
 * tcp_pair() - a connected pair of TCP sockets over 127.0.0.1
 * @sv:		output, like socketpair(): both ends, with TCP_NODELAY
 *
 * Return: 0 on success, negative error code on failure
 */
int tcp_pair(int sv[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd, ret = 0, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv[0] = sv[1] = -1;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) ||
	    (sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(sv[0], (struct sockaddr *)&sin, sizeof(sin)) ||
	    (sv[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		ret = -errno;
		if (sv[0] >= 0)
			close(sv[0]);
		sv[0] = sv[1] = -1;
		goto out;
	}
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
out:
	close(lfd);
	return ret;
}

/**
 * sock_timeouts() - set SO_SNDTIMEO and SO_RCVTIMEO
 * @fd:		socket
 * @snd_ms:	send timeout, milliseconds
 * @rcv_ms:	receive timeout, milliseconds
 *
 * Return: 0 on success, negative error code on failure
 */
int sock_timeouts(int fd, int snd_ms, int rcv_ms)
{
	struct timeval s = { snd_ms / 1000, (snd_ms % 1000) * 1000 };
	struct timeval r = { rcv_ms / 1000, (rcv_ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r)))
		return -errno;
	return 0;
}

/**
 * arp_build() - a prefixed gratuitous ARP broadcast from host @idx
 * @out:	BENCH_HDR_LEN + 60 bytes
 * @idx:	host index (MAC as host_mac())
 *
 * Return: bytes to write
 */
size_t arp_build(uint8_t *out, unsigned idx)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t arp[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	uint8_t *f = out + BENCH_HDR_LEN;
	uint8_t mac[6], ip[4] = { 10, 0, 0, (uint8_t)(idx + 1) };

	host_mac(mac, idx);
	memset(out, 0, BENCH_HDR_LEN + ARP_FRAME_LEN);
	put_be32(out, ARP_FRAME_LEN);
	memcpy(f, bcast, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, arp, 8);
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, ip, 4);
	memcpy(f + 38, ip, 4); /* gratuitous: target IP = sender IP */
	return BENCH_HDR_LEN + ARP_FRAME_LEN;
}

/* Mark in @seen[me * n + src] every gratuitous ARP host @me has received. */
static int learn_drain(int fd, struct rx_buf *rx, unsigned me, unsigned n,
		       bool *seen)
{
	const uint8_t *f;
	ssize_t got;
	size_t len;

	got = rx_buf_fill(fd, rx);
	if (got == 0)
		return -ECONNRESET;
	if (got < 0)
		return got == -EAGAIN || got == -EINTR ? 0 : (int)got;
	while ((f = rx_buf_next(rx, &len))) {
		unsigned src = (unsigned)f[11] - 1;

		if (len >= 14 && f[12] == 0x08 && f[13] == 0x06 &&
		    f[0] == 0xff && f[6] == 0x02 && src < n && src != me)
			seen[me * n + src] = true;
	}
	return rx->bad_len ? -EPROTO : 0;
}

/* Resend the broadcast of every host some peer has not heard yet. */
static int learn_announce(const int *fds, const struct rx_buf *rx, unsigned n,
			  const bool *seen)
{
	uint8_t buf[BENCH_HDR_LEN + ARP_FRAME_LEN];
	unsigned i, j, missing = 0;
	uint64_t w = 0;
	int ret;

	for (j = 0; j < n; j++) {
		for (i = 0; i < n; i++)
			if (i != j && !seen[i * n + j])
				break;
		if (i == n)
			continue;
		missing++;
		ret = host_write(fds[j], &rx[j], buf, arp_build(buf, j), &w);
		if (ret < 0 && ret != -EAGAIN)
			return ret;
	}
	return (int)missing;
}

/**
 * learn_hosts() - let the switch learn every host's MAC address
 * @fds:	connected hosts, host i has MAC 02:00:00:00:00:(i+1)
 * @rx:		their reassembly buffers (left holding any unparsed bytes)
 * @n:		number of hosts
 * @limit:	give up after this many seconds
 *
 * Each host broadcasts a gratuitous ARP; broadcasts are repeated every
 * 200 ms until every other host has received them, which also covers
 * connections the switch had not accepted yet at the first round.
 *
 * Return: 0 on success, -ETIMEDOUT or other negative error code on failure
 */
int learn_hosts(const int *fds, struct rx_buf *rx, unsigned n, double limit)
{
	struct pollfd pfd[BENCH_MAX_HOSTS];
	double start = now_s(), next = start;
	bool *seen = calloc((size_t)n * n, sizeof(*seen));
	unsigned i;
	int ret = 0;

	if (!seen)
		return -ENOMEM;
	for (;;) {
		if (now_s() >= next) {
			ret = learn_announce(fds, rx, n, seen);
			if (ret <= 0)
				break;
			next = now_s() + LEARN_RESEND_S;
		}
		if (now_s() - start > limit) {
			ret = -ETIMEDOUT;
			break;
		}
		for (i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i],
						  .events = POLLIN };
		if (poll(pfd, n, 20) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		for (i = 0; i < n && ret >= 0; i++)
			if (pfd[i].revents)
				ret = learn_drain(fds[i], &rx[i], i, n, seen);
		if (ret < 0)
			break;
	}
	free(seen);
	return ret;
}

/**
 * proc_cpu_s() - user plus system CPU time a process has used
 * @pid:	process
 *
 * Return: seconds (clock-tick resolution), negative if unreadable
 */
double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may contain spaces: fields are counted after its ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
			 " %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

#define MAX_REASONS 16

/**
 * struct drop_sum - drop counters summed over the ports of a stats dump
 * @name:	reason, as in drop_<reason>=
 * @n:		its sum
 * @count:	entries used
 * @total:	sum over all reasons
 */
struct drop_sum {
	char name[MAX_REASONS][32];
	long long n[MAX_REASONS];
	unsigned count;
	long long total;
};

static void drop_add(struct drop_sum *s, const char *name, size_t len,
		     long long v)
{
	unsigned i;

	if (len >= sizeof(s->name[0]))
		len = sizeof(s->name[0]) - 1;
	s->total += v;
	for (i = 0; i < s->count; i++)
		if (strlen(s->name[i]) == len && !memcmp(s->name[i], name, len))
			break;
	if (i == s->count) {
		if (i == MAX_REASONS)
			return;
		memcpy(s->name[i], name, len);
		s->name[i][len] = '\0';
		s->n[i] = 0;
		s->count++;
	}
	s->n[i] += v;
}

/* Add every " drop_<reason>=N" between @line and @end to @s. */
static void drops_scan_line(const char *line, const char *end,
			    struct drop_sum *s)
{
	const char *d = line, *eq;

	while ((d = strstr(d, " drop_")) && d < end) {
		d += 6;
		eq = strchr(d, '=');
		if (!eq || eq >= end)
			break;
		drop_add(s, d, (size_t)(eq - d), strtoll(eq + 1, NULL, 10));
		d = eq;
	}
}

/* Sum the drop counters of complete "stats port=" lines of @text. */
static unsigned stats_scan(const char *text, struct drop_sum *s)
{
	const char *line = text, *nl, *d;
	unsigned lines = 0;

	memset(s, 0, sizeof(*s));
	while ((nl = strchr(line, '\n'))) {
		d = strstr(line, "stats port=");
		if (d && d < nl) {
			lines++;
			drops_scan_line(d, nl, s);
		}
		line = nl + 1;
	}
	return lines;
}

static void drops_format(const struct drop_sum *s, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;
	int n;

	snprintf(buf, len, "none");
	for (i = 0; i < s->count; i++) {
		if (!s->n[i])
			continue;
		n = snprintf(buf + off, len - off, "%s%s:%lld", off ? "," : "",
			     s->name[i], s->n[i]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static char *file_tail(const char *path, off_t from)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || st.st_size < from ||
	    !(buf = malloc((size_t)(st.st_size - from) + 1)))
		goto out;
	n = pread(fd, buf, (size_t)(st.st_size - from), from);
	buf[n > 0 ? n : 0] = '\0';
out:
	close(fd);
	return buf;
}

/**
 * switch_stats() - ask the switch for port stats and sum its drops
 * @pid:	switch process
 * @log:	file the switch's stderr goes to
 * @nports:	ports expected in the dump (the hosts of the current test)
 * @reasons:	set to the non-zero sums as reason:N,... ("none" if all 0)
 * @rlen:	size of @reasons
 *
 * Sends SIGUSR1 and waits up to 2 s for @nports "stats port=" lines to be
 * appended to @log.
 *
 * Return: sum of every drop_<reason>= counter over those lines, or -1 if no
 *	   stats appeared
 */
long long switch_stats(pid_t pid, const char *log, unsigned nports,
		       char *reasons, size_t rlen)
{
	double deadline = now_s() + 2.0;
	struct drop_sum s = { .count = 0 };
	unsigned lines = 0;
	struct stat st;
	char *text;

	snprintf(reasons, rlen, "-");
	if (pid <= 0 || !log || stat(log, &st) || kill(pid, SIGUSR1))
		return -1;
	do {
		usleep(20000);
		text = file_tail(log, st.st_size);
		if (!text)
			continue;
		lines = stats_scan(text, &s);
		free(text);
		if (lines >= nports)
			break;
	} while (now_s() < deadline);
	if (!lines)
		return -1;
	drops_format(&s, reasons, rlen);
	return s.total;
}

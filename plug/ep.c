// SPDX-License-Identifier: MIT
/*
 * ep.c - the two sides of sockswitch-plug: parse, open, read, queue, write
 *
 * An endpoint is a length-prefixed byte stream (unix:, tcp:, or `-' for
 * stdin/stdout with the 4-byte QEMU or the 2-byte vde_plug prefix), a
 * datagram socket (unixgram:, udp:; one frame per datagram, protocols.md
 * sections 1-2) or a libvdeplug connection (vde:DIR, any vde_open() URL;
 * section 4). Every fd is nonblocking. Frames for a side go through one
 * bounded queue of records (length prefix + frame); when it is full, or
 * the frame is too long for that side, the frame is dropped and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvdeplug.h>

#include "plug.h"

/* Reads (stream, datagram) per readiness, so one busy side cannot starve
 * the other. */
#define EP_READ_BATCH 32
/* Stream receive buffer beyond the largest frame. */
#define EP_RBUF_SLACK 65536
#define EP_CONNECT_TIMEOUT_S 5

static uint32_t get_be(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be(uint8_t *p, unsigned int n, uint32_t v)
{
	for (unsigned int i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * count() - bump a drop counter; at -v, log it at counts 1, 2, 4, 8, ...
 */
static void count(const struct ep *e, uint64_t *ctr, const char *what,
		  size_t len)
{
	(*ctr)++;
	if ((*ctr & (*ctr - 1)) == 0)
		plug_log(PLUG_DEBUG, "%s %s: %s (%zu bytes), %llu so far",
			 e->role, e->url, what, len, (unsigned long long)*ctr);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int parse_hostport(struct ep *e, const char *rest, char *err,
			  size_t errlen)
{
	const char *colon, *host = rest;
	size_t hlen;

	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (!close || close[1] != ':')
			goto bad;
		host = rest + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (!colon)
			goto bad;
		hlen = (size_t)(colon - rest);
	}
	if (hlen == 0 || hlen >= sizeof(e->target) || colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof(e->port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	memcpy(e->target, host, hlen);
	e->target[hlen] = '\0';
	snprintf(e->port, sizeof(e->port), "%s", colon + 1);
	return 0;
bad:
	snprintf(err, errlen, "%s `%s': expected HOST:PORT or [IPV6]:PORT",
		 e->role, e->url);
	return -EINVAL;
}

static int parse_switch(struct ep *e, const char *url, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum ep_addr addr;
		enum ep_kind kind;
	} forms[] = {
		{ "unix:", EP_ADDR_UNIX, EP_STREAM },
		{ "tcp:", EP_ADDR_TCP, EP_STREAM },
		{ "unixgram:", EP_ADDR_UNIXGRAM, EP_DGRAM },
		{ "udp:", EP_ADDR_UDP, EP_DGRAM },
		{ "vde:", EP_ADDR_VDE, EP_VDE },
	};
	struct sockaddr_un sun;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *rest;
		size_t plen = strlen(forms[i].prefix);

		if (strncmp(url, forms[i].prefix, plen) != 0)
			continue;
		rest = url + plen;
		e->addr = forms[i].addr;
		e->kind = forms[i].kind;
		if (*rest == '\0')
			break;
		if (e->addr == EP_ADDR_TCP || e->addr == EP_ADDR_UDP)
			return parse_hostport(e, rest, err, errlen);
		if (e->addr == EP_ADDR_VDE) {
			/* vde:DIR and vde:///DIR both name the switch DIR. */
			snprintf(e->target, sizeof(e->target), "%s%s",
				 strncmp(url, "vde://", 6) ? "vde://" : "",
				 strncmp(url, "vde://", 6) ? rest : url);
			return 0;
		}
		if (strlen(rest) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "%s `%s': path longer than %zu",
				 e->role, url, sizeof(sun.sun_path) - 1);
			return -EINVAL;
		}
		snprintf(e->target, sizeof(e->target), "%s", rest);
		return 0;
	}
	snprintf(err, errlen,
		 "%s `%s': use unix:PATH, tcp:HOST:PORT, unixgram:PATH, "
		 "udp:HOST:PORT or vde:DIR",
		 e->role, url);
	return -EINVAL;
}

/**
 * ep_init() - parse an endpoint URL and allocate its buffers
 * @e:		endpoint to fill
 * @role:	"switch" or "peer" (static string)
 * @url:	command-line URL (kept by reference)
 * @is_switch:	SWITCH (sockswitch listener URL) rather than PEER
 * @hdr:	stream prefix for `-': 4 or 2
 * @max_frame:	longest frame accepted and sent
 * @descr:	description for vde_open()
 * @err:	message buffer on failure
 * @errlen:	its size
 *
 * Return: 0 on success, negative error code on failure
 */
int ep_init(struct ep *e, const char *role, const char *url, bool is_switch,
	    unsigned int hdr, size_t max_frame, const char *descr, char *err,
	    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->role = role;
	e->url = url;
	e->descr = descr;
	e->rfd = e->wfd = e->ctlfd = -1;
	e->hdr = 4;
	if (is_switch) {
		if (parse_switch(e, url, err, errlen) < 0)
			return -EINVAL;
	} else if (strcmp(url, "-") == 0) {
		e->addr = EP_ADDR_STDIO;
		e->kind = EP_STREAM;
		e->hdr = hdr;
	} else if (strstr(url, "://") && strlen(url) < sizeof(e->target)) {
		e->addr = EP_ADDR_VDE;
		e->kind = EP_VDE;
		snprintf(e->target, sizeof(e->target), "%s", url);
	} else {
		snprintf(err, errlen,
			 "peer `%s': use - (stdin/stdout) or a libvdeplug URL "
			 "such as vde:///DIR, tap://IF, slirp://",
			 url);
		return -EINVAL;
	}
	e->rx_max = e->tx_max = max_frame;
	if (e->kind == EP_VDE || e->hdr == 2)
		e->tx_max = max_frame < PLUG_VDE_FRAME_MAX ? max_frame
							   : PLUG_VDE_FRAME_MAX;
	if (e->addr == EP_ADDR_UDP && e->tx_max > PLUG_UDP_FRAME_MAX)
		e->tx_max = PLUG_UDP_FRAME_MAX;
	e->rcap = 4 + PLUG_MAX_FRAME_LIMIT + EP_RBUF_SLACK;
	e->qcap = PLUG_TXQ_BYTES;
	e->rbuf = malloc(e->rcap);
	e->q = malloc(e->qcap);
	if (!e->rbuf || !e->q) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/**
 * ep_fini() - close an endpoint and free its buffers
 * @e:		endpoint, initialised or all zero
 */
void ep_fini(struct ep *e)
{
	if (!e->role)
		return;
	ep_close(e);
	free(e->rbuf);
	free(e->q);
	e->rbuf = e->q = NULL;
}

/**
 * ep_can_reopen() - may this side be opened again after it went away?
 * @e:		endpoint
 *
 * Return: false for stdin/stdout, true otherwise
 */
bool ep_can_reopen(const struct ep *e)
{
	return e->addr != EP_ADDR_STDIO;
}

static int open_inet(struct ep *e, int type)
{
	struct addrinfo hints = { .ai_socktype = type }, *res, *ai;
	struct timeval tv = { .tv_sec = EP_CONNECT_TIMEOUT_S };
	int fd = -1, rc, one = 1, saved = ECONNREFUSED;

	rc = getaddrinfo(e->target, e->port, &hints, &res);
	if (rc != 0) {
		plug_log(PLUG_ERR, "%s %s: %s", e->role, e->url,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* SO_SNDTIMEO bounds a blocking connect() on Linux. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -saved;
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* @path was checked to fit by parse_switch(). */
static void set_sun_path(struct sockaddr_un *sun, const char *path)
{
	size_t n = strnlen(path, sizeof(sun->sun_path) - 1);

	memcpy(sun->sun_path, path, n);
	sun->sun_path[n] = '\0';
}

static int open_unix_stream(struct ep *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	set_sun_path(&sun, e->target);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * bind_own_path() - bind a unixgram socket to a fresh path of our own: in
 * the switch socket's folder, else $XDG_RUNTIME_DIR, else /tmp.
 */
static int bind_own_path(struct ep *e, int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	const char *dirs[3], *slash = strrchr(e->target, '/');
	int rc = -ENOENT;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - e->target),
			 e->target);
	else
		snprintf(dir, sizeof(dir), ".");
	dirs[0] = slash == e->target ? "/" : dir;
	dirs[1] = getenv("XDG_RUNTIME_DIR");
	dirs[2] = "/tmp";
	for (size_t i = 0; i < 3; i++) {
		int n;

		if (!dirs[i] || !*dirs[i])
			continue;
		n = snprintf(sun.sun_path, sizeof(sun.sun_path),
			     "%s/.sockswitch-plug-%ld.sock", dirs[i],
			     (long)getpid());
		if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
			continue;
		unlink(sun.sun_path);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			snprintf(e->own_path, sizeof(e->own_path), "%s",
				 sun.sun_path);
			return 0;
		}
		rc = -errno;
	}
	return rc;
}

static int open_unixgram(struct ep *e)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&e->dst;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = bind_own_path(e, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	/* Not connect()ed: sendto() resolves the path every time, so a
	 * switch that restarts and binds the path again is reached again. */
	memset(&e->dst, 0, sizeof(e->dst));
	sun->sun_family = AF_UNIX;
	set_sun_path(sun, e->target);
	e->dstlen = sizeof(*sun);
	return fd;
}

static int open_vde(struct ep *e)
{
	char url[sizeof(e->target)], descr[128];

	snprintf(url, sizeof(url), "%s", e->target);
	snprintf(descr, sizeof(descr), "%s", e->descr);
	errno = 0;
	e->vde = vde_open(url, descr, NULL);
	if (!e->vde)
		return errno ? -errno : -ECONNREFUSED;
	e->ctlfd = vde_ctlfd(e->vde);
	/* The data fd may be an epoll fd (vxvde, switch, hub); making it
	 * nonblocking is harmless there and keeps vde:// sends off the
	 * blocking path. */
	return vde_datafd(e->vde);
}

/**
 * ep_open() - connect an endpoint
 * @e:		endpoint, not open
 *
 * Return: 0 on success, negative error code on failure (logged)
 */
int ep_open(struct ep *e)
{
	int fd = -1;

	switch (e->addr) {
	case EP_ADDR_STDIO:
		e->rfd = STDIN_FILENO;
		e->wfd = STDOUT_FILENO;
		if (set_nonblock(e->rfd) < 0 || set_nonblock(e->wfd) < 0) {
			plug_log(PLUG_ERR, "peer -: stdin/stdout: %s",
				 strerror(errno));
			return -errno;
		}
		break;
	case EP_ADDR_UNIX:
		fd = open_unix_stream(e);
		break;
	case EP_ADDR_TCP:
		fd = open_inet(e, SOCK_STREAM);
		break;
	case EP_ADDR_UNIXGRAM:
		fd = open_unixgram(e);
		break;
	case EP_ADDR_UDP:
		fd = open_inet(e, SOCK_DGRAM);
		break;
	case EP_ADDR_VDE:
		fd = open_vde(e);
		break;
	}
	if (e->addr != EP_ADDR_STDIO) {
		if (fd < 0 || set_nonblock(fd) < 0) {
			int rc = fd < 0 ? fd : -errno;

			plug_log(PLUG_WARN, "%s %s: cannot connect: %s",
				 e->role, e->url, strerror(-rc));
			e->rfd = fd;
			ep_close(e);
			return rc;
		}
		e->rfd = e->wfd = fd;
	}
	e->open = true;
	e->rlen = e->skip = 0;
	e->qoff = e->qlen = e->qsent = 0;
	e->st.connects++;
	plug_log(PLUG_INFO, "%s %s: connected%s%s", e->role, e->url,
		 e->own_path[0] ? " from " : "", e->own_path);
	return 0;
}

/* Frames still in the queue when a side closes are lost: count them. */
static void count_queued_lost(struct ep *e)
{
	unsigned int h = e->kind == EP_STREAM ? e->hdr : 4;
	size_t off = e->qoff;

	while (off + h <= e->qlen) {
		off += h + get_be(e->q + off, h);
		e->st.drop_tx_down++;
	}
	e->qoff = e->qlen = e->qsent = 0;
}

/**
 * ep_close() - disconnect an endpoint (no-op when closed)
 * @e:		endpoint
 */
void ep_close(struct ep *e)
{
	count_queued_lost(e);
	if (e->vde) {
		vde_close(e->vde);
		e->vde = NULL;
	} else if (e->addr != EP_ADDR_STDIO && e->rfd >= 0) {
		close(e->rfd);
	}
	if (e->own_path[0]) {
		unlink(e->own_path);
		e->own_path[0] = '\0';
	}
	e->rfd = e->wfd = e->ctlfd = -1;
	e->open = false;
}

static void rx_frame(struct ep *e, struct ep *out, const uint8_t *f, size_t len)
{
	if (len < PLUG_ETH_HLEN) {
		count(e, &e->st.drop_rx_runt, "runt frame dropped", len);
		return;
	}
	if (len > e->rx_max) {
		count(e, &e->st.drop_rx_oversize, "oversize frame dropped",
		      len);
		return;
	}
	e->st.rx_frames++;
	e->st.rx_bytes += len;
	ep_send(out, f, len);
}

/*
 * stream_parse() - hand out the complete frames in the receive buffer
 *
 * Return: 0, or -EPROTO when a length is beyond any peer's limit: the
 * stream is garbage and cannot be resynchronised.
 */
static int stream_parse(struct ep *e, struct ep *out)
{
	size_t off = 0;
	int rc = 0;

	for (;;) {
		size_t avail = e->rlen - off;
		uint32_t len;

		if (e->skip) {
			size_t n = avail < e->skip ? avail : e->skip;

			e->skip -= n;
			off += n;
			if (e->skip)
				break;
			continue;
		}
		if (avail < e->hdr)
			break;
		len = get_be(e->rbuf + off, e->hdr);
		if (len > PLUG_MAX_FRAME_LIMIT) {
			e->st.drop_rx_oversize++;
			plug_log(PLUG_ERR,
				 "%s %s: frame length %lu is beyond %d: "
				 "garbage on the stream, closing it",
				 e->role, e->url, (unsigned long)len,
				 PLUG_MAX_FRAME_LIMIT);
			rc = -EPROTO;
			off = e->rlen;
			break;
		}
		if (len < PLUG_ETH_HLEN || len > e->rx_max) {
			/* Counted now, its bytes skipped as they come. */
			rx_frame(e, out, NULL, len);
			off += e->hdr;
			e->skip = len;
			continue;
		}
		if (avail < e->hdr + len)
			break;
		rx_frame(e, out, e->rbuf + off + e->hdr, len);
		off += e->hdr + len;
	}
	memmove(e->rbuf, e->rbuf + off, e->rlen - off);
	e->rlen -= off;
	return rc;
}

static int stream_input(struct ep *e, struct ep *out)
{
	for (int i = 0; i < EP_READ_BATCH; i++) {
		ssize_t n = read(e->rfd, e->rbuf + e->rlen, e->rcap - e->rlen);
		int rc;

		if (n == 0) {
			if (e->rlen || e->skip)
				count(e, &e->st.drop_rx_oversize,
				      "frame cut short by end of stream",
				      e->rlen);
			return -EPIPE;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		e->rlen += (size_t)n;
		rc = stream_parse(e, out);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool dgram_from_switch(const struct ep *e,
			      const struct sockaddr_storage *src, socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)src;

	/* udp sockets are connected: the kernel filters the source. */
	if (e->addr != EP_ADDR_UNIXGRAM)
		return true;
	/* sockswitch answers each unixgram peer from an unbound socket of
	 * its own (so that poll() on it reflects that one peer's queue): its
	 * datagrams come from an unnamed address, not from its path. */
	if (len <= offsetof(struct sockaddr_un, sun_path))
		return true;
	return sun->sun_family == AF_UNIX &&
	       strncmp(sun->sun_path, e->target, sizeof(sun->sun_path)) == 0;
}

static int dgram_input(struct ep *e, struct ep *out)
{
	for (int i = 0; i < EP_READ_BATCH; i++) {
		struct sockaddr_storage src;
		socklen_t slen = sizeof(src);
		ssize_t n = recvfrom(e->rfd, e->rbuf, e->rcap,
				     MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&src, &slen);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			/* ICMP port unreachable on a connected udp socket:
			 * the switch is not there (yet); keep listening. */
			if (errno == ECONNREFUSED)
				continue;
			return -errno;
		}
		if (!dgram_from_switch(e, &src, slen)) {
			count(e, &e->st.drop_rx_ignored,
			      "datagram from a foreign address ignored",
			      (size_t)n);
			continue;
		}
		if (n == 0) {
			count(e, &e->st.drop_rx_ignored,
			      "empty datagram ignored", 0);
			continue;
		}
		rx_frame(e, out, e->rbuf, (size_t)n);
	}
	return 0;
}

static int vde_input(struct ep *e, struct ep *out)
{
	/* One receive per readiness: for epoll-based plugins vde_recv()
	 * blocks when nothing is ready. */
	ssize_t n = vde_recv(e->vde, e->rbuf, e->rcap, 0);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -errno;
	}
	if (n == 1 || n == 0) {
		/* 1: "received but to be dropped" (vxvde, switch control);
		 * 0: old vde-2 clients send an empty datagram on close. */
		count(e, &e->st.drop_rx_ignored, "vde_recv gave no frame",
		      (size_t)n);
		return 0;
	}
	rx_frame(e, out, e->rbuf, (size_t)n);
	return 0;
}

/**
 * ep_input() - read what is ready on @e and queue its frames on @out
 * @e:		endpoint with readable data fd
 * @out:	the other side
 *
 * Return: 0, -EPIPE at end of stream, or another negative error code
 * when the side is broken
 */
int ep_input(struct ep *e, struct ep *out)
{
	switch (e->kind) {
	case EP_STREAM:
		return stream_input(e, out);
	case EP_DGRAM:
		return dgram_input(e, out);
	case EP_VDE:
		return vde_input(e, out);
	}
	return 0;
}

/**
 * ep_ctl_input() - the libvdeplug control fd is readable
 * @e:		VDE endpoint
 *
 * Return: 0, or -EPIPE when the switch closed the control connection
 */
int ep_ctl_input(struct ep *e)
{
	char buf[256];
	ssize_t n = recv(e->ctlfd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0)
		return -EPIPE;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

/**
 * ep_send() - queue one frame for @e, or drop and count it
 * @e:		destination side
 * @frame:	the frame (borrowed)
 * @len:	its length
 */
void ep_send(struct ep *e, const uint8_t *frame, size_t len)
{
	unsigned int h = e->kind == EP_STREAM ? e->hdr : 4;

	if (!e->open) {
		count(e, &e->st.drop_tx_down, "not connected, frame dropped",
		      len);
		return;
	}
	if (len > e->tx_max) {
		count(e, &e->st.drop_tx_oversize,
		      "frame too long for this side dropped", len);
		return;
	}
	if (e->qlen - e->qoff + h + len > e->qcap) {
		count(e, &e->st.drop_tx_full, "queue full, frame dropped", len);
		return;
	}
	if (e->qlen + h + len > e->qcap) {
		/* qsent is relative to qoff, so it survives the move. */
		memmove(e->q, e->q + e->qoff, e->qlen - e->qoff);
		e->qlen -= e->qoff;
		e->qoff = 0;
	}
	put_be(e->q + e->qlen, h, (uint32_t)len);
	memcpy(e->q + e->qlen + h, frame, len);
	e->qlen += h + len;
}

/**
 * ep_pending() - has @e frames waiting to be written?
 * @e:		endpoint
 *
 * Return: true if its queue is not empty
 */
bool ep_pending(const struct ep *e)
{
	return e->qlen > e->qoff;
}

/*
 * stream_flush() - write queued wire bytes; after a short write @qsent
 * remembers how much of the head record is out, so frames are never torn
 * or interleaved and each is counted once, when fully written.
 */
static int stream_flush(struct ep *e)
{
	while (e->qoff < e->qlen) {
		size_t start = e->qoff + e->qsent;
		ssize_t n = write(e->wfd, e->q + start, e->qlen - start);
		size_t done;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		done = (size_t)n;
		while (done) {
			size_t flen = get_be(e->q + e->qoff, e->hdr);
			size_t left = e->hdr + flen - e->qsent;

			if (done < left) {
				e->qsent += done;
				break;
			}
			done -= left;
			e->qoff += e->hdr + flen;
			e->qsent = 0;
			e->st.tx_frames++;
			e->st.tx_bytes += flen;
		}
	}
	e->qoff = e->qlen = 0;
	return 0;
}

static ssize_t dgram_send_one(struct ep *e, const uint8_t *f, size_t len)
{
	if (e->kind == EP_VDE)
		return vde_send(e->vde, f, len, 0);
	if (e->addr == EP_ADDR_UNIXGRAM)
		return sendto(e->wfd, f, len, MSG_DONTWAIT,
			      (struct sockaddr *)&e->dst, e->dstlen);
	return send(e->wfd, f, len, MSG_DONTWAIT);
}

/*
 * dgram_flush() - send queued records one datagram each; EAGAIN keeps the
 * rest for later, another error (no switch bound there, refused) drops
 * and counts that frame only: datagram sides never "go away".
 */
static int dgram_flush(struct ep *e)
{
	while (e->qoff < e->qlen) {
		size_t flen = get_be(e->q + e->qoff, 4);
		ssize_t n = dgram_send_one(e, e->q + e->qoff + 4, flen);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ENOBUFS)
				return 0;
			count(e, &e->st.drop_tx_error, strerror(errno), flen);
		} else {
			e->st.tx_frames++;
			e->st.tx_bytes += flen;
		}
		e->qoff += 4 + flen;
	}
	e->qoff = e->qlen = 0;
	return 0;
}

/**
 * ep_flush() - write as much of the queue as the side takes now
 * @e:		endpoint
 *
 * Return: 0, or a negative error code when the side is broken (stream)
 */
int ep_flush(struct ep *e)
{
	if (!e->open)
		return 0;
	return e->kind == EP_STREAM ? stream_flush(e) : dgram_flush(e);
}

/**
 * ep_log_stats() - log the counters of @e on one line
 * @e:		endpoint
 * @lvl:	log level
 */
void ep_log_stats(const struct ep *e, enum plug_level lvl)
{
	const struct ep_stats *s = &e->st;

	plug_log(lvl,
		 "stats %s %s: up=%d connects=%llu rx_frames=%llu "
		 "rx_bytes=%llu tx_frames=%llu tx_bytes=%llu drop_rx_runt=%llu "
		 "drop_rx_oversize=%llu drop_rx_ignored=%llu "
		 "drop_tx_full=%llu drop_tx_oversize=%llu drop_tx_error=%llu "
		 "drop_tx_down=%llu",
		 e->role, e->url, e->open, (unsigned long long)s->connects,
		 (unsigned long long)s->rx_frames,
		 (unsigned long long)s->rx_bytes,
		 (unsigned long long)s->tx_frames,
		 (unsigned long long)s->tx_bytes,
		 (unsigned long long)s->drop_rx_runt,
		 (unsigned long long)s->drop_rx_oversize,
		 (unsigned long long)s->drop_rx_ignored,
		 (unsigned long long)s->drop_tx_full,
		 (unsigned long long)s->drop_tx_oversize,
		 (unsigned long long)s->drop_tx_error,
		 (unsigned long long)s->drop_tx_down);
}

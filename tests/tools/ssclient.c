// SPDX-License-Identifier: MIT
/*
 * ssclient.c - stream test client: connect, framed send/receive, test frames
 *
 * Speaks the 4-byte big-endian length framing that QEMU's -netdev
 * stream/socket use. Sockets are nonblocking and every wait is a poll()
 * with a deadline, so a misbehaving switch makes a test fail, not hang.
 * Clients are registered so ss_cleanup() can free them after a test that
 * stopped early.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ssclient.h"

#define SS_MAX_CLIENTS 64
#define SS_RX_CHUNK 65536

static struct ss_client *clients[SS_MAX_CLIENTS];

/**
 * ss_now_ms() - monotonic clock in milliseconds
 *
 * Return: milliseconds since an arbitrary start
 */
int64_t ss_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - ss_now_ms();

	return left < 0 ? 0 : (int)left;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&p, 1, remaining_ms(deadline));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int url_sockaddr(const char *url, struct sockaddr_storage *ss,
			socklen_t *sslen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char host[SS_URL_LEN];
	const char *port;
	size_t hlen, skip = 0;

	if (strncmp(url, "unix:", 5) == 0)
		skip = 5;
	else if (strncmp(url, "unixgram:", 9) == 0)
		skip = 9;
	if (skip) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		if (strlen(url + skip) >= sizeof(sun->sun_path))
			return -ENAMETOOLONG;
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, url + skip);
		*sslen = sizeof(*sun);
		return 0;
	}
	if (strncmp(url, "tcp:", 4) != 0 && strncmp(url, "udp:", 4) != 0)
		return -EINVAL;
	url += 4;
	if (url[0] == '[') {
		const char *close = strchr(url, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - url - 1);
		memcpy(host, url + 1, hlen < sizeof(host) ? hlen : 0);
		port = close + 2;
	} else {
		const char *colon = strrchr(url, ':');

		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - url);
		memcpy(host, url, hlen < sizeof(host) ? hlen : 0);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	host[hlen] = '\0';
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int client_register(struct ss_client *c)
{
	for (size_t i = 0; i < SS_MAX_CLIENTS; i++) {
		if (!clients[i]) {
			clients[i] = c;
			return 0;
		}
	}
	return -ENOSPC;
}

/* End of a constructor: register @c if @ok, else (or if the registry is
 * full) free it, keeping errno. Return: @c or NULL. */
static struct ss_client *client_done(struct ss_client *c, bool ok)
{
	int err = errno;

	if (ok && client_register(c) == 0)
		return c;
	if (ok)
		err = ENOSPC;
	if (c->bound[0])
		unlink(c->bound);
	if (c->fd >= 0)
		close(c->fd);
	if (c->wfd > 0)
		close(c->wfd);
	free(c->buf);
	free(c);
	errno = err;
	return NULL;
}

/**
 * ss_client_connect() - open a stream connection to the switch
 * @url:	unix:PATH, tcp:HOST:PORT or tcp:[V6]:PORT (numeric hosts)
 * @rcvbuf:	if > 0, SO_RCVBUF to set before connecting (small values make
 *		a client that stops reading fill up quickly)
 *
 * Return: new client owned by the registry (see ss_cleanup()), or NULL
 *	   with errno set
 */
struct ss_client *ss_client_connect(const char *url, int rcvbuf)
{
	struct sockaddr_storage ss;
	struct ss_client *c;
	socklen_t sslen, elen;
	int ret, err = 0;

	ret = url_sockaddr(url, &ss, &sslen);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cap = SS_HDR_LEN + SS_FRAME_LIMIT + SS_RX_CHUNK;
	c->buf = malloc(c->cap);
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (!c->buf || c->fd < 0)
		goto err;
	snprintf(c->url, sizeof(c->url), "%s", url);
	if (rcvbuf > 0 && setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				     sizeof(rcvbuf)) < 0)
		goto err;
	if (connect(c->fd, (struct sockaddr *)&ss, sslen) < 0) {
		if (errno != EINPROGRESS)
			goto err;
		ret = wait_fd(c->fd, POLLOUT, ss_now_ms() + SS_TIMEOUT_MS);
		if (ret < 0) {
			errno = -ret;
			goto err;
		}
		elen = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			errno = err;
			goto err;
		}
	}
	return client_done(c, true);
err:
	return client_done(c, false);
}

/**
 * ss_dgram_open() - open a datagram client of a udp: or unixgram: listener
 * @url:	udp:HOST:PORT, udp:[V6]:PORT or unixgram:PATH (the switch)
 * @local_path:	unixgram: the path to bind (the switch answers there;
 *		removed again by ss_client_close()); NULL for udp:
 * @rcvbuf:	if > 0, SO_RCVBUF
 *
 * The socket is bound (UDP: loopback of the switch's family, port 0) but
 * not connected, like QEMU's -netdev dgram: frames go out with sendto().
 *
 * Return: new client owned by the registry, or NULL with errno set
 */
struct ss_client *ss_dgram_open(const char *url, const char *local_path,
				int rcvbuf)
{
	struct sockaddr_storage local = { 0 };
	socklen_t llen;
	struct ss_client *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->dgram = true;
	c->fd = -1;
	ret = url_sockaddr(url, &c->peer, &c->peerlen);
	if (ret < 0) {
		errno = -ret;
		goto err;
	}
	snprintf(c->url, sizeof(c->url), "%s", url);
	c->cap = SS_FRAME_LIMIT + SS_RX_CHUNK;
	c->buf = malloc(c->cap);
	c->fd = socket(c->peer.ss_family,
		       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!c->buf || c->fd < 0)
		goto err;
	if (rcvbuf > 0 && setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				     sizeof(rcvbuf)) < 0)
		goto err;
	local.ss_family = c->peer.ss_family;
	if (local.ss_family == AF_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&local;

		if (!local_path ||
		    strlen(local_path) >= sizeof(sun->sun_path) ||
		    strlen(local_path) >= sizeof(c->bound)) {
			errno = EINVAL;
			goto err;
		}
		strcpy(sun->sun_path, local_path);
		llen = sizeof(*sun);
	} else if (local.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&local)->sin6_addr = in6addr_loopback;
		llen = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&local)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
		llen = sizeof(struct sockaddr_in);
	}
	if (bind(c->fd, (struct sockaddr *)&local, llen) < 0)
		goto err;
	if (local.ss_family == AF_UNIX)
		strcpy(c->bound, local_path);
	return client_done(c, true);
err:
	return client_done(c, false);
}

/**
 * ss_pipe_spawn() - start a process whose stdin/stdout carry frames
 * @argv:	NULL-terminated command (looked up in PATH)
 * @hdr:	length prefix on its stdin/stdout: 4 (sockswitch-plug -) or
 *		2 (vde_plug, sockswitch-plug --vde-stream)
 * @err_path:	file for its stderr, or NULL for /dev/null
 *
 * The process is killed by its recorded pid in ss_client_close() (and so
 * in ss_cleanup()), and gets SIGKILL if the test process dies. SIGPIPE is ignored from now on, so a process that died makes a send
 * fail instead of killing the test.
 *
 * Return: new client owned by the registry, or NULL with errno set
 */
struct ss_client *ss_pipe_spawn(const char *const *argv, unsigned int hdr,
				const char *err_path)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	struct ss_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = -1;
	c->hdr = hdr;
	c->cap = 4 + SS_FRAME_LIMIT + SS_RX_CHUNK;
	c->buf = malloc(c->cap);
	snprintf(c->url, sizeof(c->url), "pipe:%s", argv[0]);
	if (!c->buf || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		goto err;
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0)
		goto err;
	if (c->pid == 0) {
		int efd = open(err_path ? err_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* execvp() takes char *const[]; it does not write. */
		char *const *av;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (efd >= 0)
			dup2(efd, 2);
		memcpy(&av, &argv, sizeof(av));
		execvp(argv[0], av);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->wfd = in[1];
	c->fd = out[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	fcntl(c->wfd, F_SETFL, O_NONBLOCK);
	return client_done(c, true);
err:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	c->pid = 0;
	return client_done(c, false);
}

/* One datagram of the bytes in @iov; waits (bounded) while it is full. */
static int dgram_send(struct ss_client *c, struct iovec *iov, int iovcnt)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	struct msghdr msg = { .msg_name = &c->peer,
			      .msg_namelen = c->peerlen,
			      .msg_iov = iov,
			      .msg_iovlen = (size_t)iovcnt };

	while (sendmsg(c->fd, &msg, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != ENOBUFS)
			return -errno;
		/* An unconnected unix socket polls writable even when the
		 * switch's queue is full: retry on a short timer. */
		if (ss_now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 1);
	}
	return 0;
}

/* The next datagram, as a frame. */
static int dgram_recv(struct ss_client *c, const uint8_t **frame, size_t *len,
		      int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(c->fd, c->buf, c->cap, 0);
		if (n >= 0) {
			*frame = c->buf;
			*len = (size_t)n;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		ret = wait_fd(c->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
	}
}

/**
 * ss_client_close() - close the connection and free the client
 * @c:		client, or NULL
 */
void ss_client_close(struct ss_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SS_MAX_CLIENTS; i++)
		if (clients[i] == c)
			clients[i] = NULL;
	if (c->fd >= 0)
		close(c->fd);
	if (c->bound[0])
		unlink(c->bound);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->wfd > 0)
		close(c->wfd);
	free(c->buf);
	free(c);
}

/**
 * ss_client_abort() - reset the connection (TCP RST via SO_LINGER 0) and
 *		       free the client
 * @c:		client, or NULL
 *
 * For unix sockets this is a plain close.
 */
void ss_client_abort(struct ss_client *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (!c)
		return;
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	ss_client_close(c);
}

static int send_iov(struct ss_client *c, struct iovec *iov, int iovcnt)
{
	int64_t deadline = ss_now_ms() + SS_TIMEOUT_MS;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t n;
	int ret;

	if (c->dgram)
		return dgram_send(c, iov, iovcnt);
	while (msg.msg_iovlen > 0) {
		if (c->pid > 0)
			n = writev(c->wfd, msg.msg_iov, (int)msg.msg_iovlen);
		else
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			ret = wait_fd(c->pid > 0 ? c->wfd : c->fd, POLLOUT,
				      deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		while (msg.msg_iovlen > 0 &&
		       (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov->iov_base =
				(char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/**
 * ss_send_raw() - write bytes to the stream as they are, no framing
 * @c:		client
 * @buf:	bytes
 * @len:	how many
 *
 * Waits (bounded) while the socket is full.
 *
 * Return: 0 on success, negative error code on failure (-ETIMEDOUT if the
 *	   switch stopped reading)
 */
int ss_send_raw(struct ss_client *c, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf,
			     .iov_len = len };

	return send_iov(c, &iov, 1);
}

/**
 * ss_send_len() - write only a 4-byte big-endian length prefix
 * @c:		client
 * @len:	the length to announce (need not match what follows)
 *
 * Return: 0 on success, negative error code on failure
 */
int ss_send_len(struct ss_client *c, uint32_t len)
{
	uint32_t be = htonl(len);

	return ss_send_raw(c, &be, sizeof(be));
}

/**
 * ss_send_frame() - send one frame with its length prefix
 * @c:		client
 * @frame:	the frame
 * @len:	its length
 *
 * Return: 0 on success, negative error code on failure
 */
int ss_send_frame(struct ss_client *c, const void *frame, size_t len)
{
	uint32_t be = htonl((uint32_t)len);
	size_t hl = c->hdr ? c->hdr : SS_HDR_LEN;
	struct iovec iov[2] = {
		{ .iov_base = (uint8_t *)&be + sizeof(be) - hl, .iov_len = hl },
		{ .iov_base = (void *)(uintptr_t)frame, .iov_len = len },
	};

	if (c->dgram)
		return ss_send_raw(c, frame, len);
	return send_iov(c, iov, 2);
}

/* One read into the buffer; 0 = got bytes, -EPIPE = closed, -EAGAIN. */
static int fill(struct ss_client *c)
{
	ssize_t n;

	if (c->off > 0 && (c->cap - c->len < SS_RX_CHUNK || c->off == c->len)) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n > 0) {
		c->len += (size_t)n;
		return 0;
	}
	if (n == 0 || errno == ECONNRESET) {
		c->eof = true;
		return -EPIPE;
	}
	return errno == EINTR ? 0 : -errno;
}

/* A complete frame in the buffer: 1, none yet: 0, bad length: -EPROTO. */
static int frame_ready(struct ss_client *c, const uint8_t **frame, size_t *len)
{
	size_t have = c->len - c->off, hl = c->hdr ? c->hdr : SS_HDR_LEN;
	uint32_t flen = 0;

	if (have < hl)
		return 0;
	for (size_t i = 0; i < hl; i++)
		flen = flen << 8 | c->buf[c->off + i];
	if (flen > SS_FRAME_LIMIT)
		return -EPROTO;
	if (have < hl + (size_t)flen)
		return 0;
	*frame = c->buf + c->off + hl;
	*len = flen;
	c->off += hl + flen;
	return 1;
}

/**
 * ss_recv_frame() - receive the next frame, reassembling across reads
 * @c:		client
 * @frame:	set to the frame (valid until the next receive on @c)
 * @len:	set to its length
 * @timeout_ms:	how long to wait; 0 only takes what is already readable
 *
 * Return: 0 on success, -ETIMEDOUT if no complete frame came in time,
 *	   -EPIPE if the switch closed the connection, -EPROTO if the switch
 *	   sent a length above SS_FRAME_LIMIT, other negative error codes
 */
int ss_recv_frame(struct ss_client *c, const uint8_t **frame, size_t *len,
		  int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	int ret;

	if (c->dgram)
		return dgram_recv(c, frame, len, timeout_ms);
	for (;;) {
		ret = frame_ready(c, frame, len);
		if (ret != 0)
			return ret < 0 ? ret : 0;
		if (c->eof)
			return -EPIPE;
		ret = fill(c);
		if (ret == -EAGAIN) {
			ret = wait_fd(c->fd, POLLIN, deadline);
			if (ret < 0)
				return ret;
		} else if (ret < 0) {
			return ret;
		}
	}
}

/**
 * ss_wait_eof() - read and discard until the switch closes the connection
 * @c:		client
 * @timeout_ms:	bound
 *
 * Return: 0 once the connection is closed, -ETIMEDOUT if still open
 */
int ss_wait_eof(struct ss_client *c, int timeout_ms)
{
	int64_t deadline = ss_now_ms() + timeout_ms;
	int ret;

	while (!c->eof) {
		c->off = c->len = 0;
		ret = fill(c);
		if (ret == -EAGAIN) {
			ret = wait_fd(c->fd, POLLIN, deadline);
			if (ret < 0)
				return ret;
		} else if (ret < 0 && ret != -EPIPE) {
			/* Any hard error also means the switch is gone. */
			c->eof = true;
		}
	}
	return 0;
}

/**
 * ss_drain() - discard every complete frame that is readable right now
 * @c:		client
 *
 * Return: number of frames discarded
 */
size_t ss_drain(struct ss_client *c)
{
	const uint8_t *f;
	size_t n = 0, len;

	while (ss_recv_frame(c, &f, &len, 0) == 0)
		n++;
	return n;
}

/**
 * ss_local_port() - the client's own TCP port (to find it in the logs)
 * @c:		client
 *
 * Return: port number, or -1 for unix sockets and errors
 */
int ss_local_port(const struct ss_client *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/**
 * ss_mac() - a locally administered unicast MAC for test station @n
 * @mac:	output, 02:00:00:00:HH:LL
 * @n:		station number
 */
void ss_mac(uint8_t mac[SS_MAC_LEN], unsigned int n)
{
	static const uint8_t base[SS_MAC_LEN] = { 0x02, 0x00, 0x00, 0x00 };

	memcpy(mac, base, SS_MAC_LEN);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static uint8_t pattern(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8) * 13u);
}

/**
 * ss_frame_build() - fill a test frame
 * @buf:	output, at least @len bytes
 * @len:	frame length, >= SS_ETH_HLEN
 * @dst:	destination MAC
 * @src:	source MAC
 * @seq:	sequence number, stored after the EtherType if @len allows
 *
 * The payload after the sequence number is a pattern of @seq and the
 * offset, so a corrupted, truncated or misordered frame is detected.
 *
 * Return: @len
 */
size_t ss_frame_build(uint8_t *buf, size_t len, const uint8_t *dst,
		      const uint8_t *src, uint32_t seq)
{
	uint8_t hdr[SS_ETH_HLEN + 4];
	uint32_t be = htonl(seq);

	memcpy(hdr, dst, SS_MAC_LEN);
	memcpy(hdr + 6, src, SS_MAC_LEN);
	hdr[12] = SS_ETHERTYPE_TEST >> 8;
	hdr[13] = SS_ETHERTYPE_TEST & 0xff;
	memcpy(hdr + 14, &be, sizeof(be));
	memcpy(buf, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
	for (size_t i = sizeof(hdr); i < len; i++)
		buf[i] = pattern(seq, i);
	return len;
}

/**
 * ss_frame_check() - is @frame exactly what ss_frame_build() made?
 * @frame:	received frame
 * @len:	its length (compared with nothing: the caller knows the size)
 * @dst:	expected destination MAC
 * @src:	expected source MAC
 * @seq:	expected sequence number
 *
 * Return: true if every byte matches
 */
bool ss_frame_check(const uint8_t *frame, size_t len, const uint8_t *dst,
		    const uint8_t *src, uint32_t seq)
{
	uint8_t hdr[SS_ETH_HLEN + 4];
	size_t n;

	if (len < SS_ETH_HLEN)
		return false;
	ss_frame_build(hdr, sizeof(hdr), dst, src, seq);
	n = len < sizeof(hdr) ? len : sizeof(hdr);
	if (memcmp(frame, hdr, n) != 0)
		return false;
	for (size_t i = sizeof(hdr); i < len; i++)
		if (frame[i] != pattern(seq, i))
			return false;
	return true;
}

/**
 * ss_frame_seq() - sequence number of a test frame
 * @frame:	frame
 * @len:	its length
 *
 * Return: the sequence number, or -1 if this is not a test frame with one
 */
int64_t ss_frame_seq(const uint8_t *frame, size_t len)
{
	uint32_t be;

	if (len < SS_ETH_HLEN + 4 || frame[12] != (SS_ETHERTYPE_TEST >> 8) ||
	    frame[13] != (SS_ETHERTYPE_TEST & 0xff))
		return -1;
	memcpy(&be, frame + 14, sizeof(be));
	return ntohl(be);
}

/**
 * ss_cleanup() - kill every daemon, free every client and temporary dir
 *
 * Meant for a Criterion .fini hook; safe to call more than once.
 */
void ss_cleanup(void)
{
	for (size_t i = 0; i < SS_MAX_CLIENTS; i++)
		ss_client_close(clients[i]);
	ss_daemon_cleanup_all();
}

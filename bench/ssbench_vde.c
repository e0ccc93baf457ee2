// SPDX-License-Identifier: MIT
/*
 * ssbench_vde.c - simulated hosts attached through libvdeplug
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * With --vde DIR every host is a libvdeplug client of the VDE switch serving
 * DIR (vde_open("vde://DIR")), the way QEMU's -netdev vde attaches: one
 * vde_send() per frame and one vde_recv() per frame. Received frames are
 * stored in the host's struct rx_buf behind a 4-byte length, so the tests
 * parse them exactly like frames from a stream. Without libvdeplug at build
 * time every function here fails with -ENOTSUP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ssbench.h"

#ifdef SSBENCH_HAVE_VDEPLUG
#include <libvdeplug.h>

/**
 * vde_supported() - whether this ssbench was built with libvdeplug
 *
 * Return: true if --vde works
 */
bool vde_supported(void)
{
	return true;
}

/**
 * vde_attach() - connect one host to a VDE switch
 * @dir:	the switch's directory (as for vde_switch -s DIR)
 * @conn:	set to the connection
 *
 * Return: the connection's data fd (for poll() and socket timeouts), or a
 *	   negative error code
 */
int vde_attach(const char *dir, void **conn)
{
	char url[4200], descr[] = "ssbench";
	VDECONN *c;
	int fd;

	if (snprintf(url, sizeof(url), "vde://%s", dir) >= (int)sizeof(url))
		return -ENAMETOOLONG;
	c = vde_open(url, descr, NULL);
	if (!c)
		return errno ? -errno : -ECONNREFUSED;
	fd = vde_datafd(c);
	if (fd < 0) {
		vde_close(c);
		return -EBADF;
	}
	*conn = c;
	return fd;
}

/**
 * vde_detach() - close a connection made by vde_attach()
 * @conn:	the connection, or NULL
 */
void vde_detach(void *conn)
{
	if (conn)
		vde_close(conn);
}

/**
 * vde_fill() - receive one frame into a reassembly buffer
 * @conn:	the connection
 * @r:		buffer; the frame is appended behind a 4-byte length
 *
 * Return: bytes stored (length included), -EAGAIN when the data fd's
 *	   receive timeout expired or the library dropped the packet, other
 *	   negative error code on failure. A VDE connection has no end of
 *	   stream, so 0 is never returned.
 */
ssize_t vde_fill(void *conn, struct rx_buf *r)
{
	size_t room;
	ssize_t n;
	uint8_t *p;

	rx_buf_compact(r);
	room = r->cap - r->have;
	if (room < BENCH_HDR_LEN + BENCH_MAX_FRAME)
		return -ENOBUFS;
	p = r->buf + r->have;
	n = vde_recv(conn, p + BENCH_HDR_LEN, BENCH_MAX_FRAME, 0);
	r->calls++;
	if (n < 0)
		return errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN
							      : -errno;
	if (n < 14) /* 1: "received but must be dropped" */
		return -EAGAIN;
	put_be32(p, (uint32_t)n);
	r->have += BENCH_HDR_LEN + (size_t)n;
	return BENCH_HDR_LEN + n;
}

/**
 * vde_write_frame() - send one frame with one vde_send()
 * @conn:	the connection
 * @buf:	4-byte length prefix and frame (the prefix is not sent)
 * @total:	their length
 * @writes:	incremented once
 *
 * Return: 0 on success, -EAGAIN if the data fd's send timeout expired,
 *	   other negative error code on failure
 */
int vde_write_frame(void *conn, const uint8_t *buf, size_t total,
		    uint64_t *writes)
{
	ssize_t n;

	do {
		n = vde_send(conn, buf + BENCH_HDR_LEN, total - BENCH_HDR_LEN,
			     0);
		(*writes)++;
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n == (ssize_t)(total - BENCH_HDR_LEN) ? 0 : -EMSGSIZE;
}

#else /* !SSBENCH_HAVE_VDEPLUG */

bool vde_supported(void)
{
	return false;
}

int vde_attach(const char *dir, void **conn)
{
	(void)dir;
	*conn = NULL;
	return -ENOTSUP;
}

void vde_detach(void *conn)
{
	(void)conn;
}

ssize_t vde_fill(void *conn, struct rx_buf *r)
{
	(void)conn;
	(void)r;
	return -ENOTSUP;
}

int vde_write_frame(void *conn, const uint8_t *buf, size_t total,
		    uint64_t *writes)
{
	(void)conn;
	(void)buf;
	(void)total;
	(void)writes;
	return -ENOTSUP;
}
#endif

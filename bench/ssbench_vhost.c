// SPDX-License-Identifier: MIT
/*
 * ssbench_vhost.c - simulated hosts attached as vhost-user frontends
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * With --vhost PATH every host connects to the vhost-user listener at PATH
 * and sets up a virtio-net device the way QEMU's -netdev vhost-user does:
 * its own guest memory (one memfd), an RX and a TX split virtqueue in it,
 * and a kick and a call eventfd per queue. Received frames are copied into
 * the host's struct rx_buf behind a 4-byte length, so the tests parse them
 * like frames from a stream.
 *
 * DOC: Theory of Operation
 * Handshake, in QEMU's order: GET_FEATURES; GET_PROTOCOL_FEATURES and
 * SET_PROTOCOL_FEATURES (REPLY_ACK only) when the backend offers
 * VHOST_USER_F_PROTOCOL_FEATURES; SET_OWNER; SET_FEATURES (VERSION_1, plus
 * MRG_RXBUF and PROTOCOL_FEATURES when offered); SET_MEM_TABLE with the
 * memfd; for queue 0 (RX) and 1 (TX) SET_VRING_NUM, SET_VRING_BASE,
 * SET_VRING_ADDR, SET_VRING_KICK, SET_VRING_CALL; then SET_VRING_ENABLE
 * for both when protocol features were negotiated. With REPLY_ACK every
 * message asks for an ack, so a refusal names the message that failed.
 * The rings themselves are ssbench_virtq.c's.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vhost_types.h>
#include <linux/virtio_config.h>

#include "ssbench.h"
#include "ssbench_vhost.h"

#define VU_VERSION 0x1
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)
#define VU_HDR_LEN 12
#define VU_F_PROTOCOL_FEATURES 30
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_REPLY_MS 5000 /* the backend's handshake replies */
#define VU_DEFAULT_MS 200 /* data path sleeps until host_timeouts() */

#define RX_SLOT_MRG 4096 /* one page per receive buffer with MRG_RXBUF */
/* a TX buffer, or an RX buffer without MRG_RXBUF: the largest frame */
#define BIG_SLOT \
	((VNET_HDR_LEN + BENCH_MAX_FRAME + VQ_PAGE - 1) / VQ_PAGE * VQ_PAGE)

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_SET_VRING_ENABLE = 18,
	VU_REQUEST_MAX,
};

/**
 * struct vu_mem - SET_MEM_TABLE payload with the one region ssbench uses
 * @nregions:	1
 * @padding:	0
 * @gpa:	guest physical address of the region: 0
 * @size:	its length
 * @uva:	where this process mapped it (ring addresses are given in these)
 * @mmap_offset: where it starts in the memfd: 0
 */
struct vu_mem {
	uint32_t nregions;
	uint32_t padding;
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

/**
 * struct vu_msg - one vhost-user message: the 12-byte header and a payload
 * @request:	enum vu_request
 * @flags:	VU_VERSION, VU_FLAG_REPLY, VU_FLAG_NEED_REPLY
 * @size:	bytes of payload
 * @p:		the payload
 */
struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	union {
		uint64_t u64;
		struct vhost_vring_state state;
		struct vhost_vring_addr addr;
		struct vu_mem mem;
	} p;
} __attribute__((packed));

static const char *vu_name(uint32_t req)
{
	static const char *const names[VU_REQUEST_MAX] = {
		[VU_GET_FEATURES] = "GET_FEATURES",
		[VU_SET_FEATURES] = "SET_FEATURES",
		[VU_SET_OWNER] = "SET_OWNER",
		[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	};

	return req < VU_REQUEST_MAX && names[req] ? names[req] : "?";
}

/**
 * vhost_fail() - say on stderr what failed on a host
 * @vh:		the host
 * @what:	the message or ring concerned
 * @err:	returned
 * @fmt:	printf format of the rest of the line
 *
 * Prints "ssbench: vhost-user PATH: WHAT: ...".
 *
 * Return: @err
 */
int vhost_fail(const struct vhost_host *vh, const char *what, int err,
	       const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ssbench: vhost-user %s: %s: ", vh->path, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return err;
}

static int vu_send(const struct vhost_host *vh, struct vu_msg *m, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { m, VU_HDR_LEN + m->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(vh->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vhost_fail(vh, vu_name(m->request), -errno, "send: %s",
				  strerror(errno));
	if ((size_t)n != iov.iov_len)
		return vhost_fail(vh, vu_name(m->request), -EPIPE,
				  "short send (%zd of %zu bytes)", n,
				  iov.iov_len);
	return 0;
}

/* Read exactly @len bytes of a reply to @req. Return: 0 or -errno. */
static int vu_read(const struct vhost_host *vh, uint32_t req, void *buf,
		   size_t len)
{
	ssize_t n;

	do
		n = recv(vh->sock, buf, len, MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return vhost_fail(vh, vu_name(req), -ECONNRESET,
				  "the backend closed the connection");
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return vhost_fail(vh, vu_name(req), -ETIMEDOUT,
				  "no reply within %d ms", VU_REPLY_MS);
	if (n < 0)
		return vhost_fail(vh, vu_name(req), -errno, "receive: %s",
				  strerror(errno));
	if ((size_t)n != len)
		return vhost_fail(vh, vu_name(req), -EPROTO,
				  "short reply (%zd of %zu bytes)", n, len);
	return 0;
}

/* Receive the u64 reply (a value or an ack) to @req. */
static int vu_reply(const struct vhost_host *vh, uint32_t req, uint64_t *v)
{
	struct vu_msg m;
	int ret;

	ret = vu_read(vh, req, &m, VU_HDR_LEN);
	if (ret)
		return ret;
	if (m.request != req || (m.flags & 3) != VU_VERSION ||
	    !(m.flags & VU_FLAG_REPLY) || m.size != sizeof(m.p.u64))
		return vhost_fail(
			vh, vu_name(req), -EPROTO,
			"bad reply header: request %u flags 0x%x size %u",
			m.request, m.flags, m.size);
	ret = vu_read(vh, req, &m.p.u64, sizeof(m.p.u64));
	if (!ret)
		*v = le64toh(m.p.u64);
	return ret;
}

/* Ask @req and return its u64 reply in *@v. */
static int vu_get(const struct vhost_host *vh, uint32_t req, uint64_t *v)
{
	struct vu_msg m = { .request = req, .flags = VU_VERSION };
	int ret = vu_send(vh, &m, -1);

	return ret ? ret : vu_reply(vh, req, v);
}

/*
 * Send @req with @size bytes of @payload (and @fd, if not negative); with
 * REPLY_ACK wait for the ack. Return: 0, or -EPROTO when it was refused.
 */
static int vu_set(const struct vhost_host *vh, uint32_t req,
		  const void *payload, uint32_t size, int fd)
{
	struct vu_msg m = { .request = req, .flags = VU_VERSION, .size = size };
	uint64_t ack;
	int ret;

	if (size > sizeof(m.p))
		return -EINVAL;
	if (size)
		memcpy(&m.p, payload, size);
	if (vh->reply_ack)
		m.flags |= VU_FLAG_NEED_REPLY;
	ret = vu_send(vh, &m, fd);
	if (ret || !vh->reply_ack)
		return ret;
	ret = vu_reply(vh, req, &ack);
	if (!ret && ack)
		return vhost_fail(vh, vu_name(req), -EPROTO,
				  "refused by the backend (ack %llu)",
				  (unsigned long long)ack);
	return ret;
}

static int vu_set_u64(const struct vhost_host *vh, uint32_t req, uint64_t v)
{
	v = htole64(v);
	return vu_set(vh, req, &v, sizeof(v), -1);
}

static int vu_set_state(const struct vhost_host *vh, uint32_t req, unsigned idx,
			unsigned num)
{
	struct vhost_vring_state s = { .index = idx, .num = num };

	return vu_set(vh, req, &s, sizeof(s), -1);
}

/* SET_VRING_KICK or SET_VRING_CALL: the ring index, the eventfd attached */
static int vu_set_fd(const struct vhost_host *vh, uint32_t req, unsigned idx,
		     int fd)
{
	uint64_t v = htole64(idx);

	return vu_set(vh, req, &v, sizeof(v), fd);
}

/* Feature negotiation and SET_OWNER, in QEMU's order. */
static int vu_negotiate(struct vhost_host *vh)
{
	const uint64_t version_1 = 1ULL << VIRTIO_F_VERSION_1;
	const uint64_t mrg = 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	const uint64_t proto = 1ULL << VU_F_PROTOCOL_FEATURES;
	const uint64_t ack = 1ULL << VU_PROTOCOL_F_REPLY_ACK;
	uint64_t f, pf;
	int ret;

	ret = vu_get(vh, VU_GET_FEATURES, &f);
	if (ret)
		return ret;
	if (!(f & version_1))
		return vhost_fail(
			vh, "GET_FEATURES", -ENOTSUP,
			"the backend does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
			(unsigned long long)f);
	vh->mrg = f & mrg;
	vh->enable = f & proto;
	if (vh->enable) {
		ret = vu_get(vh, VU_GET_PROTOCOL_FEATURES, &pf);
		if (!ret)
			ret = vu_set_u64(vh, VU_SET_PROTOCOL_FEATURES,
					 pf & ack);
		if (ret)
			return ret;
		vh->reply_ack = pf & ack;
	}
	ret = vu_set(vh, VU_SET_OWNER, NULL, 0, -1);
	if (!ret)
		ret = vu_set_u64(vh, VU_SET_FEATURES,
				 version_1 | (f & (mrg | proto)));
	return ret;
}

/*
 * Create the guest memory (rings of both queues, then the RX buffers, then
 * the TX buffers) and send it with SET_MEM_TABLE.
 */
static int vu_memory(struct vhost_host *vh)
{
	size_t rx_slot = vh->mrg ? RX_SLOT_MRG : BIG_SLOT;
	struct vu_mem m = { .nregions = 1 };
	int fd, ret;

	vh->mem_len = 2 * VQ_RINGS_LEN + VQ_NUM * (rx_slot + BIG_SLOT);
	fd = memfd_create("ssbench-vhost", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)vh->mem_len)) {
		ret = -errno;
		goto out;
	}
	vh->mem = mmap(NULL, vh->mem_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	if (vh->mem == MAP_FAILED) {
		vh->mem = NULL;
		ret = -errno;
		goto out;
	}
	vq_init(&vh->q[VQ_RX], vh->mem, 0, 2 * VQ_RINGS_LEN, rx_slot, true);
	vq_init(&vh->q[VQ_TX], vh->mem, VQ_RINGS_LEN,
		2 * VQ_RINGS_LEN + VQ_NUM * rx_slot, BIG_SLOT, false);
	m.size = htole64(vh->mem_len);
	m.uva = htole64((uint64_t)(uintptr_t)vh->mem);
	ret = vu_set(vh, VU_SET_MEM_TABLE, &m, sizeof(m), fd);
	close(fd); /* the mapping stays */
	return ret;
out:
	if (fd >= 0)
		close(fd);
	return vhost_fail(vh, "guest memory", ret, "%zu bytes: %s", vh->mem_len,
			  strerror(-ret));
}

/* Eventfds and ring setup of queue @i (0: RX, 1: TX). */
static int vq_start(struct vhost_host *vh, unsigned i)
{
	struct vq *q = &vh->q[i];
	struct vhost_vring_addr a = {
		.index = i,
		.desc_user_addr = (uint64_t)(uintptr_t)q->desc,
		.used_user_addr = (uint64_t)(uintptr_t)q->used,
		.avail_user_addr = (uint64_t)(uintptr_t)q->avail,
	};
	int ret;

	q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick < 0 || q->call < 0)
		return vhost_fail(vh, "eventfd", -errno, "%s", strerror(errno));
	ret = vu_set_state(vh, VU_SET_VRING_NUM, i, VQ_NUM);
	if (!ret)
		ret = vu_set_state(vh, VU_SET_VRING_BASE, i, 0);
	if (!ret)
		ret = vu_set(vh, VU_SET_VRING_ADDR, &a, sizeof(a), -1);
	if (!ret)
		ret = vu_set_fd(vh, VU_SET_VRING_KICK, i, q->kick);
	if (!ret)
		ret = vu_set_fd(vh, VU_SET_VRING_CALL, i, q->call);
	return ret;
}

/**
 * vhost_attach() - connect one host to a vhost-user backend
 * @path:	the backend's unix socket (kept for messages: must outlive
 *		the connection)
 * @conn:	set to the connection (struct vhost_host *)
 *
 * Runs the whole handshake; a message the backend refuses or does not
 * answer is named on stderr.
 *
 * Return: the RX call eventfd (readable when frames may wait; see
 *	   vhost_fill()), or a negative error code
 */
int vhost_attach(const char *path, void **conn)
{
	struct vhost_host *vh = calloc(1, sizeof(*vh));
	unsigned i;
	int ret;

	if (!vh)
		return -ENOMEM;
	vh->path = path;
	vh->snd_ms = vh->rcv_ms = VU_DEFAULT_MS;
	for (i = 0; i < 2; i++)
		vh->q[i].kick = vh->q[i].call = -1;
	vh->sock = switch_connect(path, NULL);
	ret = vh->sock < 0 ? vh->sock
			   : sock_timeouts(vh->sock, VU_REPLY_MS, VU_REPLY_MS);
	if (!ret)
		ret = vu_negotiate(vh);
	if (!ret)
		ret = vu_memory(vh);
	for (i = 0; i < 2 && !ret; i++)
		ret = vq_start(vh, i);
	for (i = 0; i < 2 && !ret && vh->enable; i++)
		ret = vu_set_state(vh, VU_SET_VRING_ENABLE, i, 1);
	if (ret) {
		vhost_detach(vh);
		return ret;
	}
	vq_signal(vh->q[VQ_RX].kick, &(uint64_t){ 0 }); /* RX buffers wait */
	*conn = vh;
	return vh->q[VQ_RX].call;
}

/**
 * vhost_detach() - close a connection made by vhost_attach()
 * @conn:	the connection, or NULL
 */
void vhost_detach(void *conn)
{
	struct vhost_host *vh = conn;
	unsigned i;

	if (!vh)
		return;
	if (vh->sock >= 0)
		close(vh->sock);
	for (i = 0; i < 2; i++) {
		if (vh->q[i].kick >= 0)
			close(vh->q[i].kick);
		if (vh->q[i].call >= 0)
			close(vh->q[i].call);
	}
	if (vh->mem)
		munmap(vh->mem, vh->mem_len);
	free(vh);
}

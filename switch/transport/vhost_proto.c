// SPDX-License-Identifier: MIT
/*
 * vhost_proto.c - vhost-user ports' protocol: messages and descriptors
 * read from the connection, the guest's memory table mapped, queues set
 * up, started and stopped (DOC in vhost_user.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport/vhost_user.h"

static int vu_send(struct vu_port *vp, uint32_t req, const void *payload,
		   uint32_t size)
{
	uint8_t out[VU_HDR_LEN + 16];
	uint32_t flags = VU_VERSION | VU_FLAG_REPLY;
	ssize_t n;

	memcpy(out, &req, 4);
	memcpy(out + 4, &flags, 4);
	memcpy(out + 8, &size, 4);
	memcpy(out + VU_HDR_LEN, payload, size);
	/* A reply is tiny and the frontend waits for it: the socket buffer
	 * is empty, so a blocking-free send writes it whole. */
	n = send(vp->fd, out, VU_HDR_LEN + size, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)(VU_HDR_LEN + size)) {
		vu_fail(vp, "cannot send a reply to request %u: %s", req,
			n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

static int vu_send_u64(struct vu_port *vp, uint32_t req, uint64_t v)
{
	return vu_send(vp, req, &v, sizeof(v));
}

static int vu_take_fd(struct vu_port *vp)
{
	int fd;

	if (!vp->nfds)
		return -1;
	fd = vp->fds[0];
	memmove(vp->fds, vp->fds + 1, --vp->nfds * sizeof(vp->fds[0]));
	return fd;
}

static void vu_close_fds(struct vu_port *vp)
{
	while (vp->nfds)
		close(vu_take_fd(vp));
}

struct vu_region_msg {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t offset;
};

static int vu_place(struct vu_port *vp, struct vu_vq *v)
{
	return virtq_setup(&v->q, &vp->mem, v->num, v->desc, v->avail, v->used);
}

/*
 * Would a mapping of @len bytes of @fd reach past the end of its file?
 * A page there raises SIGBUS when touched, which ends the whole switch:
 * such a region is refused. (A frontend could still shrink the file
 * later unless it is sealed, as QEMU's memfd backend seals it.)
 */
static bool vu_file_short(int fd, uint64_t len, uint64_t *size)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return false; /* mmap() will say what is wrong */
	*size = (uint64_t)sb.st_size;
	return S_ISREG(sb.st_mode) && *size < len;
}

static int vu_set_mem_table(struct vu_port *vp, const uint8_t *pl,
			    uint32_t size, char *why, size_t wlen)
{
	struct vu_region_msg r[VQ_REGIONS_MAX];
	int fds[VQ_REGIONS_MAX];
	uint32_t n, i;
	int rc = 0;

	if (size < 8) {
		snprintf(why, wlen, "memory table of %u bytes", size);
		return -EINVAL;
	}
	memcpy(&n, pl, 4);
	if (n == 0 || n > VQ_REGIONS_MAX || size < 8 + n * sizeof(r[0])) {
		snprintf(why, wlen,
			 "memory table with %u regions (1-%d, %u bytes)", n,
			 VQ_REGIONS_MAX, size);
		return -EINVAL;
	}
	if (vp->nfds < n) {
		snprintf(
			why, wlen,
			"memory table with %u regions came with %u descriptors",
			n, vp->nfds);
		return -EINVAL;
	}
	memcpy(r, pl + 8, n * sizeof(r[0]));
	for (i = 0; i < n; i++)
		fds[i] = vu_take_fd(vp);
	vu_quiesce(vp);
	vu_unmap(vp);
	for (i = 0; i < n && rc == 0; i++) {
		uint64_t len = r[i].size + r[i].offset, fsize = 0;
		void *m;

		if (r[i].size == 0 || len < r[i].size || len > SIZE_MAX ||
		    r[i].gpa + r[i].size < r[i].gpa ||
		    r[i].uva + r[i].size < r[i].uva) {
			snprintf(why, wlen, "memory region %u: bad size", i);
			rc = -EINVAL;
			break;
		}
		if (vu_file_short(fds[i], len, &fsize)) {
			snprintf(why, wlen,
				 "memory region %u needs %" PRIu64
				 " bytes of its file (offset %" PRIu64
				 " + size %" PRIu64
				 ") but the file has %" PRIu64,
				 i, len, r[i].offset, r[i].size, fsize);
			rc = -EINVAL;
			break;
		}
		m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[i], 0);
		if (m == MAP_FAILED) {
			rc = -errno;
			snprintf(
				why, wlen,
				"cannot map memory region %u (%" PRIu64
				" bytes): %s; is the guest's memory shared (share=on)?",
				i, len, strerror(errno));
			break;
		}
		vp->map[i] = m;
		vp->map_len[i] = (size_t)len;
		vp->mem.r[i].gpa = r[i].gpa;
		vp->mem.r[i].uva = r[i].uva;
		vp->mem.r[i].size = r[i].size;
		vp->mem.r[i].host = (uint8_t *)m + r[i].offset;
		vp->mem.n = i + 1;
		log_debug("port %u: region %u: gpa %#" PRIx64 " uva %#" PRIx64
			  " size %" PRIu64 " offset %" PRIu64,
			  vp->port.id, i, r[i].gpa, r[i].uva, r[i].size,
			  r[i].offset);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (rc < 0) {
		vu_unmap(vp);
		return rc;
	}
	/* Rings in place move with the memory (hot-plug sends a new table). */
	for (i = 0; i < VU_NQ; i++) {
		struct vu_vq *v = &vp->vq[i];

		if (v->started && vu_place(vp, v) < 0) {
			snprintf(why, wlen,
				 "queue %u is outside the new memory table", i);
			return -EFAULT;
		}
	}
	log_debug("port %u: guest memory: %u regions mapped", vp->port.id, n);
	return 0;
}

static struct vu_vq *vu_vq_of(struct vu_port *vp, uint64_t index, char *why,
			      size_t wlen)
{
	if (index >= VU_NQ) {
		snprintf(
			why, wlen,
			"queue %" PRIu64
			" does not exist (one receive and one transmit queue; no multiqueue)",
			index);
		return NULL;
	}
	return &vp->vq[index];
}

static int vu_start(struct vu_port *vp, struct vu_vq *v, char *why, size_t wlen)
{
	int rc;

	if (!vp->mem.n || !v->have_addr || !v->num) {
		snprintf(why, wlen,
			 "kick for a queue without memory, size or addresses");
		return -EINVAL;
	}
	rc = vu_place(vp, v);
	if (rc < 0) {
		snprintf(why, wlen,
			 "queue of %u entries at %#" PRIx64 "/%#" PRIx64
			 "/%#" PRIx64 ": %s",
			 v->num, v->desc, v->avail, v->used,
			 rc == -EINVAL ? "bad size or alignment"
				       : "outside the guest's memory");
		return rc;
	}
	v->started = true;
	if (!(vp->features & VU_F_PROTOCOL_FEATURES))
		v->enabled = true;
	ev_io_set(&v->kick, v->kick_fd, EV_READ);
	ev_io_start(vp->d->loop, &v->kick);
	ev_feed_event(vp->d->loop, &v->kick,
		      EV_READ); /* chains already there */
	return 0;
}

/*
 * Kicks and calls are eventfds: another kind of file can stay readable
 * for good (a pipe whose writer has gone: the loop would spin on it) or
 * fill up (a pipe nobody reads: a blocking write would stop the switch).
 * Without /proc this cannot be told; the descriptors are made
 * non-blocking anyway.
 */
static bool vu_is_eventfd(int fd)
{
	char path[32], link[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return true;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventfd]") == 0;
}

/* SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR: a queue's descriptor. */
static int vu_set_vring_fd(struct vu_port *vp, uint32_t req, uint64_t u64,
			   char *why, size_t wlen)
{
	int fd = (u64 & VU_VRING_NOFD) ? -1 : vu_take_fd(vp);
	struct vu_vq *v = vu_vq_of(vp, u64 & VU_VRING_IDX_MASK, why, wlen);
	const char *what = req == VU_SET_VRING_KICK ? "kick" : "call";

	if (!v)
		goto bad;
	if (fd < 0 && !(u64 & VU_VRING_NOFD)) {
		snprintf(why, wlen, "request %u came without its descriptor",
			 req);
		goto bad;
	}
	if (req == VU_SET_VRING_ERR) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (fd >= 0 && !vu_is_eventfd(fd)) {
		snprintf(why, wlen,
			 "queue %u: the %s descriptor is not an eventfd",
			 (unsigned)(v - vp->vq), what);
		goto bad;
	}
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (req == VU_SET_VRING_CALL) {
		if (v->call_fd >= 0)
			close(v->call_fd);
		v->call_fd = fd;
		return 0;
	}
	if (fd < 0) {
		snprintf(
			why, wlen,
			"queue %u without a kick descriptor (polling) is not supported",
			(unsigned)(v - vp->vq));
		return -EINVAL;
	}
	vu_vq_stop(vp, v);
	v->kick_fd = fd;
	return vu_start(vp, v, why, wlen);
bad:
	if (fd >= 0)
		close(fd);
	return -EINVAL;
}

/* One message; returns 0, or -1 once the port failed. */
#define VU_REPLY_FAILED (-1000) /* a reply could not be sent: port failed */

static int vu_set_vring_addr(struct vu_port *vp, const uint8_t *pl,
			     uint32_t size, char *why, size_t wlen)
{
	struct vu_vq *v;
	uint64_t a[5];

	if (size < 40) {
		snprintf(why, wlen, "vring address of %u bytes", size);
		return -EINVAL;
	}
	memcpy(a, pl, 40); /* index, flags; desc, used, avail, log */
	v = vu_vq_of(vp, (uint32_t)a[0], why, wlen);
	if (!v)
		return -EINVAL;
	v->desc = a[1];
	v->used = a[2];
	v->avail = a[3];
	log_debug("port %u: queue %u: desc %#" PRIx64 " used %#" PRIx64
		  " avail %#" PRIx64,
		  vp->port.id, (unsigned)(v - vp->vq), a[1], a[2], a[3]);
	v->have_addr = true;
	return 0;
}

/* GET_VRING_BASE: the guest stops the queue (reset, shutdown). */
static int vu_get_vring_base(struct vu_port *vp, struct vu_vq *v,
			     uint32_t st[2])
{
	vu_quiesce(vp); /* transmit chains taken go back first */
	if (v->started)
		vp->st.resets += v == &vp->vq[VU_TXQ];
	vu_vq_stop(vp, v);
	v->enabled = false;
	vu_carrier(vp);
	st[1] = v->q.last_avail;
	return vu_send(vp, VU_GET_VRING_BASE, st, 2 * sizeof(st[0])) < 0
		       ? VU_REPLY_FAILED
		       : 0;
}

/*
 * The per-queue requests. Return: 0, a negative error code with @why
 * filled, or VU_REPLY_FAILED; *@replied when the request had a reply.
 */
static int vu_handle_vring(struct vu_port *vp, uint32_t req, const uint8_t *pl,
			   uint32_t size, char *why, size_t wlen, bool *replied)
{
	uint32_t st[2] = { 0, 0 };
	uint64_t u64 = 0;
	struct vu_vq *v;

	if (size >= 8) {
		memcpy(st, pl, 8);
		memcpy(&u64, pl, 8);
	}
	switch (req) {
	case VU_SET_VRING_ADDR:
		return vu_set_vring_addr(vp, pl, size, why, wlen);
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		return vu_set_vring_fd(vp, req, u64, why, wlen);
	}
	v = vu_vq_of(vp, st[0], why, wlen);
	if (!v)
		return -EINVAL;
	switch (req) {
	case VU_SET_VRING_NUM:
		if (st[1] == 0 || st[1] > VQ_NUM_MAX || (st[1] & (st[1] - 1))) {
			snprintf(why, wlen,
				 "queue size %u (a power of two up to %d)",
				 st[1], VQ_NUM_MAX);
			return -EINVAL;
		}
		v->num = st[1];
		return 0;
	case VU_SET_VRING_BASE:
		v->q.last_avail = (uint16_t)st[1];
		return 0;
	case VU_GET_VRING_BASE:
		*replied = true;
		return vu_get_vring_base(vp, v, st);
	default: /* VU_SET_VRING_ENABLE */
		v->enabled = st[1] != 0;
		return 0;
	}
}

static bool vu_is_vring_req(uint32_t req)
{
	return (req >= VU_SET_VRING_NUM && req <= VU_SET_VRING_ERR) ||
	       req == VU_SET_VRING_ENABLE;
}

/* The device-wide requests; as vu_handle_vring(). */
static int vu_handle_dev(struct vu_port *vp, uint32_t req, const uint8_t *pl,
			 uint32_t size, char *why, size_t wlen, bool *replied)
{
	uint64_t u64 = 0;

	if (size >= 8)
		memcpy(&u64, pl, 8);
	switch (req) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
		*replied = true;
		u64 = req == VU_GET_FEATURES		? VU_FEATURES
		      : req == VU_GET_PROTOCOL_FEATURES ? VU_PROTOCOL_FEATURES
							: 1;
		return vu_send_u64(vp, req, u64) < 0 ? VU_REPLY_FAILED : 0;
	case VU_SET_FEATURES:
		if (size < 8 || (u64 & ~VU_FEATURES)) {
			snprintf(why, wlen,
				 "features %#" PRIx64
				 " beyond those offered (%#" PRIx64 ")",
				 u64, (uint64_t)VU_FEATURES);
			return -EINVAL;
		}
		vp->features = u64;
		vp->mrg = !!(u64 & VU_F_NET_MRG_RXBUF);
		vp->hdr_len =
			(u64 & (VU_F_VERSION_1 | VU_F_NET_MRG_RXBUF)) ? 12 : 10;
		return 0;
	case VU_SET_PROTOCOL_FEATURES:
		vp->pfeatures = u64 & VU_PROTOCOL_FEATURES;
		return 0;
	case VU_SET_OWNER:
		return 0;
	case VU_RESET_OWNER:
		vu_quiesce(vp);
		vu_vq_stop(vp, &vp->vq[VU_RXQ]);
		vu_vq_stop(vp, &vp->vq[VU_TXQ]);
		vu_unmap(vp);
		return 0;
	case VU_SET_MEM_TABLE:
		return vu_set_mem_table(vp, pl, size, why, wlen);
	default:
		snprintf(
			why, wlen,
			"request %u is not supported (features offered %#" PRIx64
			", protocol features %#" PRIx64 ")",
			req, (uint64_t)VU_FEATURES,
			(uint64_t)VU_PROTOCOL_FEATURES);
		return -EOPNOTSUPP;
	}
}

/* One message; returns 0, or -1 once the port failed. */
static int vu_handle(struct vu_port *vp, uint32_t req, uint32_t flags,
		     const uint8_t *pl, uint32_t size)
{
	char why[320] = "";
	bool replied = false;
	int rc;

	vp->st.msgs++;
	log_debug("port %u: vhost-user request %u, %u bytes%s", vp->port.id,
		  req, size,
		  (flags & VU_FLAG_NEED_REPLY) ? ", reply wanted" : "");
	if (vu_is_vring_req(req))
		rc = vu_handle_vring(vp, req, pl, size, why, sizeof(why),
				     &replied);
	else
		rc = vu_handle_dev(vp, req, pl, size, why, sizeof(why),
				   &replied);
	if (rc == VU_REPLY_FAILED)
		return -1;
	if (rc == 0)
		vu_carrier(vp);
	if (!replied && (flags & VU_FLAG_NEED_REPLY) &&
	    (vp->pfeatures & VU_PF_REPLY_ACK)) {
		if (vu_send_u64(vp, req, rc ? 1 : 0) < 0)
			return -1;
	}
	if (rc < 0) {
		vu_fail(vp, "vhost-user request %u: %s", req, why);
		return -1;
	}
	return 0;
}

static void vu_recv_fds(struct vu_port *vp, struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n, i;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			if (vp->nfds < VU_FDS_MAX)
				vp->fds[vp->nfds++] = fd;
			else
				close(fd);
		}
	}
}

/**
 * vu_msg_cb() - read the connection: messages and their descriptors
 * @loop:	the loop
 * @w:		the port's connection watcher
 * @revents:	unused
 */
void vu_msg_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vu_port *vp = container_of(w, struct vu_port, rio);
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(VU_FDS_MAX * sizeof(int))];
	} cbuf;
	struct iovec iov = { vp->buf + vp->len, sizeof(vp->buf) - vp->len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf.b,
			     .msg_controllen = sizeof(cbuf.b) };
	size_t at = 0;
	ssize_t r;

	(void)loop;
	(void)revents;
	r = recvmsg(vp->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			vu_fail(vp, "connection: %s", strerror(errno));
		return;
	}
	vu_recv_fds(vp, &mh);
	if (r == 0) {
		vu_fail(vp, "frontend closed the connection");
		return;
	}
	vp->len += (size_t)r;
	while (vp->len - at >= VU_HDR_LEN) {
		uint32_t req, flags, size;
		const uint8_t *m = vp->buf + at;

		memcpy(&req, m, 4);
		memcpy(&flags, m + 4, 4);
		memcpy(&size, m + 8, 4);
		if ((flags & 3) != VU_VERSION || size > VU_PAYLOAD_MAX) {
			vu_fail(vp,
				"not a vhost-user message (request %u, flags %#x, %u bytes)",
				req, flags, size);
			return;
		}
		if (vp->len - at < VU_HDR_LEN + size)
			break;
		if (vu_handle(vp, req, flags, m + VU_HDR_LEN, size) < 0)
			return;
		at += VU_HDR_LEN + size;
	}
	memmove(vp->buf, vp->buf + at, vp->len - at);
	vp->len -= at;
	if (vp->len == 0 && vp->nfds) {
		log_debug("port %u: %u descriptors no request took, closed",
			  vp->port.id, vp->nfds);
		vu_close_fds(vp);
	}
}

/**
 * vu_close() - ops->close: release descriptors and memory, free the port
 * @p:		the port, removed from the switch
 */
void vu_close(struct port *p)
{
	struct vu_port *vp = container_of(p, struct vu_port, port);
	unsigned i;

	vu_stop_watchers(vp);
	swd_batch_hook_cancel(vp->d, &vp->bh);
	for (i = 0; i < VU_NQ; i++) {
		vu_vq_stop(vp, &vp->vq[i]);
		if (vp->vq[i].call_fd >= 0)
			close(vp->vq[i].call_fd);
	}
	vu_close_fds(vp);
	vu_unmap(vp);
	if (vp->fd >= 0)
		close(vp->fd);
	log_info("port %u: vhost-user kicks=%" PRIu64 " calls=%" PRIu64
		 " rx_wait=%" PRIu64 " rx_bad_desc=%" PRIu64
		 " messages=%" PRIu64 " queue_stops=%" PRIu64,
		 p->id, vp->st.kicks, vp->st.calls, vp->st.rx_wait,
		 vp->st.rx_bad_desc, vp->st.msgs, vp->st.resets);
	free(vp);
}

/**
 * vhost_port_info() - a vhost-user port's state and counters
 * @p:		any port
 * @out:	filled if it is a vhost-user port
 *
 * Return: true if @p is a vhost-user port
 */
bool vhost_port_info(const struct port *p, struct vhost_port_info *out)
{
	const struct vu_port *vp;

	if (p->ops != &vu_ops)
		return false;
	vp = const_container_of(p, struct vu_port, port);
	*out = (struct vhost_port_info){
		.running = vu_running(vp),
		.features = vp->features,
		.regions = vp->mem.n,
		.rx_size = vp->vq[VU_RXQ].num,
		.tx_size = vp->vq[VU_TXQ].num,
		.kicks = vp->st.kicks,
		.calls = vp->st.calls,
		.rx_wait = vp->st.rx_wait,
		.rx_bad_desc = vp->st.rx_bad_desc,
		.queue_stops = vp->st.resets,
	};
	return true;
}

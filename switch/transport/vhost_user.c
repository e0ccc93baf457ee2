// SPDX-License-Identifier: MIT
/*
 * vhost_user.c - vhost-user transport: the switch as a virtio-net backend
 *
 * DOC: Theory of Operation
 * A vhost-user:PATH listener is a unix stream socket where QEMU guests
 * (-netdev vhost-user over -chardev socket,path=PATH) and other vhost-user
 * frontends (DPDK's virtio-user) connect; each connection is one port.
 * Over the connection the frontend drives the vhost-user protocol
 * (QEMU's docs/interop/vhost-user.rst, protocols.md): it reads our
 * features, hands over its memory as file descriptors (SET_MEM_TABLE),
 * which we map read-write, places two split virtqueues in it (0: receive,
 * the guest's RX; 1: transmit) and gives each a kick eventfd (the guest
 * says "look") and a call eventfd (we say "done"). The port has carrier
 * while the memory is mapped and both queues run (started by their kick,
 * enabled, not stopped by GET_VRING_BASE); a guest reset stops the queues
 * and starts them again on the same connection; EOF closes the port.
 *
 * Transmit (guest to switch): a kick is one eventfd read, then up to
 * VU_TX_BUDGET chains are taken with further kicks suppressed
 * (VRING_USED_F_NO_NOTIFY). A frame that lies in one buffer after the
 * virtio-net header goes to fwd_input() where it is, in the guest's
 * memory, borrowed like the arena; a scattered one is gathered into the
 * arena. Each chain goes into the used ring at once, but the used index is
 * published only at the end of the batch (struct swd_batch_hook), after
 * sw_flush() has written or copied every frame that pointed into it: the
 * guest cannot reuse a buffer the switch still reads. One call eventfd
 * write per batch, none when the guest asked for no interrupts.
 *
 * Receive (switch to guest): the port's ops->flush copies each queued
 * frame once, behind a zeroed 12-byte header, into the guest's receive
 * buffers (several chains per frame with VIRTIO_NET_F_MRG_RXBUF, counted
 * in num_buffers), publishes them and writes the call eventfd once. With
 * no buffers the frames wait in the port's bounded queue, the guest's
 * next receive kick (kicks stay on for the receive queue) flushes again;
 * a guest that never refills loses its own frames (tx_queue_full) and
 * throttles its senders only for the core's time bound. A frame that can
 * never fit the guest's buffers (more than one chain without MRG_RXBUF,
 * more than VU_RX_CHAINS or the whole ring with it) is dropped
 * (tx_too_big), as vhost-net does, instead of holding up every frame
 * behind it.
 *
 * Safety: everything in the guest's memory is read once and checked
 * (virtq.c): buffers must lie in the mapped regions, chains be bounded
 * and of the queue's direction. A bad transmit chain is handed back and
 * counted (rx_desc_bad); a broken ring (an avail index more than a ring
 * ahead, a head outside the table) closes the port. Before memory is
 * unmapped (a new memory table, a stopped queue, the port closing) the
 * batch is ended, so no queued frame points into it. Protocol messages
 * are bounded (VU_PAYLOAD_MAX), file descriptors beyond what a message
 * takes are closed, and a message we do not know closes the connection
 * with its number in the log. The switch maps the guest's RAM: the socket
 * is 0600 and peers are checked like unix: listeners' (docs/vhost-user.md).
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

#include <ev.h>

#include "transport/transport.h"
#include "transport/virtq.h"

/* vhost-user requests (QEMU docs/interop/vhost-user.rst) */
enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
};

#define VU_VERSION 0x1u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)
#define VU_HDR_LEN 12
#define VU_PAYLOAD_MAX 4096
#define VU_FDS_MAX 16
#define VU_VRING_NOFD (1ull << 8)
#define VU_VRING_IDX_MASK 0xffull

#define VU_F_NET_MRG_RXBUF (1ull << 15)
#define VU_F_PROTOCOL_FEATURES (1ull << 30)
#define VU_F_VERSION_1 (1ull << 32)
#define VU_FEATURES \
	(VU_F_NET_MRG_RXBUF | VU_F_PROTOCOL_FEATURES | VU_F_VERSION_1)
#define VU_PF_REPLY_ACK (1ull << 3)
#define VU_PROTOCOL_FEATURES VU_PF_REPLY_ACK

#define VU_RXQ 0
#define VU_TXQ 1
#define VU_NQ 2
#define VU_TX_BUDGET 256 /* chains per kick callback before others run */
#define VU_ACCEPT_BATCH 16
#define VU_NET_HDR_MAX 12

/**
 * struct vu_stats - a port's transport counters (query-ports, SIGUSR1)
 * @kicks:	eventfd reads that found kicks (both queues)
 * @calls:	call eventfd writes
 * @rx_wait:	flushes that left frames queued: the guest had no receive
 *		buffers
 * @rx_bad_desc: receive chains refused (outside memory, read-only...)
 * @msgs:	protocol messages
 * @resets:	times the queues were stopped (guest reset, shutdown)
 */
struct vu_stats {
	uint64_t kicks;
	uint64_t calls;
	uint64_t rx_wait;
	uint64_t rx_bad_desc;
	uint64_t msgs;
	uint64_t resets;
};

/**
 * struct vu_vq - one virtqueue and its eventfds
 * @q:		ring state (virtq.c)
 * @kick_fd:	the frontend's kick eventfd, or -1
 * @call_fd:	our call eventfd, or -1 (no interrupts wanted)
 * @kick:	read watcher on @kick_fd
 * @num:	size from SET_VRING_NUM
 * @desc:	descriptor table, frontend address (SET_VRING_ADDR)
 * @avail:	avail ring, frontend address
 * @used:	used ring, frontend address
 * @have_addr:	SET_VRING_ADDR seen
 * @started:	the kick arrived and the ring is placed: running
 * @enabled:	SET_VRING_ENABLE 1 (or no protocol features: on start)
 */
struct vu_vq {
	struct virtq q;
	int kick_fd;
	int call_fd;
	ev_io kick;
	uint32_t num;
	uint64_t desc, avail, used;
	bool have_addr;
	bool started;
	bool enabled;
};

/**
 * struct vu_listener - PATH and its accept watcher
 * @base:	the listener
 * @d:		the daemon
 * @fd:		listening socket
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @file:	the socket file, removed on close while still ours
 * @refused:	connections refused (peer check, no port free)
 * @rl_refuse:	rate limit of the refusal lines
 */
struct vu_listener {
	struct listener base;
	struct swd *d;
	int fd;
	ev_io io;
	ev_timer backoff;
	struct sock_file file;
	uint64_t refused;
	struct log_ratelimit rl_refuse;
};

/**
 * struct vu_port - one frontend connection: one switch port
 * @port:	the switch port
 * @d:		the daemon
 * @fd:		the connection
 * @rio:	read watcher on it
 * @buf:	protocol bytes received, not yet handled
 * @len:	bytes in @buf
 * @fds:	descriptors received with them, in order
 * @nfds:	how many
 * @features:	virtio features acked (SET_FEATURES)
 * @pfeatures:	protocol features acked
 * @hdr_len:	virtio-net header: 12 bytes (VERSION_1 or MRG_RXBUF), else 10
 * @mrg:	VIRTIO_NET_F_MRG_RXBUF: a frame may span receive chains
 * @mem:	the guest's memory table, mapped
 * @map:	each region's mapping (mmap_offset included)
 * @map_len:	its length
 * @vq:		receive and transmit queue
 * @bh:		publishes the transmit used ring once the batch has ended
 * @rl_bad:	rate limit of bad-descriptor lines
 * @rl_big:	rate limit of the lines for frames too big for the guest
 * @st:		counters
 */
struct vu_port {
	struct port port;
	struct swd *d;
	int fd;
	ev_io rio;
	uint8_t buf[VU_HDR_LEN + VU_PAYLOAD_MAX];
	size_t len;
	int fds[VU_FDS_MAX];
	unsigned nfds;
	uint64_t features;
	uint64_t pfeatures;
	unsigned hdr_len;
	bool mrg;
	struct vq_mem mem;
	void *map[VQ_REGIONS_MAX];
	size_t map_len[VQ_REGIONS_MAX];
	struct vu_vq vq[VU_NQ];
	struct swd_batch_hook bh;
	struct log_ratelimit rl_bad;
	struct log_ratelimit rl_big;
	struct vu_stats st;
};

static int vu_flush(struct port *p);
static void vu_close(struct port *p);
static void vu_rx_pause(struct port *p, bool pause);
static const char *vu_state(const struct port *p);

static const struct port_ops vu_ops = {
	.name = "vhost-user",
	.flush = vu_flush,
	.close = vu_close,
	.state = vu_state,
	.rx_pause = vu_rx_pause,
};

/* -------------------------------------------------------------------- */
/* Rings and memory                                                     */

static bool vu_running(const struct vu_port *vp)
{
	return vp->mem.n && vp->vq[VU_RXQ].started && vp->vq[VU_RXQ].enabled &&
	       vp->vq[VU_TXQ].started && vp->vq[VU_TXQ].enabled;
}

static const char *vu_state(const struct port *p)
{
	const struct vu_port *vp = const_container_of(p, struct vu_port, port);

	return vu_running(vp) ? "up" : "negotiating";
}

/* Carrier follows the queues: frames are queued only to a running guest. */
static void vu_carrier(struct vu_port *vp)
{
	bool up = vu_running(vp);

	if (up == !vp->port.no_carrier || vp->port.closing)
		return;
	sw_port_set_carrier(&vp->d->sw, &vp->port, up,
			    up ? NULL : "guest stopped its queues");
}

static void vu_signal(struct vu_port *vp, struct vu_vq *v)
{
	uint64_t one = 1;

	if (v->call_fd < 0)
		return;
	if (write(v->call_fd, &one, sizeof(one)) == sizeof(one))
		vp->st.calls++;
}

/* Batch end: the guest's transmit buffers are free again. */
static void vu_tx_done(struct swd_batch_hook *h)
{
	struct vu_port *vp = container_of(h, struct vu_port, bh);
	struct vu_vq *v = &vp->vq[VU_TXQ];

	if (v->q.num && virtq_publish(&v->q))
		vu_signal(vp, v);
}

static void vu_fail(struct vu_port *vp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vu_stop_watchers(struct vu_port *vp)
{
	unsigned i;

	ev_io_stop(vp->d->loop, &vp->rio);
	for (i = 0; i < VU_NQ; i++)
		ev_io_stop(vp->d->loop, &vp->vq[i].kick);
}

static void vu_fail(struct vu_port *vp, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vu_stop_watchers(vp);
	swd_port_close(vp->d, &vp->port, "%s", why);
}

static void vu_bad_desc_log(struct vu_port *vp, const char *queue)
{
	uint64_t held;

	if (log_ratelimit_ok(&vp->rl_bad, vp->d->now_ms, LOG_BURST, &held))
		log_warnx(
			"port %u: guest's %s descriptor chain is outside its memory, loops, is too long or of the wrong direction; handed back%s",
			vp->port.id, queue, held ? " (more not logged)" : "");
}

static void vu_drain_kick(struct vu_port *vp, struct vu_vq *v)
{
	uint64_t n;

	if (read(v->kick_fd, &n, sizeof(n)) == sizeof(n))
		vp->st.kicks++;
}

/*
 * A transmit ring that runs but is disabled (SET_VRING_ENABLE 0, or not
 * yet enabled) is still consumed, as the vhost-user spec asks: its frames
 * are dropped (rx_disabled), so they do not go out later, once enabled.
 */
static void vu_tx_discard(struct vu_port *vp)
{
	struct vu_vq *v = &vp->vq[VU_TXQ];
	struct vq_chain c;
	enum vq_err r;
	unsigned n;

	if (!vp->mem.n || !v->started || v->enabled)
		return;
	for (n = 0; n < v->q.num; n++) {
		r = virtq_pop(&v->q, &vp->mem, false, &c);
		if (r == VQ_EMPTY || r == VQ_BAD_IDX)
			break;
		fwd_drop(&vp->port,
			 c.len > vp->hdr_len ? c.len - vp->hdr_len : 0,
			 PORT_DROP_RX_DISABLED);
		virtq_push(&v->q, c.head, 0);
	}
	/* published with any chains still lent to this batch */
	swd_batch_hook_add(vp->d, &vp->bh, vu_tx_done);
}

/* Guest to switch: up to VU_TX_BUDGET chains into the core. */
static void vu_tx_run(struct vu_port *vp)
{
	struct vu_vq *v = &vp->vq[VU_TXQ];
	struct swd *d = vp->d;
	struct vq_chain c;
	unsigned budget = VU_TX_BUDGET;
	size_t max = d->sw.prm.max_frame;

	if (vp->port.closing)
		return;
	if (!vu_running(vp)) {
		vu_tx_discard(vp);
		return;
	}
	virtq_notify_off(&v->q, true);
	while (budget && !vp->port.throttle_on) {
		enum vq_err r = virtq_pop(&v->q, &vp->mem, false, &c);
		const uint8_t *frame;
		uint32_t flen;

		if (r == VQ_EMPTY) {
			virtq_notify_off(&v->q, false);
			if (virtq_avail(&v->q) == 0)
				break;
			virtq_notify_off(&v->q, true);
			continue;
		}
		if (r == VQ_BAD_IDX) {
			vu_fail(vp,
				"guest's transmit ring is broken (avail index or head out of range)");
			return;
		}
		budget--;
		if (r == VQ_BAD_DESC || c.len < vp->hdr_len) {
			vu_bad_desc_log(vp, "transmit");
			fwd_drop(&vp->port, 0, PORT_DROP_RX_DESC_BAD);
			virtq_push(&v->q, c.head, 0);
			continue;
		}
		flen = c.len - vp->hdr_len;
		if (flen > max) {
			fwd_drop(&vp->port, flen, PORT_DROP_RX_OVERSIZE);
			virtq_push(&v->q, c.head, 0);
			continue;
		}
		if (c.seg[0].len >= vp->hdr_len + flen) {
			frame = c.seg[0].p + vp->hdr_len;
		} else if (c.seg[0].len == vp->hdr_len && c.nseg > 1 &&
			   c.seg[1].len >= flen) {
			frame = c.seg[1].p;
		} else {
			size_t space;
			uint8_t *buf = swd_rx_buf(d, &space);

			virtq_copy_in(&c, vp->hdr_len, buf, flen);
			swd_rx_commit(d, flen);
			frame = buf;
		}
		fwd_input(&d->sw, &vp->port, frame, flen, d->now_ms);
		virtq_push(&v->q, c.head, 0);
	}
	swd_batch_hook_add(d, &vp->bh, vu_tx_done);
	if (!budget)
		ev_feed_event(d->loop, &v->kick, EV_CUSTOM); /* others first */
}

static void vu_kick_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vu_vq *v = container_of(w, struct vu_vq, kick);
	struct vu_port *vp = w->data;

	(void)loop;
	if (revents & EV_READ) /* not when fed by ourselves (EV_CUSTOM) */
		vu_drain_kick(vp, v);
	if (v == &vp->vq[VU_TXQ])
		vu_tx_run(vp);
	else if (!vp->port.closing)
		vu_flush(&vp->port);
}

/* Backpressure: kicks wait in their eventfd, chains in the ring. */
static void vu_rx_pause(struct port *p, bool pause)
{
	struct vu_port *vp = container_of(p, struct vu_port, port);
	struct vu_vq *v = &vp->vq[VU_TXQ];

	if (v->kick_fd < 0)
		return;
	if (pause) {
		ev_io_stop(vp->d->loop, &v->kick);
		return;
	}
	ev_io_start(vp->d->loop, &v->kick);
	ev_feed_event(vp->d->loop, &v->kick, EV_CUSTOM);
}

#define VU_RX_TOO_BIG (-2)

/*
 * Take receive chains until @need bytes fit (one chain without
 * MRG_RXBUF). A bad chain is handed back at once, and with it, unused,
 * the chains taken before it: virtq_unpop() can give back only the
 * chains taken last, in a row. Return: chains taken, 0 if the guest has
 * too few buffers (all given back), VU_RX_TOO_BIG if the frame can never
 * fit (more than one chain without MRG_RXBUF, more than @max, the whole
 * ring; all given back), -1 if the ring is broken (port failed).
 */
static int vu_rx_take(struct vu_port *vp, struct vq_chain *c, unsigned max,
		      uint32_t need)
{
	struct vu_vq *v = &vp->vq[VU_RXQ];
	unsigned n = 0, i;
	uint32_t room = 0;

	while (room < need) {
		enum vq_err r;

		if (n == max || (n && !vp->mrg)) {
			virtq_unpop(&v->q, n);
			return VU_RX_TOO_BIG;
		}
		r = virtq_pop(&v->q, &vp->mem, true, &c[n]);
		if (r == VQ_EMPTY) {
			virtq_unpop(&v->q, n);
			return n >= v->q.num ? VU_RX_TOO_BIG : 0;
		}
		if (r == VQ_BAD_IDX) {
			vu_fail(vp,
				"guest's receive ring is broken (avail index or head out of range)");
			return -1;
		}
		if (r == VQ_BAD_DESC || c[n].len < (n ? 1 : vp->hdr_len)) {
			vp->st.rx_bad_desc++;
			vu_bad_desc_log(vp, "receive");
			for (i = 0; i <= n; i++)
				virtq_push(&v->q, c[i].head, 0);
			n = 0;
			room = 0;
			continue;
		}
		room += c[n].len;
		n++;
	}
	return (int)n;
}

#define VU_RX_CHAINS 64 /* chains one frame may take (65,550 B / 1 KiB) */

/* The head frame can never fit the guest's receive buffers: drop it. */
static void vu_drop_head(struct vu_port *vp)
{
	struct txq *q = &vp->port.txq;
	uint32_t len = q->ring[q->head].len;
	uint64_t ignored = 0, held;

	txq_advance(q, len, false, &ignored);
	vp->port.st.drops[PORT_DROP_TX_TOO_BIG]++;
	if (log_ratelimit_ok(&vp->rl_big, vp->d->now_ms, 1, &held))
		log_warnx(
			"port %u: %" PRIu64
			" frame(s) too big for the guest's receive buffers dropped (this one %u bytes)%s",
			vp->port.id, held + 1, len,
			vp->mrg ? ""
				: "; without MRG_RXBUF a frame must fit one buffer");
}

/* One frame into the @nc chains taken for it, behind its header. */
static void vu_rx_put(struct vu_port *vp, const struct vq_chain *c, int nc,
		      const uint8_t *f, uint32_t len)
{
	struct vu_vq *v = &vp->vq[VU_RXQ];
	uint8_t hdr[VU_NET_HDR_MAX] = { 0 };
	uint32_t off = 0;
	int i;

	hdr[10] = (uint8_t)nc; /* num_buffers, little-endian */
	hdr[11] = (uint8_t)(nc >> 8);
	virtq_copy_out(&c[0], 0, hdr, vp->hdr_len);
	for (i = 0; i < nc; i++) {
		uint32_t skip = i ? 0 : vp->hdr_len;
		uint32_t w = virtq_copy_out(&c[i], skip, f + off, len - off);

		off += w;
		virtq_push(&v->q, c[i].head, w + skip);
	}
}

/* Switch to guest: copy queued frames into the guest's receive buffers. */
static int vu_flush(struct port *p)
{
	struct vu_port *vp = container_of(p, struct vu_port, port);
	struct vu_vq *v = &vp->vq[VU_RXQ];
	struct swd *d = vp->d;
	struct txq *q = &p->txq;
	struct vq_chain c[VU_RX_CHAINS];
	bool rearmed = false;

	if (p->closing)
		return -EPIPE;
	if (!vu_running(vp))
		return 0;
	while (!txq_empty(q)) {
		size_t n = txq_iov(q, d->iov, SWD_IOV_MAX, NULL, false), k;
		uint64_t bytes = 0;
		bool stuck = false, big = false;

		for (k = 0; k < n; k++) {
			uint32_t len = (uint32_t)d->iov[k].iov_len;
			int nc = vu_rx_take(vp, c, VU_RX_CHAINS,
					    vp->hdr_len + len);

			if (nc == VU_RX_TOO_BIG) {
				big = true;
				break;
			}
			if (nc < 0)
				return -EPIPE;
			if (nc == 0) {
				stuck = true;
				break;
			}
			vu_rx_put(vp, c, nc, d->iov[k].iov_base, len);
			bytes += len;
		}
		if (k)
			p->st.tx_frames +=
				txq_advance(q, bytes, false, &p->st.tx_bytes);
		if (big)
			vu_drop_head(vp);
		if (!stuck)
			continue;
		/* The guest kicks when it adds buffers; one more look in
		 * case it did just now. */
		if (rearmed || virtq_avail(&v->q) == 0) {
			vp->st.rx_wait++;
			break;
		}
		rearmed = true;
	}
	if (virtq_publish(&v->q))
		vu_signal(vp, v);
	return 0;
}

static void vu_unmap(struct vu_port *vp)
{
	unsigned i;

	for (i = 0; i < VQ_REGIONS_MAX; i++) {
		if (vp->map[i])
			munmap(vp->map[i], vp->map_len[i]);
		vp->map[i] = NULL;
		vp->map_len[i] = 0;
	}
	memset(&vp->mem, 0, sizeof(vp->mem));
}

static void vu_vq_stop(struct vu_port *vp, struct vu_vq *v)
{
	ev_io_stop(vp->d->loop, &v->kick);
	if (v->kick_fd >= 0)
		close(v->kick_fd);
	v->kick_fd = -1;
	v->started = false;
}

/* Before anything the frames of this batch may point into goes away. */
static void vu_quiesce(struct vu_port *vp)
{
	swd_end_batch(vp->d);
}

/* -------------------------------------------------------------------- */
/* Protocol                                                             */

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

static void vu_msg_cb(struct ev_loop *loop, ev_io *w, int revents)
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

static void vu_close(struct port *p)
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

/* -------------------------------------------------------------------- */
/* Listener                                                             */

static void vu_refuse(struct vu_listener *l, int fd, const char *peer,
		      const char *why)
{
	uint64_t held;

	close(fd);
	l->refused++;
	if (log_ratelimit_ok(&l->rl_refuse, l->d->now_ms, LOG_BURST, &held))
		log_warnx("%s: refusing %s: %s%s", l->base.url, peer, why,
			  held ? " (more refused, not logged)" : "");
}

static void vu_port_new(struct vu_listener *l, int fd)
{
	struct swd *d = l->d;
	struct vu_port *vp;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char peer[PORT_DESCR_LEN], why[320];
	unsigned i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		snprintf(peer, sizeof(peer), "vhost-user pid=%d uid=%u",
			 (int)cred.pid, (unsigned)cred.uid);
	else
		snprintf(peer, sizeof(peer), "vhost-user peer unknown");
	if (listener_peer_check(&l->base, fd, why, sizeof(why)) < 0) {
		vu_refuse(l, fd, peer, why);
		return;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		vu_refuse(l, fd, peer, "out of memory");
		return;
	}
	vp->d = d;
	vp->fd = fd;
	vp->hdr_len = 12;
	for (i = 0; i < VU_NQ; i++) {
		vp->vq[i].kick_fd = vp->vq[i].call_fd = -1;
		ev_init(&vp->vq[i].kick, vu_kick_cb);
		vp->vq[i].kick.data = vp;
	}
	snprintf(vp->port.descr, sizeof(vp->port.descr), "%s", peer);
	vp->port.no_carrier = true; /* until the guest starts its queues */
	listener_port_prepare(&l->base, &vp->port);
	if (sw_port_add(&d->sw, &vp->port, &vu_ops, 0) < 0) {
		free(vp);
		vu_refuse(l, fd, peer,
			  "ports attached: the maximum (--max-ports)");
		return;
	}
	listener_port_added(d, &l->base, &vp->port);
	ev_io_init(&vp->rio, vu_msg_cb, fd, EV_READ);
	ev_io_start(d->loop, &vp->rio);
	log_info("port %u (%s) connected on %s", vp->port.id, peer,
		 l->base.url);
}

static void vu_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vu_listener *l = container_of(w, struct vu_listener, io);
	int i;

	(void)revents;
	for (i = 0; i < VU_ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			accept_failed(loop, &l->io, &l->backoff, l->base.url);
			return;
		}
		vu_port_new(l, fd);
	}
}

static void vu_listener_free(struct vu_listener *l)
{
	ev_io_stop(l->d->loop, &l->io);
	ev_timer_stop(l->d->loop, &l->backoff);
	if (l->fd >= 0)
		close(l->fd);
	unix_unlink_ours(l->base.want.path, &l->file);
	free(l);
}

/**
 * vu_listener_open() - bind PATH and start accepting frontends
 * @d:		the daemon
 * @lc:		the listener's configuration (vhost-user:PATH)
 * @s:		its settings: socket file mode and group, allowed peers
 * @out:	the new listener
 *
 * Return: 0, or a negative error code (already logged)
 */
static int vu_listener_open(struct swd *d, const struct listen_cfg *lc,
			    const struct listener_settings *s,
			    struct listener **out)
{
	struct vu_listener *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	l->d = d;
	l->fd = -1;
	l->base.want = lc->addr;
	listen_url_format(&lc->addr, l->base.url, sizeof(l->base.url));
	ev_io_init(&l->io, vu_accept_cb, -1, EV_READ);
	accept_backoff_init(&l->backoff, &l->io);
	rc = unix_stream_bind(lc->addr.path, s->mode, s->group, &l->file,
			      &l->fd);
	if (rc == 0)
		rc = listen_start(d->loop, &l->io, l->fd, l->base.url);
	if (rc < 0) {
		vu_listener_free(l);
		return rc;
	}
	*out = &l->base;
	return 0;
}

static void vu_listener_close(struct listener *base)
{
	vu_listener_free(container_of(base, struct vu_listener, base));
}

/* The start line: QEMU's memory, chardev, netdev and device arguments. */
static void vu_listener_print(const struct listener *base, FILE *out,
			      unsigned *n)
{
	const struct vu_listener *l =
		const_container_of(base, struct vu_listener, base);
	char v[2 * LISTENER_URL_LEN];
	unsigned k = *n + 1;

	qemu_escape(l->base.want.path, v, sizeof(v));
	fprintf(out,
		"listening on %s  qemu: -object memory-backend-memfd,id=mem%u,size=RAM,share=on -numa node,memdev=mem%u -chardev socket,id=vu%u,path=%s -netdev vhost-user,id=net%u,chardev=vu%u -device virtio-net-pci,netdev=net%u,mac=52:54:00:12:%02x:%02x  (RAM = the guest's -m; add vectors=0 to -device under TCG, without KVM)\n",
		base->url, *n, *n, *n, v, *n, *n, *n, (0x34 + (k >> 8)) & 0xff,
		k & 0xff);
	(*n)++;
}

static void vu_listener_reload(struct listener *base,
			       const struct listener_settings *o,
			       const struct listener_settings *s,
			       const char *url)
{
	struct vu_listener *l = container_of(base, struct vu_listener, base);

	listener_reload_perms(l->d, l->base.want.path, o, s, url);
}

static void vu_listener_log_stats(const struct listener *base)
{
	const struct vu_listener *l =
		const_container_of(base, struct vu_listener, base);
	struct port *p;
	uint32_t i;

	if (l->refused)
		log_info("stats listener=%s refused=%" PRIu64, l->base.url,
			 l->refused);
	port_foreach(&l->d->sw, p, i) {
		const struct vu_port *vp;

		if (p->ops != &vu_ops || p->origin != base)
			continue;
		vp = container_of(p, struct vu_port, port);
		log_info("stats vhost_user_port=%u kicks=%" PRIu64
			 " calls=%" PRIu64 " rx_wait=%" PRIu64
			 " rx_bad_desc=%" PRIu64 " queue_stops=%" PRIu64,
			 p->id, vp->st.kicks, vp->st.calls, vp->st.rx_wait,
			 vp->st.rx_bad_desc, vp->st.resets);
	}
}

const struct listener_ops vhost_listener_ops = {
	.name = "vhost-user",
	.open = vu_listener_open,
	.close = vu_listener_close,
	.print = vu_listener_print,
	.log_stats = vu_listener_log_stats,
	.reload = vu_listener_reload,
};

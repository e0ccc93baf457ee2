// SPDX-License-Identifier: MIT
/*
 * vhost_data.c - vhost-user ports' data path: kicks, the transmit queue
 * into the forwarding core, the port's queue into the guest's receive
 * buffers, calls (DOC in vhost_user.c)
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

/**
 * vu_running() - memory mapped and both queues started and enabled
 * @vp:		the port
 *
 * Return: true while frames may flow (the port has carrier)
 */
bool vu_running(const struct vu_port *vp)
{
	return vp->mem.n && vp->vq[VU_RXQ].started && vp->vq[VU_RXQ].enabled &&
	       vp->vq[VU_TXQ].started && vp->vq[VU_TXQ].enabled;
}

/**
 * vu_state() - ops->state: "up" or "negotiating"
 * @p:		the port
 *
 * Return: the state, for listings
 */
const char *vu_state(const struct port *p)
{
	const struct vu_port *vp = const_container_of(p, struct vu_port, port);

	return vu_running(vp) ? "up" : "negotiating";
}

/**
 * vu_carrier() - give the port carrier exactly while vu_running()
 * @vp:		the port
 */
void vu_carrier(struct vu_port *vp)
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

/**
 * vu_stop_watchers() - stop reading the connection and the kicks
 * @vp:		the port
 */
void vu_stop_watchers(struct vu_port *vp)
{
	unsigned i;

	ev_io_stop(vp->d->loop, &vp->rio);
	for (i = 0; i < VU_NQ; i++)
		ev_io_stop(vp->d->loop, &vp->vq[i].kick);
}

/**
 * vu_fail() - stop the port's watchers and close it after this dispatch
 * @vp:		the port
 * @fmt:	why, for the log (printf format)
 */
void vu_fail(struct vu_port *vp, const char *fmt, ...)
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

/**
 * vu_kick_cb() - a queue's kick (or our own EV_CUSTOM feed): run the
 *		  transmit queue, or flush into the receive queue
 * @loop:	the loop
 * @w:		the queue's kick watcher (data: the port)
 * @revents:	EV_READ for a real kick
 */
void vu_kick_cb(struct ev_loop *loop, ev_io *w, int revents)
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

/**
 * vu_rx_pause() - ops->rx_pause: stop taking the guest's frames, or go on
 * @p:		the port
 * @pause:	true to stop; false restarts and looks at the ring at once
 */
void vu_rx_pause(struct port *p, bool pause)
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

/**
 * vu_flush() - ops->flush: copy queued frames into the guest's receive
 *		buffers, one call for all of them
 * @p:		the port
 *
 * Return: 0, or -EPIPE for a closing port or a broken ring
 */
int vu_flush(struct port *p)
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

/**
 * vu_unmap() - unmap the guest's memory (the batch must have ended)
 * @vp:		the port
 */
void vu_unmap(struct vu_port *vp)
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

/**
 * vu_vq_stop() - stop a queue: its kick watcher and descriptor go
 * @vp:		the port
 * @v:		the queue
 */
void vu_vq_stop(struct vu_port *vp, struct vu_vq *v)
{
	ev_io_stop(vp->d->loop, &v->kick);
	if (v->kick_fd >= 0)
		close(v->kick_fd);
	v->kick_fd = -1;
	v->started = false;
}

/**
 * vu_quiesce() - end the batch now, before memory frames may point into
 *		  goes away
 * @vp:		the port
 */
void vu_quiesce(struct vu_port *vp)
{
	swd_end_batch(vp->d);
}

// SPDX-License-Identifier: MIT
/*
 * ssbench_virtq.c - the RX and TX rings of ssbench's vhost-user hosts
 *
 * Copyright (c) 2026 the sockswitch authors
 *
 * The driver's side of the two split virtqueues that ssbench_vhost.c sets
 * up: sending frames through the TX ring and copying received frames out
 * of the RX ring into the host's struct rx_buf, each behind a 4-byte
 * length, so the tests parse them like frames from a stream.
 *
 * DOC: Theory of Operation
 * The data path sleeps on eventfds and never spins:
 * - TX: a sender copies up to BENCH_SEND_BURST frames, each behind a
 *   zeroed 12-byte virtio_net_hdr_mrg_rxbuf, into free descriptors,
 *   publishes the avail index once and writes the kick eventfd once,
 *   unless the backend set VRING_USED_F_NO_NOTIFY. Before each batch it
 *   takes back the descriptors the backend has used. Like a Linux guest it
 *   keeps VRING_AVAIL_F_NO_INTERRUPT set while it has free descriptors;
 *   when the ring is full it clears the flag, looks at the used ring once
 *   more, and sleeps in poll() on the TX call eventfd.
 * - RX: every receive buffer not being copied is in the ring. A receiver
 *   copies out the frames of the used entries (num_buffers entries per
 *   frame with MRG_RXBUF), gives the buffers back, publishes and kicks as
 *   the sender does. With the ring empty it clears
 *   VRING_AVAIL_F_NO_INTERRUPT, looks once more, and sleeps in poll() on
 *   the RX call eventfd; while it copies the flag is set (NAPI's
 *   disable_cb), so the backend need not signal every batch. It returns
 *   with the flag clear, or, when it stopped for lack of room in the
 *   rx_buf, with the call eventfd written by itself: the eventfd is then
 *   readable whenever frames wait, and learn_hosts() can poll() it.
 * Both sleeps also watch the vhost-user socket: the backend closing it ends
 * the host. Every system call is counted (writes_per_frame,
 * rx_calls_per_frame).
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssbench.h"
#include "ssbench_vhost.h"

/**
 * vq_init() - lay out a queue in the guest memory and fill its descriptors
 * @q:		the queue
 * @mem:	the guest memory (guest physical address 0)
 * @rings:	offset of its rings, VQ_RINGS_LEN bytes
 * @bufs:	offset of its VQ_NUM buffers
 * @slot:	bytes per buffer
 * @rx:		the RX queue: device-writable buffers, all in the ring; else
 *		TX: all free, and no calls asked for until the ring is full
 */
void vq_init(struct vq *q, uint8_t *mem, size_t rings, size_t bufs, size_t slot,
	     bool rx)
{
	uint16_t i;

	q->desc = (struct vring_desc *)(mem + rings);
	q->avail = (struct vring_avail *)(mem + rings + VQ_PAGE);
	q->used = (struct vring_used *)(mem + rings + 2 * VQ_PAGE);
	q->bufs = mem + bufs;
	q->slot = slot;
	for (i = 0; i < VQ_NUM; i++) {
		q->desc[i].addr = htole64((uint64_t)(bufs + i * slot));
		q->desc[i].len = htole32((uint32_t)slot);
		q->desc[i].flags = htole16(rx ? VRING_DESC_F_WRITE : 0);
		if (rx)
			q->avail->ring[i] = htole16(i);
		else
			q->free[q->nfree++] = (uint16_t)(VQ_NUM - 1 - i);
	}
	q->avail_idx = rx ? VQ_NUM : 0;
	q->avail->idx = htole16(q->avail_idx);
	q->avail->flags = htole16(rx ? 0 : VRING_AVAIL_F_NO_INTERRUPT);
}

/**
 * vq_signal() - write 1 to an eventfd
 * @fd:		the eventfd
 * @calls:	incremented for the write()
 */
void vq_signal(int fd, uint64_t *calls)
{
	const uint64_t one = 1;

	/* an eventfd write fails only when the counter would overflow */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
	(*calls)++;
}

/**
 * vhost_timeouts() - how long the data path may sleep
 * @conn:	the connection
 * @snd_ms:	a sender waiting for a free TX descriptor, milliseconds
 * @rcv_ms:	a receiver waiting for a frame, milliseconds
 */
void vhost_timeouts(void *conn, int snd_ms, int rcv_ms)
{
	struct vhost_host *vh = conn;

	vh->snd_ms = snd_ms;
	vh->rcv_ms = rcv_ms;
}

static const char *vq_name(const struct vhost_host *vh, const struct vq *q)
{
	return q == &vh->q[VQ_RX] ? "RX ring" : "TX ring";
}

static uint16_t vq_used_idx(const struct vq *q)
{
	return le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));
}

/* Publish the avail entries filled so far; kick unless told not to. */
static void vq_publish(struct vq *q, uint64_t *calls)
{
	__atomic_store_n(&q->avail->idx, htole16(q->avail_idx),
			 __ATOMIC_RELEASE);
	/* the index must be visible before used->flags is read */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(le16toh(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED)) &
	      VRING_USED_F_NO_NOTIFY))
		vq_signal(q->kick, calls);
}

/*
 * Ask for calls (@on) or not. After turning them on the caller must look
 * at the used ring again: entries used before the flag was seen get no call.
 */
static void vq_calls(struct vq *q, bool on)
{
	__atomic_store_n(&q->avail->flags,
			 htole16(on ? 0 : VRING_AVAIL_F_NO_INTERRUPT),
			 __ATOMIC_RELAXED);
	if (on)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Sleep until the backend writes @q's call eventfd, @ms pass, or the
 * connection ends. Return: 0 when called, -EAGAIN on timeout, -ECONNRESET
 * when the backend closed the connection, -EPROTO when it sent a message
 * nobody asked for.
 */
static int vq_wait(const struct vhost_host *vh, struct vq *q, int ms,
		   uint64_t *calls)
{
	struct pollfd p[2] = {
		{ .fd = q->call, .events = POLLIN },
		{ .fd = vh->sock, .events = POLLIN | POLLRDHUP },
	};
	uint64_t v;
	ssize_t n;

	n = poll(p, 2, ms);
	(*calls)++;
	if (n <= 0)
		return n < 0 && errno != EINTR ? -errno : -EAGAIN;
	if (p[1].revents) {
		n = recv(vh->sock, &v, 1, MSG_PEEK | MSG_DONTWAIT);
		(*calls)++;
		if (n > 0)
			return vhost_fail(
				vh, vq_name(vh, q), -EPROTO,
				"unexpected message from the backend");
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return -ECONNRESET;
	}
	if (p[0].revents) {
		n = read(q->call, &v, sizeof(v));
		(*calls)++;
	}
	return 0;
}

/* Take back the TX descriptors the backend has used. */
static int tx_reap(const struct vhost_host *vh, struct vq *q)
{
	uint16_t used = vq_used_idx(q);
	uint32_t id;

	if ((uint16_t)(used - q->last_used) > VQ_NUM - q->nfree)
		return vhost_fail(vh, vq_name(vh, q), -EPROTO,
				  "used index %u, %u taken, %u in the ring",
				  used, q->last_used, VQ_NUM - q->nfree);
	for (; q->last_used != used; q->last_used++) {
		id = le32toh(q->used->ring[q->last_used % VQ_NUM].id);
		if (id >= VQ_NUM)
			return vhost_fail(vh, vq_name(vh, q), -EPROTO,
					  "used entry %u: descriptor %u",
					  q->last_used, id);
		q->free[q->nfree++] = (uint16_t)id;
	}
	return 0;
}

/* Make sure a TX descriptor is free, sleeping on the call eventfd. */
static int tx_wait(const struct vhost_host *vh, struct vq *q, uint64_t *calls)
{
	int ret = tx_reap(vh, q);

	while (!ret && !q->nfree) {
		vq_calls(q, true);
		ret = tx_reap(vh, q);
		if (!ret && !q->nfree)
			ret = vq_wait(vh, q, vh->snd_ms, calls);
		vq_calls(q, false);
		if (!ret)
			ret = tx_reap(vh, q);
	}
	return ret;
}

/*
 * Put up to @max copies of @frame into the TX ring, the sequence numbers
 * @seq, @seq + 1, ... written into them when @set_seq, and kick once.
 * Return: frames queued, or a negative error code (-EAGAIN when no
 * descriptor came free within the send timeout).
 */
static int vhost_tx(struct vhost_host *vh, const uint8_t *frame, size_t len,
		    bool set_seq, uint64_t seq, unsigned max, uint64_t *calls)
{
	struct vq *q = &vh->q[VQ_TX];
	unsigned n;
	uint16_t id;
	uint8_t *b;
	int ret;

	if (VNET_HDR_LEN + len > q->slot)
		return -EMSGSIZE;
	ret = tx_wait(vh, q, calls);
	if (ret)
		return ret;
	for (n = 0; n < max && q->nfree; n++) {
		id = q->free[--q->nfree];
		b = q->bufs + (size_t)id * q->slot;
		memset(b, 0, VNET_HDR_LEN);
		memcpy(b + VNET_HDR_LEN, frame, len);
		if (set_seq)
			frame_set_seq(b + VNET_HDR_LEN, len, seq + n);
		q->desc[id].len = htole32((uint32_t)(VNET_HDR_LEN + len));
		q->avail->ring[q->avail_idx++ % VQ_NUM] = htole16(id);
	}
	vq_publish(q, calls);
	return (int)n;
}

/**
 * vhost_write_frame() - send one frame through the TX ring
 * @conn:	the connection
 * @buf:	4-byte length prefix and frame (the prefix is not sent)
 * @total:	their length
 * @calls:	incremented for every system call (kick, poll, read)
 *
 * Return: 0 on success, -EAGAIN if no descriptor came free within the send
 *	   timeout, other negative error code on failure
 */
int vhost_write_frame(void *conn, const uint8_t *buf, size_t total,
		      uint64_t *calls)
{
	int ret = vhost_tx(conn, buf + BENCH_HDR_LEN, total - BENCH_HDR_LEN,
			   false, 0, 1, calls);

	return ret < 0 ? ret : 0;
}

/**
 * vhost_send_burst() - queue up to @max numbered frames, one kick
 * @conn:	the connection
 * @frame:	the frame (no length prefix)
 * @len:	its length
 * @seq:	sequence number of the first copy (frame_set_seq())
 * @max:	at most this many frames, at least 1
 * @calls:	incremented for every system call
 *
 * Return: frames queued (at least 1), or as vhost_write_frame()
 */
int vhost_send_burst(void *conn, const uint8_t *frame, size_t len, uint64_t seq,
		     unsigned max, uint64_t *calls)
{
	return vhost_tx(conn, frame, len, true, seq, max ? max : 1, calls);
}

/*
 * Check the used entries of the frame at q->last_used (@pending are
 * published) and copy them to q->seen. Return: 0 and the buffer count and
 * frame length, or -EPROTO.
 */
static int rx_frame(const struct vhost_host *vh, struct vq *q, uint16_t pending,
		    uint16_t *nbuf, size_t *flen)
{
	struct vring_used_elem *e;
	uint16_t k, n16;

	*nbuf = 1;
	*flen = 0;
	for (k = 0; k < *nbuf; k++) {
		if (k == pending)
			return vhost_fail(vh, vq_name(vh, q), -EPROTO,
					  "a frame of %u buffers, %u used",
					  *nbuf, pending);
		e = &q->seen[k];
		e->id = le32toh(
			q->used->ring[(uint16_t)(q->last_used + k) % VQ_NUM]
				.id);
		e->len = le32toh(
			q->used->ring[(uint16_t)(q->last_used + k) % VQ_NUM]
				.len);
		if (e->id >= VQ_NUM || e->len > q->slot ||
		    (!k && e->len < VNET_HDR_LEN))
			return vhost_fail(
				vh, vq_name(vh, q), -EPROTO,
				"used entry %u: descriptor %u, %u bytes",
				(uint16_t)(q->last_used + k), e->id, e->len);
		if (!k && vh->mrg) {
			memcpy(&n16,
			       q->bufs + e->id * q->slot +
				       offsetof(struct virtio_net_hdr_mrg_rxbuf,
						num_buffers),
			       sizeof(n16));
			*nbuf = le16toh(n16);
			if (!*nbuf || *nbuf > VQ_NUM)
				return vhost_fail(vh, vq_name(vh, q), -EPROTO,
						  "num_buffers %u", *nbuf);
		}
		*flen += e->len - (k ? 0 : VNET_HDR_LEN);
	}
	if (*flen > BENCH_MAX_FRAME)
		return vhost_fail(vh, vq_name(vh, q), -EPROTO,
				  "a frame of %zu bytes", *flen);
	return 0;
}

/* Append the frame checked by rx_frame() to @r; its buffers go back. */
static void rx_copy(struct vq *q, struct rx_buf *r, uint16_t nbuf, size_t flen)
{
	uint8_t *dst = r->buf + r->have + BENCH_HDR_LEN;
	size_t skip;
	uint16_t k;

	put_be32(r->buf + r->have, (uint32_t)flen);
	for (k = 0; k < nbuf; k++) {
		skip = k ? 0 : VNET_HDR_LEN;
		memcpy(dst, q->bufs + q->seen[k].id * q->slot + skip,
		       q->seen[k].len - skip);
		dst += q->seen[k].len - skip;
		q->avail->ring[q->avail_idx++ % VQ_NUM] =
			htole16((uint16_t)q->seen[k].id);
	}
	q->last_used += nbuf;
	r->have += BENCH_HDR_LEN + flen;
}

/*
 * Copy the frames of the used RX entries into @r while they fit below
 * @end (the first frame of this fill may use all of @r), give the buffers
 * back and kick. *@more: frames were left for lack of room.
 */
static int rx_reap(const struct vhost_host *vh, struct vq *q, struct rx_buf *r,
		   size_t start, size_t end, bool *more)
{
	uint16_t used = vq_used_idx(q), before = q->avail_idx, nbuf;
	size_t flen;
	int ret = 0;

	*more = false;
	if ((uint16_t)(used - q->last_used) > VQ_NUM)
		return vhost_fail(vh, vq_name(vh, q), -EPROTO,
				  "used index %u, %u taken", used,
				  q->last_used);
	while (q->last_used != used) {
		ret = rx_frame(vh, q, (uint16_t)(used - q->last_used), &nbuf,
			       &flen);
		if (ret)
			break;
		if (r->have + BENCH_HDR_LEN + flen >
		    (r->have > start ? end : r->cap)) {
			*more = true;
			break;
		}
		rx_copy(q, r, nbuf, flen);
	}
	if (q->avail_idx != before)
		vq_publish(q, &r->calls);
	return ret;
}

/**
 * vhost_fill() - copy received frames into a reassembly buffer
 * @conn:	the connection
 * @r:		buffer; frames are appended behind 4-byte lengths, at most
 *		@r->chunk (or BENCH_RX_CHUNK) bytes but at least one frame
 *
 * Sleeps on the RX call eventfd for up to the receive timeout when no
 * frame waits. Returns with calls enabled, or with the call eventfd
 * written by itself when frames were left behind, so that eventfd is
 * readable whenever frames wait.
 *
 * Return: bytes stored (lengths included), 0 when the backend closed the
 *	   connection, -EAGAIN when the receive timeout expired, -ENOBUFS
 *	   when @r has no room for the next frame, other negative error code
 *	   on failure (-EPROTO: the backend broke the ring, said on stderr)
 */
ssize_t vhost_fill(void *conn, struct rx_buf *r)
{
	struct vhost_host *vh = conn;
	struct vq *q = &vh->q[VQ_RX];
	size_t start, end;
	bool more;
	int ret;

	rx_buf_compact(r);
	start = r->have;
	end = start + (r->chunk ? r->chunk : BENCH_RX_CHUNK);
	if (end > r->cap)
		end = r->cap;
	for (;;) {
		ret = rx_reap(vh, q, r, start, end, &more);
		if (ret)
			return ret;
		if (more && r->have == start)
			return -ENOBUFS; /* unparsed frames fill @r */
		if (more) {
			vq_signal(q->call, &r->calls);
			break;
		}
		vq_calls(q, true);
		if (vq_used_idx(q) != q->last_used) {
			vq_calls(q, false);
			continue;
		}
		if (r->have > start)
			break;
		ret = vq_wait(vh, q, vh->rcv_ms, &r->calls);
		if (ret)
			return ret == -ECONNRESET ? 0 : ret;
		vq_calls(q, false);
	}
	return (ssize_t)(r->have - start);
}

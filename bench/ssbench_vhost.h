/* SPDX-License-Identifier: MIT */
/*
 * ssbench_vhost.h - a vhost-user host of ssbench, shared by the handshake
 * (ssbench_vhost.c) and the rings (ssbench_virtq.c); not used elsewhere
 */
#ifndef SOCKSWITCH_SSBENCH_VHOST_H
#define SOCKSWITCH_SSBENCH_VHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#define VQ_NUM 256 /* descriptors per ring (QEMU's default size) */
#define VQ_RX 0
#define VQ_TX 1
#define VQ_PAGE 4096
#define VQ_RINGS_LEN (3 * VQ_PAGE) /* desc, avail, used: a page each */
#define VNET_HDR_LEN sizeof(struct virtio_net_hdr_mrg_rxbuf)

/**
 * struct vq - one split virtqueue, the driver's side
 * @desc:	descriptor table (VQ_NUM entries) in the guest memory
 * @avail:	driver ring
 * @used:	device ring
 * @bufs:	the buffer of descriptor i is at @bufs + i * @slot
 * @slot:	bytes per buffer
 * @avail_idx:	next avail entry to fill (published with a release store)
 * @last_used:	next used entry to take
 * @nfree:	TX: descriptors in @free
 * @free:	TX: descriptors that are not in the ring
 * @seen:	RX: the used entries of the frame being copied, checked
 * @kick:	eventfd written to tell the backend about new buffers
 * @call:	eventfd the backend writes when it has used buffers
 */
struct vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint8_t *bufs;
	size_t slot;
	uint16_t avail_idx;
	uint16_t last_used;
	unsigned nfree;
	uint16_t free[VQ_NUM];
	struct vring_used_elem seen[VQ_NUM];
	int kick;
	int call;
};

/**
 * struct vhost_host - one simulated host attached as a vhost-user frontend
 * @path:	socket it connected to (the caller's string; for messages)
 * @sock:	the vhost-user connection
 * @reply_ack:	REPLY_ACK negotiated: every request without a reply asks
 *		for an ack
 * @enable:	protocol features negotiated: rings need SET_VRING_ENABLE
 * @mrg:	VIRTIO_NET_F_MRG_RXBUF negotiated
 * @mem:	the guest memory, mapped shared; guest physical 0 is @mem
 * @mem_len:	its size
 * @snd_ms:	longest a sender sleeps for a free TX descriptor
 * @rcv_ms:	longest a receiver sleeps for a frame
 * @q:		the RX (VQ_RX) and TX (VQ_TX) queues
 */
struct vhost_host {
	const char *path;
	int sock;
	bool reply_ack;
	bool enable;
	bool mrg;
	uint8_t *mem;
	size_t mem_len;
	int snd_ms;
	int rcv_ms;
	struct vq q[2];
};

/* ssbench_vhost.c */
__attribute__((format(printf, 4, 5))) int
vhost_fail(const struct vhost_host *vh, const char *what, int err,
	   const char *fmt, ...);

/* ssbench_virtq.c */
void vq_init(struct vq *q, uint8_t *mem, size_t rings, size_t bufs, size_t slot,
	     bool rx);
void vq_signal(int fd, uint64_t *calls);

#endif /* SOCKSWITCH_SSBENCH_VHOST_H */

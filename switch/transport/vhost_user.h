/* SPDX-License-Identifier: MIT */
/*
 * vhost_user.h - what the three files of the vhost-user transport share:
 * vhost_user.c (the listener and the port's ops), vhost_proto.c (the
 * protocol on the connection) and vhost_data.c (the queues' data path).
 * Private to them; the rest of the daemon sees transport.h.
 */
#ifndef SWD_VHOST_USER_H
#define SWD_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

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

extern const struct port_ops vu_ops;

/* vhost_data.c */
bool vu_running(const struct vu_port *vp);
const char *vu_state(const struct port *p);
void vu_carrier(struct vu_port *vp);
void vu_fail(struct vu_port *vp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vu_stop_watchers(struct vu_port *vp);
void vu_kick_cb(struct ev_loop *loop, ev_io *w, int revents);
void vu_rx_pause(struct port *p, bool pause);
int vu_flush(struct port *p);
void vu_unmap(struct vu_port *vp);
void vu_vq_stop(struct vu_port *vp, struct vu_vq *v);
void vu_quiesce(struct vu_port *vp);

/* vhost_proto.c */
void vu_msg_cb(struct ev_loop *loop, ev_io *w, int revents);
void vu_close(struct port *p);

#endif /* SWD_VHOST_USER_H */

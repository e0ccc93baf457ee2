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

#include "transport/vhost_user.h"

/**
 * struct vu_listener - PATH and its accept watcher
 * @base:	the listener
 * @d:		the daemon
 * @fd:		listening socket
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @file:	the socket file, removed on close while still ours
 */
struct vu_listener {
	struct listener base;
	struct swd *d;
	int fd;
	ev_io io;
	ev_timer backoff;
	struct sock_file file;
};

const struct port_ops vu_ops = {
	.name = "vhost-user",
	.flush = vu_flush,
	.close = vu_close,
	.state = vu_state,
	.rx_pause = vu_rx_pause,
};

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
		listener_refuse(d, &l->base, fd, peer, why);
		return;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		listener_refuse(d, &l->base, fd, peer, "out of memory");
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
		listener_refuse(d, &l->base, fd, peer,
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

	if (l->base.refused)
		log_info("stats listener=%s refused=%" PRIu64, l->base.url,
			 l->base.refused);
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

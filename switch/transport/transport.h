/* SPDX-License-Identifier: MIT */
/*
 * transport.h - listeners and the transports behind them
 */
#ifndef SWD_TRANSPORT_H
#define SWD_TRANSPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "sockswitchd.h"

/* transport/listener.c, sock.c: listeners of every kind (stream.c,
 * dgram.c, vde.c) and the socket helpers they share */

#include "transport/listener.h"
#include "transport/slirp_limit.h"
#include "transport/sock.h"

/* transport/slirp.c: port forwards of a running slirp uplink, for the
 * control socket (hostfwd-add / hostfwd-remove). @rule is QEMU's syntax:
 * add [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (empty GUESTADDR:
 * the first DHCP address), remove [tcp|udp]:[HOSTADDR]:HOSTPORT. Return 0,
 * or -EINVAL (bad rule, not a slirp uplink or not up), -EADDRINUSE (host
 * port cannot be bound), -ENOENT (no such forward), -ENOMEM; the message
 * is in @err. Forwards added are kept if the uplink restarts. */

bool slirp_uplink_is(const struct port *p);
int slirp_uplink_hostfwd_add(struct port *p, const char *rule, char *err,
			     size_t errlen);
int slirp_uplink_hostfwd_remove(struct port *p, const char *rule, char *err,
				size_t errlen);
const char *slirp_uplink_hostfwd_at(const struct port *p, size_t i);

/**
 * struct slirp_uplink_stats - a slirp uplink's host sockets (query-slirp,
 * metrics)
 * @conn_max:	bound on the uplink's host sockets in force (conn-max, or
 *		less if the open-file limit leaves less)
 * @conn_max_guest: bound on one guest's
 * @half_open_max_guest: bound on one guest's TCP connects in progress
 * @st:		the counts (transport/slirp_limit.h)
 */
struct slirp_uplink_stats {
	uint32_t conn_max, conn_max_guest, half_open_max_guest;
	struct slirp_limit_stats st;
};

bool slirp_uplink_stats(const struct port *p, struct slirp_uplink_stats *out);

/**
 * struct vxlan_uplink_info - a vxlan uplink, for query-ports and metrics
 * @vni:	its VNI
 * @port:	UDP port
 * @remote:	the remote VTEP's address
 * @local:	the local address asked for, or "any"
 */
struct vxlan_uplink_info {
	uint32_t vni;
	uint16_t port;
	char remote[48];
	char local[48];
};

bool vxlan_uplink_info(const struct port *p, struct vxlan_uplink_info *out);

/**
 * struct vhost_port_info - a vhost-user port, for query-ports
 * @running:	memory mapped and both queues running (the port has carrier)
 * @features:	virtio features the frontend acked
 * @regions:	memory regions mapped
 * @rx_size:	receive queue size (0 until set)
 * @tx_size:	transmit queue size
 * @kicks:	eventfd reads that found kicks, both queues
 * @calls:	call eventfd writes, both queues
 * @rx_wait:	flushes that left frames queued for want of receive buffers
 * @rx_bad_desc: receive chains refused
 * @queue_stops: times the guest stopped its queues (reset, shutdown)
 */
struct vhost_port_info {
	bool running;
	uint64_t features;
	unsigned regions;
	uint32_t rx_size, tx_size;
	uint64_t kicks, calls, rx_wait, rx_bad_desc, queue_stops;
};

bool vhost_port_info(const struct port *p, struct vhost_port_info *out);

#endif /* SWD_TRANSPORT_H */

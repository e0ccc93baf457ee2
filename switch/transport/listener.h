/* SPDX-License-Identifier: MIT */
/*
 * listener.h - one listener type for every kind: stream (tcp:, unix:),
 * datagram (udp:, unixgram:) and VDE (vde:DIR)
 *
 * Extension point: a new kind embeds struct listener, fills a const
 * struct listener_ops and gets a row in listener.c's table of kinds (by
 * enum listen_kind). Everything else (the list, reload, the start line,
 * SIGUSR1, query-status) goes through the ops.
 */
#ifndef SWD_LISTENER_H
#define SWD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "sockswitchd.h"

#define LISTENER_URL_LEN 320

/* container_of() for the kinds' const ops (print, log_stats) */
#define const_container_of(ptr, type, member)                            \
	((const type *)(const void *)((const char *)(ptr)-offsetof(type, \
								   member)))

struct listener;

/**
 * struct listener_settings - what a listener takes from the config,
 *			      resolved (listener.c does it)
 * @mode:	unix socket files: permissions (the listener's own, else the
 *		config's socket_mode)
 * @group:	unix socket files: group, or CONFIG_GID_UNSET
 * @idle_s:	datagram ports: seconds without a datagram before they close
 * @uids:	tcp:, unix:, vde: local users who may attach besides the
 *		switch's own uid and root ("allow_uids", "allow_gids",
 *		"allow_any_uid")
 * @max_ports:	datagram listeners: ports it may hold (its "max_ports", else
 *		half of the switch's max_ports, at least 1), so that peers
 *		sending from forged or ever new source addresses cannot take
 *		the slots of stream and VDE guests
 * @impair:	egress impairment of each port it accepts ("impair")
 * @max_macs:	source addresses each port it accepts may learn, 0: no
 *		limit of its own ("max_macs")
 * @broadcast_limit: frames per second each port it accepts may have
 *		flooded, 0: no limit ("broadcast_limit")
 * @vlan:	VLAN mode of each port it accepts ("vlan", "trunk", "native")
 * @no_edge:	its ports are normal spanning-tree ports ("edge": false)
 * @bpdu_guard:	a BPDU disables the port it arrives on ("bpdu_guard")
 */
struct listener_settings {
	int mode;
	gid_t group;
	uint32_t idle_s;
	struct listen_uids uids;
	uint32_t max_ports;
	struct listen_impair impair;
	uint32_t max_macs;
	uint32_t broadcast_limit;
	struct vlan_cfg vlan;
	bool no_edge;
	bool bpdu_guard;
};

/**
 * struct listener_ops - what each kind of listener does
 * @name:	the kind, for messages
 * @open:	bind and start; *@out is the new listener with @want and
 *		@url filled. Return: 0, or a negative error code (logged)
 * @close:	stop and free: unlink the socket file if still ours; ports
 *		accepted stay or close as the kind needs (see docs/config.md)
 * @print:	the start line: where it listens and the QEMU arguments,
 *		ending with a newline; -netdev id=net*@n and the -device
 *		part from listener_print_device(), which counts *@n up (a
 *		line without QEMU arguments leaves *@n alone)
 * @log_stats:	listener counters for SIGUSR1, or NULL
 * @reload:	apply new settings in place (socket file mode and group,
 *		datagram idle time and port limit, tcp: allowed users),
 *		reload_note() what changed; @url is as
 *		configured, for the summary. NULL: nothing to apply
 */
struct listener_ops {
	const char *name;
	int (*open)(struct swd *d, const struct listen_cfg *lc,
		    const struct listener_settings *s, struct listener **out);
	void (*close)(struct listener *l);
	void (*print)(const struct listener *l, FILE *out, unsigned *n);
	void (*log_stats)(const struct listener *l);
	void (*reload)(struct listener *l, const struct listener_settings *o,
		       const struct listener_settings *n, const char *url);
};

/**
 * struct listener - what every kind of listener embeds
 * @ops:	its kind
 * @next:	next on d->listeners
 * @want:	the address as configured (reload matches on it)
 * @url:	what is bound (real port for tcp:...:0, udp:...:0)
 * @fresh:	opened by the reload being prepared (undone if it fails)
 * @impair:	what listener_port_added() gives each new port
 * @max_macs:	and its port->mac_limit
 * @broadcast_limit: and its storm limit (sw_port_set_storm_limit())
 * @peers:	who may attach (tcp:, unix:, vde:; see struct listen_uids)
 * @peers_refused: peers refused by @peers (or whose user could not be
 *		told), closed at once
 * @refused:	connections of a stream-socket kind (tcp:, unix:,
 *		vhost-user:) closed without a port, for any reason
 *		(listener_refuse())
 * @rl_refuse:	rate limit of their log lines
 * @vlan:	the VLAN mode listener_port_added() gives each new port
 * @no_edge:	its ports are not edge ports (spanning tree)
 * @bpdu_guard:	its ports have a BPDU guard
 */
struct listener {
	const struct listener_ops *ops;
	struct listener *next;
	struct listen_addr want;
	char url[LISTENER_URL_LEN];
	bool fresh;
	struct listen_impair impair;
	uint32_t max_macs;
	uint32_t broadcast_limit;
	struct listen_uids peers;
	uint64_t peers_refused;
	uint64_t refused;
	struct log_ratelimit rl_refuse;
	struct vlan_cfg vlan;
	bool no_edge;
	bool bpdu_guard;
};

/**
 * listener_foreach() - walk every listener, in the order they were opened
 * @d:		the daemon
 * @l:		cursor (struct listener *, or const)
 */
#define listener_foreach(d, l) for ((l) = (d)->listeners; (l); (l) = (l)->next)

/* listener.c */

int listeners_register(struct swd *d);
int listener_open(struct swd *d, const struct swd_config *c,
		  const struct listen_cfg *lc);
void listener_close(struct swd *d, struct listener *l);
void listener_close_all(struct swd *d);
struct listener *listener_find(struct swd *d, const struct listen_addr *want);
void listener_print_all(const struct swd *d, FILE *out);
void listener_print_device(FILE *out, unsigned *n, const char *hint);
void listener_log_stats(const struct swd *d);
void listener_port_prepare(const struct listener *l, struct port *p);
void listener_port_added(struct swd *d, struct listener *l, struct port *p);
bool listener_uid_allowed(const struct listen_uids *u, uid_t uid);
void listener_who_always(char *who, size_t len);
int listener_peer_check(struct listener *l, int fd, char *why, size_t len);
void listener_refuse(struct swd *d, struct listener *l, int fd,
		     const char *peer, const char *why);
void listener_reload_perms(struct swd *d, const char *path,
			   const struct listener_settings *o,
			   const struct listener_settings *n, const char *url);

/* the kinds: stream.c, dgram.c, vde.c */

extern const struct listener_ops stream_listener_ops;
extern const struct listener_ops dgram_listener_ops;
extern const struct listener_ops vde_listener_ops;
extern const struct listener_ops vhost_listener_ops;

#endif /* SWD_LISTENER_H */

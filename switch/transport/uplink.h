/* SPDX-License-Identifier: MIT */
/*
 * uplink.h - uplinks: ports the switch opens itself (tap, bridge helper,
 * slirp, passt, outbound stream connections, multicast hubs, VXLAN)
 *
 * An uplink is a port like any other (it learns, floods and counts), but
 * the switch owns its lifetime: it is registered once at start and stays
 * registered while its device or peer is missing. A failed attempt is
 * logged with its cause and fix and retried with exponential backoff on
 * the libev loop; the port is down (up == false) until the next success.
 *
 * Adding a kind: an enum value, a case in uplink_cfg_parse() (uplink_cfg.c)
 * and a struct uplink_ops in its transport file, listed in uplink_kinds[]
 * (uplink.c).
 */
#ifndef SOCKSWITCH_UPLINK_H
#define SOCKSWITCH_UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "transport/transport.h"

#define UPLINK_RETRY_FIRST_S 1.0
#define UPLINK_RETRY_MAX_S 30.0
#define UPLINK_STABLE_S 10.0 /* up this long: the next retry starts at 1 s */
#define UPLINK_WHAT_LEN 96

/**
 * enum uplink_state - what port listings show
 * @UPLINK_DOWN:	given up (an inherited fd that broke) or disabled
 * @UPLINK_RETRYING:	waiting for the retry timer or an attempt
 * @UPLINK_UP:		device or peer attached, frames flow
 */
enum uplink_state {
	UPLINK_DOWN,
	UPLINK_RETRYING,
	UPLINK_UP,
};

struct uplink;

#define UPLINK_COUNTERS_MAX 4

/**
 * struct uplink_counter - a counter of a kind's own, beside struct
 * port_stats (query-ports "transport_counters", metrics, SIGUSR1)
 * @name:	key and metric stem ("mcast_echoes": metric
 *		sockswitch_port_mcast_echoes_total), lower case and `_'
 * @help:	one sentence, for the metric's HELP
 * @value:	monotonic, over the uplink's whole life
 */
struct uplink_counter {
	const char *name;
	const char *help;
	uint64_t value;
};

/**
 * struct uplink_ops - one kind of uplink
 * @name:	transport name in listings ("tap", "connect", ...)
 * @start:	begin an attempt. Either finish it now with uplink_up() or
 *		uplink_fail(), or arrange for a watcher to do so later.
 * @stop:	drop the current device/connection and stop its watchers
 *		(idempotent; also called before every retry)
 * @flush:	write the port's queue; called only while up
 * @destroy:	free the kind's private state (optional)
 * @rx_pause:	stop or restart reading (backpressure, port_ops.rx_pause);
 *		optional; called only while up
 * @counters:	fill in at most @max counters of the kind's own, return
 *		how many (optional; the same names every time)
 */
struct uplink_ops {
	const char *name;
	void (*start)(struct uplink *u);
	void (*stop)(struct uplink *u);
	int (*flush)(struct uplink *u);
	void (*destroy)(struct uplink *u);
	void (*rx_pause)(struct uplink *u, bool pause);
	size_t (*counters)(const struct uplink *u, struct uplink_counter *c,
			   size_t max);
};

/**
 * struct uplink - a port the switch opened itself
 * @port:	the switch port, registered for the uplink's whole life
 * @pops:	its port_ops (name per kind)
 * @d:		the daemon
 * @cfg:	what was asked for, parsed (points at @own)
 * @ops:	the kind
 * @state:	see enum uplink_state
 * @retry:	backoff timer
 * @delay:	next backoff, seconds
 * @up_since:	ev_now() of the last uplink_up()
 * @rng:	jitter state
 * @what:	"tap tap0", "connect unix:/path" (descr without the state)
 * @fd:		the device or connection, -1 when none (kinds may use it)
 * @rio:	read watcher on @fd (kinds may use it)
 * @wio:	write watcher on @fd (kinds may use it)
 * @priv:	the kind's own state
 * @own:	the uplink's copy of its config entry
 */
struct uplink {
	struct port port;
	struct port_ops pops;
	struct swd *d;
	const struct uplink_cfg *cfg;
	const struct uplink_ops *ops;
	enum uplink_state state;
	ev_timer retry;
	double delay;
	double up_since;
	uint64_t rng;
	char what[UPLINK_WHAT_LEN];
	int fd;
	ev_io rio;
	ev_io wio;
	void *priv;
	struct uplink_cfg own;
};

int uplinks_add(struct swd *d, const struct uplink_cfg *ucs, size_t n);
int uplink_add(struct swd *d, const struct uplink_cfg *uc);
struct uplink *uplink_of(struct port *p);
const struct uplink *uplink_of_const(const struct port *p);
void uplink_remove(struct uplink *u, const char *why);
void uplink_up(struct uplink *u);
void uplink_fail(struct uplink *u, bool retry, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *uplink_state_name(const struct port *p);
size_t uplink_port_counters(const struct port *p, struct uplink_counter *c,
			    size_t max);
int uplink_spawn_paired(struct uplink *u, const char *const *argv, char *fdarg,
			size_t fdarglen, const char *prefix, ev_child *child,
			void (*cb)(struct ev_loop *, ev_child *, int),
			pid_t *pid);

/* transport/uplink_reload.c */
int uplinks_reload_register(struct swd *d);

/* transport/tap.c */
extern const struct uplink_ops uplink_tap_ops;
extern const struct uplink_ops uplink_tap_fd_ops;
extern const struct uplink_ops uplink_bridge_ops;

/* transport/connect.c */
extern const struct uplink_ops uplink_connect_ops;
extern const struct uplink_ops uplink_passt_ops;

/* transport/slirp.c */
extern const struct uplink_ops uplink_slirp_ops;

/* transport/mcast.c */
extern const struct uplink_ops uplink_mcast_ops;

/* transport/vxlan.c */
extern const struct uplink_ops uplink_vxlan_ops;

#endif /* SOCKSWITCH_UPLINK_H */

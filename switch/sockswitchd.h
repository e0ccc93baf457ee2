/* SPDX-License-Identifier: MIT */
/*
 * sockswitchd.h - the daemon's private header, one section per file
 *
 * Everything the daemon's files share: the configuration, listener
 * addresses, logging and the event loop glue. The forwarding core has its
 * own headers under include/sockswitch/ and never includes this one.
 */
#ifndef SOCKSWITCHD_H
#define SOCKSWITCHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "sockswitch/sw.h"

#include "config/config.h"

/* log.c */

/**
 * struct log_state - the logger's settings (one instance, in main.c)
 * @level:	most verbose level printed
 * @use_syslog:	send to syslog instead of stderr
 * @journal:	stderr is the systemd journal: "<N>" priority prefixes
 * @stamps:	prefix a local timestamp (-v on a terminal)
 */
struct log_state {
	enum log_level level;
	bool use_syslog;
	bool journal;
	bool stamps;
};

extern struct log_state log_state;

void log_init(enum log_level level, bool use_syslog, bool verbose);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
const char *log_level_name(enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define LOG_BURST 10
#define LOG_WINDOW_MS 10000

/**
 * struct log_ratelimit - one kind of per-event warning (log_ratelimit_ok())
 * @window_ms:	start of the current window, 0 before the first event
 * @lines:	lines logged in it
 * @suppressed:	events not logged since the last line
 */
struct log_ratelimit {
	uint64_t window_ms;
	unsigned lines;
	uint64_t suppressed;
};

bool log_ratelimit_ok(struct log_ratelimit *r, uint64_t now_ms, unsigned burst,
		      uint64_t *suppressed);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_enabled(LOG_LVL_DEBUG))              \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

/* loop.c */

struct ev_loop;
struct listener;
struct swd_macwatch;

#define SWD_IOV_MAX 1024
#define SWD_READ_CHUNK (128 * 1024)
#define SWD_RX_SLOTS 32 /* max_frame-sized datagram slots per recvmmsg() */
#define SWD_TRIM_MIN (4u << 20) /* queued bytes worth a malloc_trim() */

/**
 * enum swd_event_type - what the daemon's hook list carries
 * @SWD_EV_SW:		an event of the forwarding core (@sw)
 * @SWD_EV_RELOAD_DONE:	a reload applied (@trigger, @text: the changes)
 * @SWD_EV_RELOAD_FAILED: a reload failed, nothing changed (@trigger,
 *			@text: the error)
 * @SWD_EV_MAC_CONFLICT: one address on two ports (@conflict); the logger
 *			reports each address at most once a minute
 */
enum swd_event_type {
	SWD_EV_SW,
	SWD_EV_RELOAD_DONE,
	SWD_EV_RELOAD_FAILED,
	SWD_EV_MAC_CONFLICT,
};

/**
 * struct swd_mac_conflict - one {VLAN, MAC} seen on two ports
 * @vid:	VLAN
 * @mac:	the address
 * @on:		the port the MAC table has it on
 * @also:	the other port it keeps arriving on
 * @how:	"held" (the hold-down keeps it off @also) or "moving" (it
 *		moves back and forth between the two)
 */
struct swd_mac_conflict {
	uint16_t vid;
	const uint8_t *mac;
	const struct port *on;
	const struct port *also;
	const char *how;
};

/**
 * struct swd_event - one event for the hooks
 * @type:	what it is
 * @sw:		SWD_EV_SW: the core's event (port and MAC events)
 * @trigger:	reloads: "SIGHUP", "control command"
 * @text:	reloads: what changed, or why it failed
 * @conflict:	SWD_EV_MAC_CONFLICT: the address and its two ports
 */
struct swd_event {
	enum swd_event_type type;
	const struct sw_event_info *sw;
	const char *trigger;
	const char *text;
	const struct swd_mac_conflict *conflict;
};

struct swd;

/**
 * struct swd_batch_hook - a transport lending memory of its own to the batch
 * @next:	the daemon's list of hooks to run at the end of this batch
 * @done:	runs once the batch has ended: sw_flush() wrote or copied
 *		every queued frame, so nothing points into the memory any
 *		more (vhost-user hands its guests' transmit buffers back)
 * @queued:	on the list (swd_batch_hook_add() twice is harmless)
 *
 * Embedded in the transport's object; see swd_batch_hook_add().
 */
struct swd_batch_hook {
	struct swd_batch_hook *next;
	void (*done)(struct swd_batch_hook *h);
	bool queued;
};

/**
 * typedef swd_hook_fn - a subscriber to the daemon's events
 * @d:		the daemon
 * @ev:		the event; valid for the call only
 * @opaque:	what was registered with it
 *
 * Context: called from the forwarding path, the port setters and reload:
 * it must not block, close or free ports, or change the MAC table; it may
 * queue work and mark ports (swd_port_close() defers).
 */
typedef void (*swd_hook_fn)(struct swd *d, const struct swd_event *ev,
			    void *opaque);

#define SWD_HOOKS_MAX 8

/**
 * struct swd_hook - one registered subscriber
 * @fn:		called for every event, in registration order
 * @opaque:	passed back
 */
struct swd_hook {
	swd_hook_fn fn;
	void *opaque;
};

/**
 * struct swd_deferred - an object to free once the current dispatch is over
 * @next:	the daemon's deferred list
 * @free:	frees the object; runs in the deferred pass after each loop
 *		iteration (and at shutdown), never inside the object's own
 *		callbacks
 * @queued:	on the list (swd_defer() twice is harmless)
 *
 * Embedded in the object; see swd_defer().
 */
struct swd_deferred {
	struct swd_deferred *next;
	void (*free)(struct swd_deferred *x);
	bool queued;
};

/**
 * struct swd - the running daemon: the one context passed everywhere
 * @loop:	libev loop
 * @sw:		forwarding core
 * @cfg:	configuration in force
 * @now_ms:	monotonic time, read once per loop iteration
 * @start_ms:	when the daemon started
 * @arena:	receive buffer shared by all ports for one batch
 * @arena_len:	its size
 * @arena_used:	bytes holding frames borrowed by transmit queues
 * @iov:	scratch vector for transports' flushes
 * @hdr:	scratch length headers for stream flushes
 * @listeners:	every listener, of every kind (transport/listener.c)
 * @closing:	ports to close after this dispatch (linked by close_next)
 * @deferred:	other objects to free after this dispatch (control
 *		clients, VDE handshakes): swd_defer()
 * @batch_hooks: transports whose memory frames of this batch borrow
 *		(swd_batch_hook_add()), run when it ends
 * @watchers:	libev watchers owned by loop.c (opaque here)
 * @metrics:	the metrics endpoint (metrics.c), or NULL
 * @captures:	packet captures (capture.c)
 * @stopping:	shutting down
 * @ctl:	control socket and command registry (control.c), or NULL
 * @reload:	reload builder and hooks (reload.c), or NULL
 * @hooks:	event subscribers (swd_hook_add()), in registration order
 * @nhooks:	how many
 * @macwatch:	the logger's record of addresses seen on two ports
 *		(loop.c), or NULL
 * @queued_high: most frame bytes queued after a batch since the last
 *		malloc_trim() (loop.c)
 * @malloc_trims: times freed queue memory was given back to the system
 */
struct swd {
	struct ev_loop *loop;
	struct sw sw;
	struct swd_config cfg;
	uint64_t now_ms;
	uint64_t start_ms;
	uint8_t *arena;
	size_t arena_len;
	size_t arena_used;
	struct iovec *iov;
	uint8_t (*hdr)[TXQ_HDR_LEN];
	struct listener *listeners;
	struct port *closing;
	struct swd_deferred *deferred;
	struct swd_batch_hook *batch_hooks;
	struct swd_watchers *watchers;
	struct metrics *metrics;
	struct capture_set *captures;
	bool stopping;
	struct ctl *ctl;
	struct reload_state *reload;
	struct swd_hook hooks[SWD_HOOKS_MAX];
	size_t nhooks;
	struct swd_macwatch *macwatch;
	size_t queued_high;
	uint64_t malloc_trims;
};

int swd_init(struct swd *d, struct ev_loop *loop);
void swd_fini(struct swd *d);
uint8_t *swd_rx_buf(struct swd *d, size_t *space);
uint8_t *swd_rx_slots(struct swd *d, size_t slot, unsigned want, unsigned *n);
struct ev_io;
void swd_watch_output(struct swd *d, struct ev_io *wio, const struct txq *q);
void swd_rx_commit(struct swd *d, size_t used);
void swd_end_batch(struct swd *d);
void swd_batch_hook_add(struct swd *d, struct swd_batch_hook *h,
			void (*done)(struct swd_batch_hook *h));
void swd_batch_hook_cancel(struct swd *d, struct swd_batch_hook *h);
void swd_port_close(struct swd *d, struct port *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void swd_defer(struct swd *d, struct swd_deferred *x,
	       void (*free_fn)(struct swd_deferred *x));
void swd_process_deferred(struct swd *d);
void swd_close_all_ports(struct swd *d, const char *reason);
void swd_log_port_stats(const struct port *p, const char *prefix);
const char *swd_port_state(const struct port *p);
int swd_port_impair(struct swd *d, struct port *p, const struct impair_cfg *cfg,
		    bool seeded);
int swd_port_vlan(struct swd *d, struct port *p, const struct vlan_cfg *c);
int swd_stp_apply(struct swd *d, const struct swd_config *c);
uint64_t swd_clock_ms(void);
int swd_hook_add(struct swd *d, swd_hook_fn fn, void *opaque);
void swd_emit(struct swd *d, const struct swd_event *ev);
int swd_log_hook_register(struct swd *d);

/* reload.c - live reconfiguration (SIGHUP, the reload command)
 *
 * Extension point: a module with its own config section registers a
 * struct reload_hook with reload_hook_add(). On reload, every hook's
 * prepare() runs against the new config before anything is applied; if
 * any fails, the ones already prepared get abort() and nothing changes.
 * Otherwise every hook's commit() runs with the old and new config.
 */

/**
 * struct reload_hook - a module's part of a reload
 * @name:	for messages
 * @prepare:	check @newc and acquire what it needs (open sockets...);
 *		return 0, or a negative error code with @err filled in
 * @commit:	switch over to @newc, release what @oldc needed; say what
 *		changed with reload_note()
 * @abort:	undo prepare() (another part of the reload failed)
 * @opaque:	passed back
 */
struct reload_hook {
	const char *name;
	int (*prepare)(struct swd *d, const struct swd_config *newc, char *err,
		       size_t errlen, void *opaque);
	void (*commit)(struct swd *d, const struct swd_config *oldc,
		       const struct swd_config *newc, void *opaque);
	void (*abort)(struct swd *d, const struct swd_config *newc,
		      void *opaque);
	void *opaque;
};

/**
 * typedef reload_build_fn - build the config a reload would apply
 * @out:	an uninitialised config to fill (file, then flags, defaults)
 *
 * Return: 0, or a negative error code with @err filled in
 */
typedef int (*reload_build_fn)(struct swd_config *out, char *err, size_t errlen,
			       void *opaque);

int reload_set_builder(struct swd *d, reload_build_fn fn, void *opaque);
int reload_hook_add(struct swd *d, const struct reload_hook *h);
void reload_note(struct swd *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int swd_reload(struct swd *d, const char *why, char *err, size_t errlen,
	       char *summary, size_t sumlen);
void reload_fini(struct swd *d);

/* pidfile.c - the locked pidfile; causes of path errors */

const char *path_hint(const char *path, int err, char *buf, size_t len);
int pidfile_open(const char *path);
int pidfile_write(int fd, const char *path);
void pidfile_close(int fd, const char *path);

/* notify.c - readiness for supervisors */

void notify_ready(int ready_fd, const char *status);
void notify_status(const char *state);

#endif /* SOCKSWITCHD_H */

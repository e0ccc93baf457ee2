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

/* url.c */

/**
 * enum listen_kind - what a listener URL names
 */
enum listen_kind {
	LISTEN_TCP,
	LISTEN_UNIX,
	LISTEN_VDE,
	LISTEN_UDP,
	LISTEN_UNIXGRAM,
};

/**
 * struct listen_addr - a parsed listener URL
 * @kind:	TCP, unix stream, UDP, unix datagram or VDE directory
 * @host:	TCP, UDP: numeric address or name, without brackets
 * @port:	TCP, UDP: port number, 0 = let the kernel pick
 * @path:	unix, unixgram: socket path; vde: the switch directory
 */
struct listen_addr {
	enum listen_kind kind;
	char host[256];
	uint16_t port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int listen_url_parse(const char *url, struct listen_addr *out, char *err,
		     size_t errlen);
int endpoint_url_parse(const char *url, struct listen_addr *out, char *err,
		       size_t errlen);
int listen_url_format(const struct listen_addr *a, char *buf, size_t len);

/* uplink_cfg.c */

#define UPLINK_BRIDGE_HELPER_DEFAULT "/usr/lib/qemu/qemu-bridge-helper"

/**
 * enum uplink_kind - what an --uplink/--connect spec names
 */
enum uplink_kind {
	UPLINK_TAP,
	UPLINK_TAP_FD,
	UPLINK_BRIDGE,
	UPLINK_SLIRP,
	UPLINK_PASST,
	UPLINK_CONNECT,
};

/**
 * struct uplink_cfg - one uplink from the config or a flag
 * @spec:	canonical spec text ("tap:tap0", "unix:/run/x.sock")
 * @kind:	its kind
 * @arg:	tap/bridge name, passt socket path (NULL: start passt),
 *		slirp options after "slirp," ("" if none)
 * @helper:	bridge: qemu-bridge-helper path
 * @fd:		tap-fd: the inherited descriptor
 * @addr:	connect: where to dial
 */
struct uplink_cfg {
	char *spec;
	enum uplink_kind kind;
	char *arg;
	char *helper;
	int fd;
	struct listen_addr addr;
};

/**
 * struct uplink_json_err - where in an "uplinks"/"connect" value it failed
 * @has_index:	@index is valid
 * @index:	array element
 * @key:	member of that element, or NULL
 * @at_key:	point at the key rather than the value
 */
struct uplink_json_err {
	bool has_index;
	size_t index;
	const char *key;
	bool at_key;
};

struct sw_config;
struct json_t;

int uplink_cfg_parse(const char *spec, bool connect, struct uplink_cfg *out,
		     char *err, size_t errlen);
int config_add_uplink(struct sw_config *c, const char *spec, bool connect,
		      char *err, size_t errlen);
int config_load_uplinks(struct sw_config *c, struct json_t *v, bool connect,
			struct uplink_json_err *where, char *err,
			size_t errlen);
void config_clear_uplinks(struct sw_config *c);
void uplink_cfg_fini(struct uplink_cfg *u);
bool uplink_cfg_same(const struct uplink_cfg *a, const struct uplink_cfg *b);
int config_copy_uplinks(struct sw_config *dst, const struct sw_config *src);
int config_absolutize_uplinks(struct sw_config *c, const char *cwd, char *err,
			      size_t errlen);

/* config.c, jsonpos.c */

#define CONFIG_MODE_UNSET (-1)
#define CONFIG_GID_UNSET ((gid_t)-1)
#define SOCKET_MODE_DEFAULT 0600
#define DGRAM_IDLE_DEFAULT_S 300
#define DGRAM_IDLE_MAX_S 1000000
#define JPATH_MAX 512 /* bytes of "$.listen[3].mode" */

/**
 * struct listen_cfg - one listener from the config or a --listen flag
 * @url:	as written (owned copy)
 * @addr:	parsed form of @url
 * @mode:	unix: socket file permissions, or CONFIG_MODE_UNSET
 * @group:	unix: socket file group, or CONFIG_GID_UNSET
 */
struct listen_cfg {
	char *url;
	struct listen_addr addr;
	int mode;
	gid_t group;
};

/**
 * enum log_level - syslog-like levels, most severe first
 */
enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/**
 * struct sw_config - everything a config file or the flags can set
 * @path:		config file it came from, or NULL
 * @listen:		listeners (owned array)
 * @nlisten:		how many
 * @listen_set:		@listen came from the file or flags (not defaults)
 * @core:		forwarding core tunables (hash_secret is not config)
 * @socket_mode:	default mode for unix sockets
 * @log_level:		verbosity
 * @pidfile:		write our pid here (owned), or NULL
 * @daemon:		detach and log to syslog
 * @dgram_idle_s:	datagram ports close after this long without input
 * @metrics:		metrics endpoint URL (owned), or NULL
 * @control:		the control socket (docs/control.md)
 * @control.path:	unix socket path (owned), or NULL for the default
 *			(main.c resolves it, then NULL means "none")
 * @control.off:	disabled ("control": null, --control none)
 * @control.is_default:	@path is the default one: if another switch holds
 *			it, run without a control socket instead of failing
 * @control.mode:	socket file permissions, or CONFIG_MODE_UNSET (0600)
 * @control.group:	socket file group, or CONFIG_GID_UNSET
 * @uplinks:		uplinks and outbound connections (owned array)
 * @nuplinks:		how many
 */
struct sw_config {
	char *path;
	struct listen_cfg *listen;
	size_t nlisten;
	bool listen_set;
	struct sw_params core;
	int socket_mode;
	enum log_level log_level;
	char *pidfile;
	bool daemon;
	uint32_t dgram_idle_s;
	char *metrics;
	struct {
		char *path;
		bool off;
		bool is_default;
		int mode;
		gid_t group;
	} control;
	struct uplink_cfg *uplinks;
	size_t nuplinks;
};

void config_init(struct sw_config *c);
int config_load(struct sw_config *c, const char *path, char *err,
		size_t errlen);
int config_add_listen(struct sw_config *c, const char *url, int mode,
		      gid_t group, char *err, size_t errlen);
void config_fini(struct sw_config *c);
int log_level_parse(const char *s, enum log_level *out);
void config_clear_listen(struct sw_config *c);

int config_locate(const char *text, size_t len, const char *path, bool at_key,
		  unsigned *line, unsigned *col);

/* log.c */

/**
 * struct log_state - the logger's settings (one instance, in main.c)
 * @level:	most verbose level printed
 * @use_syslog:	send to syslog instead of stderr
 */
struct log_state {
	enum log_level level;
	bool use_syslog;
};

extern struct log_state log_state;

void log_init(enum log_level level, bool use_syslog);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

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
struct dgram_listener;

#define SWD_IOV_MAX 1024
#define SWD_READ_CHUNK (128 * 1024)
#define SWD_RX_SLOTS 32 /* max_frame-sized datagram slots per recvmmsg() */

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
 * @listeners:	list of listeners
 * @dgram_listeners: list of datagram listeners (transport/dgram.c)
 * @closing:	ports to close after this dispatch (linked by close_next)
 * @watchers:	libev watchers owned by loop.c (opaque here)
 * @metrics:	the metrics endpoint (metrics.c), or NULL
 * @captures:	packet captures (capture.c)
 * @stopping:	shutting down
 * @ctl:	control socket and command registry (control.c), or NULL
 * @reload:	reload builder and hooks (reload.c), or NULL
 */
struct swd {
	struct ev_loop *loop;
	struct sw sw;
	struct sw_config cfg;
	uint64_t now_ms;
	uint64_t start_ms;
	uint8_t *arena;
	size_t arena_len;
	size_t arena_used;
	struct iovec *iov;
	uint8_t (*hdr)[TXQ_HDR_LEN];
	struct listener *listeners;
	struct dgram_listener *dgram_listeners;
	struct port *closing;
	struct swd_watchers *watchers;
	struct metrics *metrics;
	struct capture_set *captures;
	bool stopping;
	struct ctl *ctl;
	struct reload_state *reload;
};

int swd_init(struct swd *d, struct ev_loop *loop);
void swd_fini(struct swd *d);
uint8_t *swd_rx_buf(struct swd *d, size_t *space);
uint8_t *swd_rx_slots(struct swd *d, size_t slot, unsigned want, unsigned *n);
struct ev_io;
void swd_watch_output(struct swd *d, struct ev_io *wio, const struct txq *q);
void swd_rx_commit(struct swd *d, size_t used);
void swd_port_close(struct swd *d, struct port *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void swd_process_closing(struct swd *d);
void swd_close_all_ports(struct swd *d, const char *reason);
void swd_log_port_stats(const struct port *p, const char *prefix);
uint64_t swd_clock_ms(void);

/* transport/stream.c */

int listener_open(struct swd *d, const struct listen_cfg *lc);
void listener_close_all(struct swd *d);
void listener_print_all(const struct swd *d, FILE *out);
int unix_path_check(const char *path, int type);
int inet_bind(struct listen_addr *a, int type, const char *url);
int unix_bind_path(int fd, const char *path, int mode, gid_t group,
		   bool *created, dev_t *dev, ino_t *ino);
void qemu_escape(const char *s, char *out, size_t len);
void listener_log_stats(const struct swd *d);
struct ev_io;
struct ev_timer;
void accept_failed(struct ev_loop *loop, struct ev_io *io,
		   struct ev_timer *backoff, const char *url);
void accept_backoff_init(struct ev_timer *backoff, struct ev_io *io);

struct listener *listener_find(struct swd *d, const struct listen_addr *want);
void listener_close(struct swd *d, struct listener *l);
const struct listener *listener_next(const struct swd *d,
				     const struct listener *l);
const char *listener_url(const struct listener *l);

/* transport/vde.c */

struct vde_listener;

#define VDE_DIR_MAX 94 /* DIR plus vdeplug4's "/.PPPPP-NNNNN" fit sun_path */

int vde_listener_open(struct swd *d, const struct listen_cfg *lc, int mode,
		      struct vde_listener **out);
void vde_listener_free(struct vde_listener *vl);
void vde_listener_print(const struct vde_listener *vl, FILE *out);
void vde_listener_log_stats(const struct vde_listener *vl, const char *prefix);

/* transport/dgram.c */

int dgram_listener_open(struct swd *d, const struct listen_cfg *lc);
void dgram_listener_close_all(struct swd *d);
void dgram_listener_print_all(const struct swd *d, FILE *out);
bool dgram_listener_close(struct swd *d, const struct listen_addr *want);
const char *dgram_listener_url_at(const struct swd *d, size_t i);
void dgram_listener_set_idle(struct swd *d, uint32_t idle_s);

/* control.c, control_cmds.c - the control socket (docs/control.md)
 *
 * Extension point: any module adds commands with ctl_register() at start-up
 * (before or after ctl_open(); the registry is created on first use), with
 * a static table of struct ctl_cmd. A handler gets the request's
 * "arguments" object and returns the "return" value (a new jansson
 * reference), or NULL after ctl_fail(). Events go to every subscribed
 * client with ctl_emit(). jansson types appear only in the control files
 * and in modules that add commands.
 */

struct json_t;
struct ctl_client;

#define CTL_ERR_GENERIC "GenericError"
#define CTL_ERR_NOT_FOUND "CommandNotFound"
#define CTL_ERR_NO_PORT "DeviceNotFound"

/**
 * struct ctl_req - one command being run
 * @d:		the daemon
 * @client:	the connection it came on
 * @args:	its "arguments" object (an empty object if none was given)
 * @err_class:	set by ctl_fail(): QMP-style error class
 * @err:	set by ctl_fail(): human-readable description
 */
struct ctl_req {
	struct swd *d;
	struct ctl_client *client;
	struct json_t *args;
	const char *err_class;
	char err[512];
};

/**
 * struct ctl_cmd - one control command
 * @name:	what "execute" names ("query-ports")
 * @fn:		handler: the "return" value (new reference), or NULL after
 *		ctl_fail(). Context: runs in the control client's callback;
 *		must not block; may close ports (swd_port_close defers).
 * @help:	one line for query-commands
 */
struct ctl_cmd {
	const char *name;
	struct json_t *(*fn)(struct ctl_req *r);
	const char *help;
};

int ctl_register(struct swd *d, const struct ctl_cmd *cmds, size_t n);
int ctl_open(struct swd *d, const struct sw_config *c);
void ctl_close(struct swd *d);
void ctl_fini(struct swd *d);
const char *ctl_path(const struct swd *d);
struct json_t *ctl_fail(struct ctl_req *r, const char *cls, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));
void ctl_emit(struct swd *d, const char *event, struct json_t *data);
bool ctl_has_subscribers(const struct swd *d);
void ctl_subscribe(struct ctl_client *c);
struct json_t *ctl_stats_json(const struct swd *d);
struct json_t *ctl_commands_json(const struct swd *d);
void ctl_sw_event(struct swd *d, enum sw_event ev, uint16_t vid,
		  const uint8_t *mac, struct port *from, struct port *to);
void ctl_port_event(struct swd *d, struct port *p, bool up, const char *cause);
struct json_t *ctl_port_json(const struct swd *d, const struct port *p);
int ctl_cmds_register(struct swd *d);
const char *swd_port_state(const struct port *p);

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
 * @commit:	switch over to @newc, release what @oldc needed
 * @abort:	undo prepare() (another part of the reload failed)
 * @opaque:	passed back
 */
struct reload_hook {
	const char *name;
	int (*prepare)(struct swd *d, const struct sw_config *newc, char *err,
		       size_t errlen, void *opaque);
	void (*commit)(struct swd *d, const struct sw_config *oldc,
		       const struct sw_config *newc, void *opaque);
	void (*abort)(struct swd *d, const struct sw_config *newc,
		      void *opaque);
	void *opaque;
};

/**
 * typedef reload_build_fn - build the config a reload would apply
 * @out:	an uninitialised config to fill (file, then flags, defaults)
 *
 * Return: 0, or a negative error code with @err filled in
 */
typedef int (*reload_build_fn)(struct sw_config *out, char *err, size_t errlen,
			       void *opaque);

int reload_set_builder(struct swd *d, reload_build_fn fn, void *opaque);
int reload_hook_add(struct swd *d, const struct reload_hook *h);
int swd_reload(struct swd *d, const char *why, char *err, size_t errlen,
	       char *summary, size_t sumlen);
void reload_fini(struct swd *d);
bool listen_addr_same(const struct listen_addr *a, const struct listen_addr *b);

/* notify.c - readiness for supervisors */

void notify_ready(int ready_fd, const char *status);
void notify_status(const char *state);

/* metrics.c */

int metrics_init(struct swd *d);
void metrics_stop(struct swd *d);
void metrics_print(const struct swd *d, FILE *out);

/* capture.c */

#define CAPTURE_MAX 8
#define CAPTURE_SNAPLEN_DEFAULT 262144
#define CAPTURE_BUFFER_DEFAULT (1024 * 1024)

/**
 * struct capture_spec - what to capture, where, and how much
 * @target:	port id, port name, or "all" (every frame as received)
 * @path:	file or FIFO to write the pcap stream to
 * @filter:	BPF expression (tcpdump syntax), or NULL
 * @max_bytes:	stop after this many bytes written (0 = no limit)
 * @max_frames:	stop after this many frames written (0 = no limit)
 * @snaplen:	bytes kept of each frame
 * @buffer:	bytes of memory buffered for a slow reader
 */
struct capture_spec {
	const char *target;
	const char *path;
	const char *filter;
	uint64_t max_bytes;
	uint64_t max_frames;
	uint32_t snaplen;
	size_t buffer;
};

/**
 * struct capture_info - one capture's state, for listings
 * @id:		capture number
 * @port:	port id, or 0 for all ports
 * @port_name:	port name, or "all"
 * @path:	where it writes
 * @filter:	BPF expression or ""
 * @frames:	frames written
 * @bytes:	bytes written (file header included)
 * @dropped:	frames dropped because the buffer was full
 * @filtered:	frames the filter rejected
 * @buffered:	bytes waiting for the reader
 * @max_bytes:	limit, 0 = none
 * @max_frames:	limit, 0 = none
 * @snaplen:	bytes kept of each frame
 */
struct capture_info {
	unsigned id;
	uint32_t port;
	const char *port_name;
	const char *path;
	const char *filter;
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t filtered;
	size_t buffered;
	uint64_t max_bytes;
	uint64_t max_frames;
	uint32_t snaplen;
};

void capture_spec_default(struct capture_spec *s);
int capture_spec_parse(char *text, struct capture_spec *s, char *err,
		       size_t errlen);
int capture_init(struct swd *d);
void capture_fini(struct swd *d);
int capture_start(struct swd *d, const struct capture_spec *s, char *err,
		  size_t errlen);
int capture_stop(struct swd *d, unsigned id, const char *target, char *err,
		 size_t errlen);
void capture_port_closed(struct swd *d, struct port *p);
bool capture_get(const struct swd *d, unsigned slot, struct capture_info *out);

/* capture_ctl.c */

int capture_ctl_register(struct swd *d);

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

#endif /* SOCKSWITCHD_H */

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
};

/**
 * struct listen_addr - a parsed listener URL
 * @kind:	TCP or unix stream
 * @host:	TCP: numeric address or name, without brackets
 * @port:	TCP: port number, 0 = let the kernel pick
 * @path:	unix: socket path; vde: the switch directory
 */
struct listen_addr {
	enum listen_kind kind;
	char host[256];
	uint16_t port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int listen_url_parse(const char *url, struct listen_addr *out, char *err,
		     size_t errlen);
int listen_url_format(const struct listen_addr *a, char *buf, size_t len);

/* config.c, jsonpos.c */

#define CONFIG_MODE_UNSET (-1)
#define CONFIG_GID_UNSET ((gid_t)-1)
#define SOCKET_MODE_DEFAULT 0600
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

#define SWD_IOV_MAX 1024
#define SWD_READ_CHUNK (128 * 1024)

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
 * @closing:	ports to close after this dispatch (linked by close_next)
 * @watchers:	libev watchers owned by loop.c (opaque here)
 * @stopping:	shutting down
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
	struct port *closing;
	struct swd_watchers *watchers;
	bool stopping;
};

int swd_init(struct swd *d, struct ev_loop *loop);
void swd_fini(struct swd *d);
uint8_t *swd_rx_buf(struct swd *d, size_t *space);
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
void listener_log_stats(const struct swd *d);
int unix_path_check(const char *path);
int unix_bind(int fd, const char *path, int mode, gid_t group, dev_t *dev,
	      ino_t *ino, bool *created);
struct ev_io;
struct ev_timer;
void accept_failed(struct ev_loop *loop, struct ev_io *io,
		   struct ev_timer *backoff, const char *url);

/* transport/vde.c */

struct vde_listener;

#define VDE_DIR_MAX 94 /* DIR plus vdeplug4's "/.PPPPP-NNNNN" fit sun_path */

int vde_listener_open(struct swd *d, const struct listen_cfg *lc, int mode,
		      struct vde_listener **out);
void vde_listener_free(struct vde_listener *vl);
void vde_listener_print(const struct vde_listener *vl, FILE *out);
void vde_listener_log_stats(const struct vde_listener *vl, const char *prefix);

#endif /* SOCKSWITCHD_H */

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
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "sockswitch/sw.h"

/* url.c */

/**
 * enum listen_kind - what a listener URL names
 */
enum listen_kind {
	LISTEN_TCP,
	LISTEN_UNIX,
};

/**
 * struct listen_addr - a parsed listener URL
 * @kind:	TCP or unix stream
 * @host:	TCP: numeric address or name, without brackets
 * @port:	TCP: port number, 0 = let the kernel pick
 * @path:	unix: socket path
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

/* config.c */

#define CONFIG_MODE_UNSET (-1)
#define CONFIG_GID_UNSET ((gid_t)-1)
#define SOCKET_MODE_DEFAULT 0600

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

#endif /* SOCKSWITCHD_H */

/* SPDX-License-Identifier: MIT */
/*
 * config.h - the configuration: listener URLs, uplink specs, the config file
 */
#ifndef SWD_CONFIG_H
#define SWD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "config/slirp_opts.h"
#include "sockswitch/stp.h"
#include "sockswitch/sw.h"
#include "sockswitch/vlan.h"

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
	LISTEN_VHOST,
};

#define VDE_DIR_MAX 94 /* DIR plus vdeplug4's "/.PPPPP-NNNNN" fit sun_path */

/**
 * struct listen_addr - a parsed listener URL
 * @kind:	TCP, unix stream, UDP, unix datagram or VDE directory
 * @host:	TCP, UDP: numeric address or name, without brackets
 * @port:	TCP, UDP: port number, 0 = let the kernel pick
 * @path:	unix, unixgram, vhost-user: socket path; vde: the switch
 *		directory
 */
struct listen_addr {
	enum listen_kind kind;
	char host[256];
	uint16_t port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int config_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int listen_url_parse(const char *url, struct listen_addr *out, char *err,
		     size_t errlen);
int endpoint_url_parse(const char *url, struct listen_addr *out, char *err,
		       size_t errlen);
int listen_url_format(const struct listen_addr *a, char *buf, size_t len);
bool listen_addr_same(const struct listen_addr *a, const struct listen_addr *b);

/**
 * listen_addr_is_file() - does the listener live in the file system
 * @a:		the address
 *
 * Return: true for unix:, unixgram:, vde: and vhost-user: (a path, made
 *	   absolute before the daemon changes directory)
 */
static inline bool listen_addr_is_file(const struct listen_addr *a)
{
	return a->kind == LISTEN_UNIX || a->kind == LISTEN_UNIXGRAM ||
	       a->kind == LISTEN_VDE || a->kind == LISTEN_VHOST;
}

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
	UPLINK_MCAST,
	UPLINK_VXLAN,
};

#define UPLINK_MCAST_TTL_DEFAULT 1

/**
 * struct uplink_mcast - a multicast hub, as QEMU's -netdev socket,mcast=
 * @group:	IPv4 group address, network byte order
 * @port:	UDP port (1-65535)
 * @localaddr:	address of the interface to join and send on, network
 *		byte order; 0 when not given (the routing table decides)
 * @ttl:	multicast TTL of what the switch sends (0-255, default 1)
 * @loop:	IP_MULTICAST_LOOP: members on this host hear the switch
 *		(default; QEMU always sets it)
 */
struct uplink_mcast {
	uint32_t group;
	uint16_t port;
	uint32_t localaddr;
	uint8_t ttl;
	bool loop;
};

#define VXLAN_PORT_DEFAULT 4789 /* IANA; Linux's own default is 8472 */
#define VXLAN_REMOTES_MAX 64 /* remote= per spec; more with more specs */

/**
 * struct vxlan_addr - a numeric IPv4 or IPv6 address
 * @family:	AF_INET or AF_INET6; 0 when not given
 * @a:		the address, network byte order (IPv4 in the first 4 bytes)
 */
struct vxlan_addr {
	uint16_t family;
	uint8_t a[16];
};

/**
 * struct uplink_vxlan - a VXLAN tunnel to remote VTEPs (RFC 7348)
 * @vni:	VXLAN network identifier, 0-16777215
 * @port:	UDP port bound and sent to (default 4789)
 * @ttl:	TTL / hop limit of what is sent; 0: the system's default
 * @local:	address bound and sent from; family 0: any (of the remotes'
 *		family)
 * @nremotes:	how many in @remote: 1 in every entry of a config (a spec
 *		with several remotes becomes one entry per remote)
 * @remote:	the remote VTEPs, all of one family
 */
struct uplink_vxlan {
	uint32_t vni;
	uint16_t port;
	uint8_t ttl;
	struct vxlan_addr local;
	size_t nremotes;
	struct vxlan_addr remote[VXLAN_REMOTES_MAX];
};

/**
 * struct uplink_cfg - one uplink from the config or a flag, parsed once
 * @spec:	canonical spec text ("tap:tap0", "unix:/run/x.sock"), for
 *		messages and for matching entries across a reload
 * @kind:	its kind
 * @arg:	tap/bridge name, passt socket path (NULL: start passt);
 *		NULL for the other kinds
 * @helper:	bridge: qemu-bridge-helper path
 * @fd:		tap-fd: the inherited descriptor
 * @addr:	connect: where to dial
 * @slirp:	slirp: the options, parsed and finished (slirp_opts.c);
 *		all zero for the other kinds
 * @mcast:	mcast: group, port and options; all zero for the others
 * @vxlan:	vxlan: VNI, port, local address and the remote (one per
 *		entry once appended to a config); all zero for the others
 * @vlan:	the port's VLAN mode (",vlan=N", ",trunk=LIST", ",native=N"
 *		on any spec; in @spec in canonical form, so a change restarts
 *		the uplink)
 *
 * Everything a transport needs is here in parsed form: the transports
 * never parse @spec again. uplink_cfg_copy() makes a deep copy.
 */
struct uplink_cfg {
	char *spec;
	enum uplink_kind kind;
	char *arg;
	char *helper;
	int fd;
	struct listen_addr addr;
	struct slirp_opts slirp;
	struct uplink_mcast mcast;
	struct uplink_vxlan vxlan;
	struct vlan_cfg vlan;
};

/**
 * struct uplink_json_err - where in an "uplinks"/"connect" value it failed
 * @has_index:	@index is valid
 * @index:	array element
 * @key:	member of that element, or NULL
 * @has_key_index: @key_index is valid
 * @key_index:	array element of @key's value (a "trunk" item)
 * @at_key:	point at the key rather than the value
 */
struct uplink_json_err {
	bool has_index;
	size_t index;
	const char *key;
	bool has_key_index;
	size_t key_index;
	bool at_key;
};

struct swd_config;
struct json_t;

int uplink_cfg_parse(const char *spec, bool connect, struct uplink_cfg *out,
		     char *err, size_t errlen);
int config_add_uplink(struct swd_config *c, const char *spec, bool connect,
		      char *err, size_t errlen);
int config_load_uplinks(struct swd_config *c, struct json_t *v, bool connect,
			struct uplink_json_err *where, char *err,
			size_t errlen);
void config_clear_uplinks(struct swd_config *c);
void uplink_cfg_fini(struct uplink_cfg *u);
int uplink_cfg_copy(struct uplink_cfg *dst, const struct uplink_cfg *src);
bool uplink_cfg_same(const struct uplink_cfg *a, const struct uplink_cfg *b);
int config_copy_uplinks(struct swd_config *dst, const struct swd_config *src);
int config_absolutize_uplinks(struct swd_config *c, const char *cwd, char *err,
			      size_t errlen);

/* config.c, jsonpos.c */

const char *config_json_kind(const struct json_t *v);

#define CONFIG_MODE_UNSET (-1)
#define CONFIG_GID_UNSET ((gid_t)-1)
#define SOCKET_MODE_DEFAULT 0600
#define DGRAM_IDLE_DEFAULT_S 300
#define DGRAM_IDLE_MAX_S 1000000
#define JPATH_MAX 512 /* bytes of "$.listen[3].mode" */
#define LISTEN_UIDS_MAX 32
#define QUEUE_BUDGET_MIN (1ULL << 20) /* above any max_frame */
#define QUEUE_BUDGET_MAX (1ULL << 40)
#define QUEUE_BUDGET_FLOOR (64ULL << 20) /* the default: RAM / 16 in here */
#define QUEUE_BUDGET_CEIL (1ULL << 30)
#define CAPTURE_BUDGET_DEFAULT (64ULL << 20)
#define CAPTURE_BUDGET_MIN (64ULL << 10)
#define CAPTURE_BUDGET_MAX (1ULL << 34)

/**
 * struct listen_uids - which local users may attach to a listener
 * @any:	tcp: anyone ("allow_any_uid": true)
 * @given:	unix:, vde: "allow_uids" or "allow_gids" was given: peers are
 *		checked (without either, the socket file's mode and group
 *		decide alone)
 * @n:		how many in @uid
 * @uid:	allowed besides the switch's own uid and root ("allow_uids")
 * @ngid:	how many in @gid
 * @gid:	unix:, vde: a peer whose primary or supplementary group is
 *		one of these may attach too ("allow_gids")
 *
 * tcp: only peers on this host are checked (their socket's owner is
 * looked up with sock_diag); peers from other hosts cannot be told apart
 * by uid. unix: and vde: peers are checked with SO_PEERCRED and
 * SO_PEERGROUPS when they connect.
 */
struct listen_uids {
	bool any;
	bool given;
	size_t n;
	uid_t uid[LISTEN_UIDS_MAX];
	size_t ngid;
	gid_t gid[LISTEN_UIDS_MAX];
};

/**
 * struct listen_impair - a listener's "impair" object
 * @on:		given, with at least one setting on
 * @seeded:	"seed" was given: every port uses it; else each port gets
 *		a random seed when it attaches
 * @cfg:	the settings
 */
struct listen_impair {
	bool on;
	bool seeded;
	struct impair_cfg cfg;
};

/**
 * struct listen_cfg - one listener from the config or a --listen flag
 * @url:	as written (owned copy)
 * @addr:	parsed form of @url
 * @mode:	unix: socket file permissions, or CONFIG_MODE_UNSET
 * @group:	unix: socket file group, or CONFIG_GID_UNSET
 * @uids:	tcp: local users allowed besides the switch's own and root
 * @max_ports:	udp:, unixgram: ports it may hold ("max_ports"), or 0: the
 *		default, half of the switch's max_ports (at least 1)
 * @impair:	egress impairment of every port accepted there ("impair")
 * @max_macs:	most source addresses each of its ports may learn
 *		("max_macs"), or 0: no limit of its own
 * @broadcast_limit: frames per second each of its ports may have
 *		flooded ("broadcast_limit", storm control), or 0: no limit
 * @vlan:	VLAN mode of every port accepted there ("vlan", "trunk",
 *		"native"); VLAN_MODE_NONE without them
 * @no_edge:	its ports are normal spanning-tree ports ("edge": false),
 *		not edge ports that forward at once
 * @bpdu_guard:	a BPDU arriving on one of its ports disables that port
 *		("bpdu_guard": true)
 */
struct listen_cfg {
	char *url;
	struct listen_addr addr;
	int mode;
	gid_t group;
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
 * enum log_level - syslog-like levels, most severe first
 */
enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/**
 * struct swd_config - everything a config file or the flags can set
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
 * @capture_budget:	bound on the buffers of all running captures
 *			together, bytes
 * @stp_on:		spanning tree ("stp": true or an object, --stp)
 * @stp:		its settings (defaults: stp_cfg_default())
 */
struct swd_config {
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
	size_t capture_budget;
	bool stp_on;
	struct stp_cfg stp;
};

void config_init(struct swd_config *c);
size_t config_default_queue_budget(uint64_t ram_bytes);
int config_load(struct swd_config *c, const char *path, char *err,
		size_t errlen);
int config_add_listen(struct swd_config *c, const char *url, int mode,
		      gid_t group, char *err, size_t errlen);
void config_fini(struct swd_config *c);
int log_level_parse(const char *s, enum log_level *out);
void config_clear_listen(struct swd_config *c);

int config_locate(const char *text, size_t len, const char *path, bool at_key,
		  unsigned *line, unsigned *col);

/* path.c */

int path_runtime_dir(char *out, size_t len);
int path_expand(const char *in, char *out, size_t len, char *err,
		size_t errlen);
int path_expand_dup(const char *in, char **out, char *err, size_t errlen);
int path_make_parents(const char *path);
unsigned config_missing_dirs(const struct swd_config *c,
			     void (*fn)(void *opaque, const char *dir,
					const char *what, int rc),
			     void *opaque);

#endif /* SWD_CONFIG_H */

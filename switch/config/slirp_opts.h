/* SPDX-License-Identifier: MIT */
/*
 * slirp_opts.h - options of the slirp (user-mode NAT) uplink
 *
 * QEMU's -netdev user option names and defaults, parsed from a spec string
 * ("slirp,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:2222-:22") or from a JSON
 * object in the config's uplinks array. No I/O and no libslirp here, so
 * the parser is tested on its own.
 */
#ifndef SLIRP_OPTS_H
#define SLIRP_OPTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLIRP_HOSTFWD_TEXT 96
#define SLIRP_CONN_MAX_DEFAULT 4096 /* host sockets of one slirp uplink */
#define SLIRP_CONN_MAX_GUEST_DEFAULT 256 /* ... of one guest (MAC) */
#define SLIRP_HALF_OPEN_MAX_GUEST_DEFAULT 64 /* its connects in progress */
#define SLIRP_CONN_LIMIT 1048576 /* largest value of the three options */

/**
 * struct slirp_hostfwd - one port forward from the host into the LAN
 * @udp:	UDP instead of TCP
 * @haddr:	host address to bind (INADDR_ANY when left empty)
 * @hport:	host port, 1-65535
 * @gaddr:	guest address; INADDR_ANY until slirp_opts_finish() puts
 *		the first DHCP address (dhcpstart) there, as QEMU does
 * @gport:	guest port, 1-65535
 * @text:	the rule as written, for messages
 */
struct slirp_hostfwd {
	bool udp;
	struct in_addr haddr;
	uint16_t hport;
	struct in_addr gaddr;
	uint16_t gport;
	char text[SLIRP_HOSTFWD_TEXT];
};

/**
 * struct slirp_opts - a slirp uplink's configuration
 * @net:	network address (default 10.0.2.0)
 * @mask:	its netmask (default /24)
 * @prefix:	its prefix length
 * @host:	the gateway / host address (default net + .2)
 * @dhcpstart:	first address handed out by DHCP (default net + .15)
 * @dns:	the DNS forwarder's address (default net + .3)
 * @set:	which of @host, @dhcpstart, @dns were given
 * @hostname:	name sent to DHCP clients, or NULL
 * @domainname:	domain sent to DHCP clients, or NULL
 * @dnssearch:	DNS search list (NULL-terminated, owned), or NULL
 * @ndnssearch:	entries in @dnssearch
 * @restricted:	isolate the LAN: no connections out, hostfwd still works
 * @tftp:	directory served by the built-in TFTP server, or NULL
 * @bootfile:	BOOTP file name, or NULL
 * @ipv6:	IPv6 enabled (default on)
 * @net6:	IPv6 prefix (default fec0::)
 * @prefix6:	its length (default 64)
 * @host6:	IPv6 host address (default prefix::2)
 * @dns6:	IPv6 DNS address (default prefix::3)
 * @set6:	which of @host6, @dns6 were given
 * @fwd:	port forwards (owned array)
 * @nfwd:	how many
 * @conn_max:	bound on the uplink's host sockets (TCP connections, UDP
 *		flows, pings); the open-file limit may lower it at start
 * @conn_max_guest: bound on the host sockets of one guest (source MAC)
 * @half_open_max_guest: bound on one guest's TCP connections whose host
 *		connect() has not completed yet
 */
struct slirp_opts {
	struct in_addr net, mask;
	int prefix;
	struct in_addr host, dhcpstart, dns;
	struct {
		bool net, host, dhcpstart, dns;
	} set;
	char *hostname;
	char *domainname;
	char **dnssearch;
	size_t ndnssearch;
	bool restricted;
	char *tftp;
	char *bootfile;
	bool ipv6;
	struct in6_addr net6;
	int prefix6;
	struct in6_addr host6, dns6;
	struct {
		bool host6, dns6;
	} set6;
	struct slirp_hostfwd *fwd;
	size_t nfwd;
	uint32_t conn_max, conn_max_guest, half_open_max_guest;
};

void slirp_opts_init(struct slirp_opts *o);
void slirp_opts_fini(struct slirp_opts *o);
int slirp_opts_set(struct slirp_opts *o, const char *key, const char *val,
		   char *err, size_t errlen);
int slirp_opts_finish(struct slirp_opts *o, char *err, size_t errlen);
int slirp_opts_parse_spec(struct slirp_opts *o, const char *spec, char *err,
			  size_t errlen);
char *strdup_or_null(const char *s, bool *fail);
int slirp_opts_copy(struct slirp_opts *dst, const struct slirp_opts *src);
int slirp_hostfwd_parse(const char *rule, bool with_guest,
			struct slirp_hostfwd *f, char *err, size_t errlen);
int slirp_hostfwd_resolve(const struct slirp_opts *o, struct slirp_hostfwd *f,
			  char *err, size_t errlen);
void slirp_opts_describe(const struct slirp_opts *o, char *buf, size_t len);

struct json_t;
int slirp_opts_from_json(struct slirp_opts *o, struct json_t *obj,
			 const char **bad_key, char *err, size_t errlen);

#endif /* SLIRP_OPTS_H */

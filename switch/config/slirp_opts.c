// SPDX-License-Identifier: MIT
/*
 * slirp_opts.c - parse and check the slirp uplink's options
 *
 * DOC: Theory of Operation
 * Options use the names of QEMU's -netdev user. Each KEY=VALUE goes
 * through slirp_opts_set(), whether it came from a spec string (commas
 * separate options, ",," is a literal comma as in QEMU) or from a JSON
 * object (strings as they are, booleans as on/off, arrays for the
 * repeatable hostfwd and dnssearch). slirp_opts_finish() then fills the
 * defaults that depend on the network (host .2, DNS .3, DHCP from .15)
 * and checks that the addresses fit together. Every message names the
 * option and says what is wrong with the value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "config/slirp_opts.h"
#include "config/vlan_opts.h"

#define NAME_MAX_LEN 255

/**
 * slirp_opts_init() - QEMU's defaults: 10.0.2.0/24, IPv6 fec0::/64 on
 * @o:		options to set up
 */
void slirp_opts_init(struct slirp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->net.s_addr = htonl(0x0a000200);
	o->prefix = 24;
	o->mask.s_addr = htonl(0xffffff00);
	o->ipv6 = true;
	inet_pton(AF_INET6, "fec0::", &o->net6);
	o->prefix6 = 64;
	o->conn_max = SLIRP_CONN_MAX_DEFAULT;
	o->conn_max_guest = SLIRP_CONN_MAX_GUEST_DEFAULT;
	o->half_open_max_guest = SLIRP_HALF_OPEN_MAX_GUEST_DEFAULT;
}

static void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/**
 * slirp_opts_fini() - free what the options own
 * @o:		options
 */
void slirp_opts_fini(struct slirp_opts *o)
{
	free(o->hostname);
	free(o->domainname);
	free(o->tftp);
	free(o->bootfile);
	strv_free(o->dnssearch);
	free(o->fwd);
	memset(o, 0, sizeof(*o));
}

static int parse_onoff(const char *key, const char *val, bool *out, char *err,
		       size_t errlen)
{
	if (!strcmp(val, "on") || !strcmp(val, "yes") || !strcmp(val, "true"))
		*out = true;
	else if (!strcmp(val, "off") || !strcmp(val, "no") ||
		 !strcmp(val, "false"))
		*out = false;
	else
		return config_errf(err, errlen, "%s: `%s' is not on or off",
				   key, val);
	return 0;
}

static int parse_prefix(const char *key, const char *s, int max, int *out,
			char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < 1 || v > max)
		return config_errf(
			err, errlen,
			"%s: prefix length `%s' is not a number in 1-%d", key,
			s, max);
	*out = (int)v;
	return 0;
}

/* A bound on host sockets: a whole number in 1-SLIRP_CONN_LIMIT. */
static int parse_count(const char *key, const char *s, uint32_t *out, char *err,
		       size_t errlen)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < 1 ||
	    v > SLIRP_CONN_LIMIT)
		return config_errf(err, errlen,
				   "%s: `%s' is not a whole number in 1-%u",
				   key, s, (unsigned)SLIRP_CONN_LIMIT);
	*out = (uint32_t)v;
	return 0;
}

static uint32_t prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* net=ADDR[/PREFIX or /MASK], host bits clear */
static int parse_net(struct slirp_opts *o, const char *val, char *err,
		     size_t errlen)
{
	char buf[64], *slash;
	struct in_addr a, m;
	int prefix = 24;

	if (strlen(val) >= sizeof(buf))
		return config_errf(err, errlen, "net: `%s' is too long", val);
	strcpy(buf, val);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return config_errf(
			err, errlen,
			"net: `%s' is not an IPv4 address (use e.g. net=10.0.2.0/24)",
			buf);
	if (slash && strchr(slash, '.')) {
		uint32_t hm;

		if (inet_pton(AF_INET, slash, &m) != 1)
			return config_errf(err, errlen,
					   "net: `%s' is not a netmask", slash);
		hm = ntohl(m.s_addr);
		for (prefix = 0; prefix < 32 && (hm & (0x80000000u >> prefix));
		     prefix++)
			;
		if (hm != prefix_mask(prefix) || prefix < 1 || prefix > 30)
			return config_errf(
				err, errlen,
				"net: netmask `%s' is not contiguous with 1-30 network bits",
				slash);
	} else if (slash &&
		   parse_prefix("net", slash, 30, &prefix, err, errlen) < 0) {
		return -EINVAL;
	}
	m.s_addr = htonl(prefix_mask(prefix));
	if (a.s_addr & ~m.s_addr) {
		a.s_addr &= m.s_addr;
		inet_ntop(AF_INET, &a, buf, sizeof(buf));
		return config_errf(
			err, errlen,
			"net: `%s' has host bits set; did you mean %s/%d?", val,
			buf, prefix);
	}
	o->net = a;
	o->mask = m;
	o->prefix = prefix;
	o->set.net = true;
	return 0;
}

static int parse_ip4(const char *key, const char *val, struct in_addr *out,
		     char *err, size_t errlen)
{
	if (inet_pton(AF_INET, val, out) != 1)
		return config_errf(err, errlen,
				   "%s: `%s' is not an IPv4 address", key, val);
	return 0;
}

static int parse_ip6(const char *key, const char *val, struct in6_addr *out,
		     char *err, size_t errlen)
{
	if (inet_pton(AF_INET6, val, out) != 1)
		return config_errf(err, errlen,
				   "%s: `%s' is not an IPv6 address", key, val);
	return 0;
}

static int parse_net6(struct slirp_opts *o, const char *val, char *err,
		      size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;

	if (strlen(val) >= sizeof(buf))
		return config_errf(err, errlen, "ipv6-net: `%s' is too long",
				   val);
	strcpy(buf, val);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_ip6("ipv6-net", buf, &o->net6, err, errlen) < 0)
		return -EINVAL;
	if (slash &&
	    parse_prefix("ipv6-net", slash, 126, &o->prefix6, err, errlen) < 0)
		return -EINVAL;
	return 0;
}

static int set_string(const char *key, const char *val, char **out, char *err,
		      size_t errlen)
{
	const char *s;

	if (!*val || strlen(val) > NAME_MAX_LEN)
		return config_errf(err, errlen, "%s: must be 1-%d characters",
				   key, NAME_MAX_LEN);
	for (s = val; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return config_errf(
				err, errlen,
				"%s: control characters are not allowed", key);
	free(*out);
	*out = strdup(val);
	return *out ? 0 : config_errf(err, errlen, "%s: out of memory", key);
}

static bool domain_ok(const char *d)
{
	size_t label = 0;

	if (!*d || strlen(d) > 253)
		return false;
	for (; *d; d++) {
		if (*d == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') ||
		      (*d >= '0' && *d <= '9') || *d == '-' || *d == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static int add_dnssearch(struct slirp_opts *o, const char *val, char *err,
			 size_t errlen)
{
	char **nv;

	if (!domain_ok(val))
		return config_errf(
			err, errlen,
			"dnssearch: `%s' is not a domain name (letters, digits, '-', dots; labels up to 63)",
			val);
	nv = realloc(o->dnssearch, (o->ndnssearch + 2) * sizeof(*nv));
	if (!nv)
		return config_errf(err, errlen, "dnssearch: out of memory");
	o->dnssearch = nv;
	nv[o->ndnssearch] = strdup(val);
	if (!nv[o->ndnssearch])
		return config_errf(err, errlen, "dnssearch: out of memory");
	nv[++o->ndnssearch] = NULL;
	return 0;
}

static int parse_port(const char *rule, const char *what, const char *s,
		      size_t n, uint16_t *out, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9' && v <= 65535; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (n == 0 || i != n || v < 1 || v > 65535)
		return config_errf(
			err, errlen,
			"hostfwd: `%s': %s port `%.*s' is not a number in 1-65535",
			rule, what, (int)n, s);
	*out = (uint16_t)v;
	return 0;
}

/* "[ADDR]:PORT" of length n: empty ADDR gives INADDR_ANY */
static int parse_addr_port(const char *rule, const char *what, const char *s,
			   size_t n, struct in_addr *addr, uint16_t *port,
			   char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	char buf[INET_ADDRSTRLEN];
	size_t alen;

	if (!colon)
		return config_errf(
			err, errlen,
			"hostfwd: `%s': %s part `%.*s' needs ADDR:PORT or :PORT",
			rule, what, (int)n, s);
	alen = (size_t)(colon - s);
	addr->s_addr = htonl(INADDR_ANY);
	if (alen) {
		if (alen >= sizeof(buf) || s[0] == '[')
			return config_errf(
				err, errlen,
				"hostfwd: `%s': %s address `%.*s' is not an IPv4 address (IPv6 forwards are not supported)",
				rule, what, (int)alen, s);
		memcpy(buf, s, alen);
		buf[alen] = '\0';
		if (inet_pton(AF_INET, buf, addr) != 1)
			return config_errf(
				err, errlen,
				"hostfwd: `%s': %s address `%s' is not an IPv4 address",
				rule, what, buf);
	}
	return parse_port(rule, what, colon + 1, n - alen - 1, port, err,
			  errlen);
}

/**
 * slirp_hostfwd_parse() - parse [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 * @rule:	the rule, QEMU's hostfwd syntax
 * @with_guest:	false to parse only [tcp|udp]:[HOSTADDR]:HOSTPORT (the form
 *		that names a forward to remove)
 * @f:		result; an empty GUESTADDR is left as INADDR_ANY for
 *		slirp_hostfwd_resolve()
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int slirp_hostfwd_parse(const char *rule, bool with_guest,
			struct slirp_hostfwd *f, char *err, size_t errlen)
{
	const char *s = rule, *dash;

	memset(f, 0, sizeof(*f));
	if (strlen(rule) >= sizeof(f->text))
		return config_errf(err, errlen,
				   "hostfwd: `%.40s...' is too long", rule);
	strcpy(f->text, rule);
	dash = strchr(s, ':');
	if (!dash)
		return config_errf(
			err, errlen,
			"hostfwd: `%s' is not [tcp|udp]:[HOSTADDR]:HOSTPORT%s",
			rule, with_guest ? "-[GUESTADDR]:GUESTPORT" : "");
	if (dash - s == 3 && !strncmp(s, "udp", 3))
		f->udp = true;
	else if (dash != s && (dash - s != 3 || strncmp(s, "tcp", 3)))
		return config_errf(
			err, errlen,
			"hostfwd: `%s': protocol `%.*s' is not tcp or udp (the rule starts with tcp:, udp: or :)",
			rule, (int)(dash - s), s);
	s = dash + 1;
	dash = strchr(s, '-');
	if (!with_guest) {
		if (dash)
			return config_errf(
				err, errlen,
				"hostfwd: `%s': give only [tcp|udp]:[HOSTADDR]:HOSTPORT to remove a forward",
				rule);
		return parse_addr_port(rule, "host", s, strlen(s), &f->haddr,
				       &f->hport, err, errlen);
	}
	if (!dash)
		return config_errf(
			err, errlen,
			"hostfwd: `%s' is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
			rule);
	if (parse_addr_port(rule, "host", s, (size_t)(dash - s), &f->haddr,
			    &f->hport, err, errlen) < 0)
		return -EINVAL;
	return parse_addr_port(rule, "guest", dash + 1, strlen(dash + 1),
			       &f->gaddr, &f->gport, err, errlen);
}

static int add_hostfwd(struct slirp_opts *o, const char *val, char *err,
		       size_t errlen)
{
	struct slirp_hostfwd f, *nf;

	if (slirp_hostfwd_parse(val, true, &f, err, errlen) < 0)
		return -EINVAL;
	nf = realloc(o->fwd, (o->nfwd + 1) * sizeof(*nf));
	if (!nf)
		return config_errf(err, errlen, "hostfwd: out of memory");
	o->fwd = nf;
	o->fwd[o->nfwd++] = f;
	return 0;
}

/**
 * slirp_opts_set() - apply one KEY=VALUE
 * @o:		options
 * @key:	QEMU -netdev user option name
 * @val:	its value
 * @err:	message on failure
 * @errlen:	its size
 *
 * hostfwd and dnssearch add to a list; other keys replace.
 *
 * Return: 0, or -EINVAL with @err naming the option and the problem
 */
int slirp_opts_set(struct slirp_opts *o, const char *key, const char *val,
		   char *err, size_t errlen)
{
	if (!strcmp(key, "net"))
		return parse_net(o, val, err, errlen);
	if (!strcmp(key, "host")) {
		o->set.host = true;
		return parse_ip4(key, val, &o->host, err, errlen);
	}
	if (!strcmp(key, "dhcpstart")) {
		o->set.dhcpstart = true;
		return parse_ip4(key, val, &o->dhcpstart, err, errlen);
	}
	if (!strcmp(key, "dns")) {
		o->set.dns = true;
		return parse_ip4(key, val, &o->dns, err, errlen);
	}
	if (!strcmp(key, "hostname"))
		return set_string(key, val, &o->hostname, err, errlen);
	if (!strcmp(key, "domainname")) {
		if (!domain_ok(val))
			return config_errf(
				err, errlen,
				"domainname: `%s' is not a domain name", val);
		return set_string(key, val, &o->domainname, err, errlen);
	}
	if (!strcmp(key, "dnssearch"))
		return add_dnssearch(o, val, err, errlen);
	if (!strcmp(key, "restrict"))
		return parse_onoff(key, val, &o->restricted, err, errlen);
	if (!strcmp(key, "hostfwd"))
		return add_hostfwd(o, val, err, errlen);
	if (!strcmp(key, "tftp")) {
		if (val[0] != '/')
			return config_errf(
				err, errlen,
				"tftp: `%s' must be an absolute directory path",
				val);
		return set_string(key, val, &o->tftp, err, errlen);
	}
	if (!strcmp(key, "bootfile"))
		return set_string(key, val, &o->bootfile, err, errlen);
	if (!strcmp(key, "ipv6"))
		return parse_onoff(key, val, &o->ipv6, err, errlen);
	if (!strcmp(key, "ipv6-net"))
		return parse_net6(o, val, err, errlen);
	if (!strcmp(key, "ipv6-host")) {
		o->set6.host6 = true;
		return parse_ip6(key, val, &o->host6, err, errlen);
	}
	if (!strcmp(key, "ipv6-dns")) {
		o->set6.dns6 = true;
		return parse_ip6(key, val, &o->dns6, err, errlen);
	}
	if (!strcmp(key, "conn-max"))
		return parse_count(key, val, &o->conn_max, err, errlen);
	if (!strcmp(key, "conn-max-guest"))
		return parse_count(key, val, &o->conn_max_guest, err, errlen);
	if (!strcmp(key, "half-open-max-guest"))
		return parse_count(key, val, &o->half_open_max_guest, err,
				   errlen);
	return config_errf(
		err, errlen,
		"unknown slirp option `%s' (known: net, host, dhcpstart, dns, hostname, domainname, dnssearch, restrict, hostfwd, tftp, bootfile, ipv6, ipv6-net, ipv6-host, ipv6-dns, conn-max, conn-max-guest, half-open-max-guest)",
		key);
}

static bool in_net(const struct slirp_opts *o, struct in_addr a)
{
	return (a.s_addr & o->mask.s_addr) == o->net.s_addr;
}

static bool in_net6(const struct slirp_opts *o, const struct in6_addr *a)
{
	int bits = o->prefix6, i;

	for (i = 0; bits > 0; i++, bits -= 8) {
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->s6_addr[i] & m) != (o->net6.s6_addr[i] & m))
			return false;
	}
	return true;
}

static struct in_addr net_plus(const struct slirp_opts *o, uint32_t hostpart)
{
	struct in_addr a;

	/* QEMU's historic offsets: .2.2, .2.3, .2.15 within the net. */
	a.s_addr = o->net.s_addr | (htonl(hostpart) & ~o->mask.s_addr);
	return a;
}

static int check_in_net(const struct slirp_opts *o, const char *key,
			struct in_addr a, char *err, size_t errlen)
{
	char ab[INET_ADDRSTRLEN], nb[INET_ADDRSTRLEN];
	uint32_t h = ntohl(a.s_addr) & ~ntohl(o->mask.s_addr);

	inet_ntop(AF_INET, &a, ab, sizeof(ab));
	inet_ntop(AF_INET, &o->net, nb, sizeof(nb));
	if (!in_net(o, a))
		return config_errf(err, errlen, "%s: %s is not in net %s/%d",
				   key, ab, nb, o->prefix);
	if (h == 0 || h == ~ntohl(o->mask.s_addr))
		return config_errf(
			err, errlen,
			"%s: %s is the network or broadcast address of %s/%d",
			key, ab, nb, o->prefix);
	return 0;
}

/**
 * slirp_hostfwd_resolve() - put dhcpstart into an empty guest address, check
 * @o:		finished options
 * @f:		a parsed forward
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int slirp_hostfwd_resolve(const struct slirp_opts *o, struct slirp_hostfwd *f,
			  char *err, size_t errlen)
{
	char ab[INET_ADDRSTRLEN], nb[INET_ADDRSTRLEN];

	if (f->gaddr.s_addr == htonl(INADDR_ANY))
		f->gaddr = o->dhcpstart;
	if (in_net(o, f->gaddr))
		return 0;
	inet_ntop(AF_INET, &f->gaddr, ab, sizeof(ab));
	inet_ntop(AF_INET, &o->net, nb, sizeof(nb));
	return config_errf(
		err, errlen,
		"hostfwd: `%s': guest address %s is not in net %s/%d", f->text,
		ab, nb, o->prefix);
}

/**
 * slirp_opts_finish() - fill network-relative defaults and check it all
 * @o:		options after every slirp_opts_set()
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int slirp_opts_finish(struct slirp_opts *o, char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	if (!o->set.host)
		o->host = net_plus(o, 0x0202);
	if (!o->set.dns)
		o->dns = net_plus(o, 0x0203);
	if (!o->set.dhcpstart)
		o->dhcpstart = net_plus(o, 0x020f);
	if (check_in_net(o, "host", o->host, err, errlen) < 0 ||
	    check_in_net(o, "dns", o->dns, err, errlen) < 0 ||
	    check_in_net(o, "dhcpstart", o->dhcpstart, err, errlen) < 0)
		return -EINVAL;
	if (o->dns.s_addr == o->host.s_addr)
		return config_errf(err, errlen,
				   "dns: must differ from host (both %s)",
				   inet_ntop(AF_INET, &o->dns, a, sizeof(a)));
	if (o->dhcpstart.s_addr == o->host.s_addr ||
	    o->dhcpstart.s_addr == o->dns.s_addr)
		return config_errf(
			err, errlen,
			"dhcpstart: %s must differ from host and dns",
			inet_ntop(AF_INET, &o->dhcpstart, a, sizeof(a)));
	if (o->ipv6) {
		if (!o->set6.host6) {
			o->host6 = o->net6;
			o->host6.s6_addr[15] |= 2;
		}
		if (!o->set6.dns6) {
			o->dns6 = o->net6;
			o->dns6.s6_addr[15] |= 3;
		}
		if (!in_net6(o, &o->host6))
			return config_errf(
				err, errlen, "ipv6-host: %s is not in ipv6-net",
				inet_ntop(AF_INET6, &o->host6, a, sizeof(a)));
		if (!in_net6(o, &o->dns6))
			return config_errf(
				err, errlen, "ipv6-dns: %s is not in ipv6-net",
				inet_ntop(AF_INET6, &o->dns6, a, sizeof(a)));
	}
	if (o->bootfile && !o->tftp)
		return config_errf(
			err, errlen,
			"bootfile: needs tftp=DIR to serve the file from");
	for (i = 0; i < o->nfwd; i++)
		if (slirp_hostfwd_resolve(o, &o->fwd[i], err, errlen) < 0)
			return -EINVAL;
	return 0;
}

/* Next "key=value" of a QEMU option string into @out (",," unescaped). */
static const char *next_option(const char *s, char *out, size_t len,
			       bool *truncated)
{
	size_t o = 0;

	*truncated = false;
	for (; *s; s++) {
		if (*s == ',' && s[1] != ',')
			break;
		if (*s == ',')
			s++;
		if (o + 1 < len)
			out[o++] = *s;
		else
			*truncated = true;
	}
	out[o] = '\0';
	return *s ? s + 1 : s;
}

/**
 * slirp_opts_parse_spec() - parse "slirp[,KEY=VALUE]..." and finish
 * @o:		options, set up with slirp_opts_init()
 * @spec:	the --uplink argument (or the part after "slirp,")
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int slirp_opts_parse_spec(struct slirp_opts *o, const char *spec, char *err,
			  size_t errlen)
{
	char opt[512], *eq;
	const char *s = spec;
	bool trunc;

	if (!strcmp(s, "slirp"))
		s += 5;
	else if (!strncmp(s, "slirp,", 6))
		s += 6;
	while (*s) {
		s = next_option(s, opt, sizeof(opt), &trunc);
		if (trunc)
			return config_errf(err, errlen,
					   "option `%.40s...' is too long",
					   opt);
		eq = strchr(opt, '=');
		if (!opt[0])
			return config_errf(
				err, errlen,
				"empty option in `%s' (stray comma?)", spec);
		if (!eq)
			return config_errf(
				err, errlen,
				"`%s' is not KEY=VALUE (e.g. net=10.0.2.0/24)",
				opt);
		*eq = '\0';
		if (slirp_opts_set(o, opt, eq + 1, err, errlen) < 0)
			return -EINVAL;
	}
	return slirp_opts_finish(o, err, errlen);
}

static bool is_count_key(const char *key)
{
	return !strcmp(key, "conn-max") || !strcmp(key, "conn-max-guest") ||
	       !strcmp(key, "half-open-max-guest");
}

static int json_value_str(const char *key, json_t *v, char *buf, size_t len,
			  char *err, size_t errlen)
{
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return 0;
	}
	if (is_count_key(key) && json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return 0;
	}
	if (!is_count_key(key) && json_is_boolean(v)) {
		snprintf(buf, len, "%s", json_is_true(v) ? "on" : "off");
		return 0;
	}
	return config_errf(err, errlen, "%s: expected a %s", key,
			   is_count_key(key) ? "number"
			   : strcmp(key, "restrict") && strcmp(key, "ipv6")
				   ? "string"
				   : "string or true/false");
}

/*
 * Messages start with "KEY: ". In the JSON form the path names the key
 * already: point *@bad_key at that member (also for the checks made after
 * all options were read) and drop the prefix.
 */
static int json_blame(json_t *obj, const char **bad_key, char *err)
{
	const char *colon = strstr(err, ": "), *key;
	json_t *v;

	if (!colon)
		return -EINVAL;
	json_object_foreach(obj, key, v) {
		if (strlen(key) == (size_t)(colon - err) &&
		    !strncmp(err, key, strlen(key))) {
			*bad_key = key;
			memmove(err, colon + 2, strlen(colon + 2) + 1);
			break;
		}
	}
	return -EINVAL;
}

/**
 * slirp_opts_from_json() - options from a config object and finish
 * @o:		options, set up with slirp_opts_init()
 * @obj:	{"type": "slirp", "net": "...", "hostfwd": ["..."], ...}
 * @bad_key:	set to the key at fault (for the error position), or NULL
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL with @err set
 */
int slirp_opts_from_json(struct slirp_opts *o, json_t *obj,
			 const char **bad_key, char *err, size_t errlen)
{
	const char *key;
	char buf[1024];
	json_t *v, *e;
	size_t i;

	*bad_key = NULL;
	if (!json_is_object(obj))
		return config_errf(err, errlen, "expected an object");
	json_object_foreach(obj, key, v) {
		/* the VLAN keys are the port's, not slirp's */
		if (!strcmp(key, "type") || vlan_opts_json_key(key))
			continue;
		*bad_key = key;
		if (json_is_array(v) &&
		    (!strcmp(key, "hostfwd") || !strcmp(key, "dnssearch"))) {
			json_array_foreach(v, i, e) {
				if (!json_is_string(e)) {
					snprintf(
						err, errlen,
						"every entry must be a string");
					return -EINVAL;
				}
				if (slirp_opts_set(o, key, json_string_value(e),
						   err, errlen) < 0)
					return json_blame(obj, bad_key, err);
			}
			continue;
		}
		if (json_value_str(key, v, buf, sizeof(buf), err, errlen) < 0 ||
		    slirp_opts_set(o, key, buf, err, errlen) < 0)
			return json_blame(obj, bad_key, err);
	}
	*bad_key = NULL;
	if (slirp_opts_finish(o, err, errlen) < 0)
		return json_blame(obj, bad_key, err);
	return 0;
}

/**
 * strdup_or_null() - strdup() that keeps NULL
 * @s:		string, or NULL
 * @fail:	set to true if the copy could not be made
 *
 * Return: the copy, or NULL (for NULL, or on failure)
 */
char *strdup_or_null(const char *s, bool *fail)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		*fail = true;
	return r;
}

/**
 * slirp_opts_copy() - deep copy
 * @dst:	uninitialised destination
 * @src:	source
 *
 * Return: 0, or -ENOMEM (@dst then owns nothing)
 */
int slirp_opts_copy(struct slirp_opts *dst, const struct slirp_opts *src)
{
	bool fail = false;
	size_t i;

	*dst = *src;
	dst->hostname = strdup_or_null(src->hostname, &fail);
	dst->domainname = strdup_or_null(src->domainname, &fail);
	dst->tftp = strdup_or_null(src->tftp, &fail);
	dst->bootfile = strdup_or_null(src->bootfile, &fail);
	dst->dnssearch = NULL;
	dst->fwd = NULL;
	if (src->nfwd) {
		dst->fwd = malloc(src->nfwd * sizeof(*dst->fwd));
		if (dst->fwd)
			memcpy(dst->fwd, src->fwd,
			       src->nfwd * sizeof(*dst->fwd));
		else
			fail = true;
	}
	if (src->ndnssearch) {
		dst->dnssearch = calloc(src->ndnssearch + 1, sizeof(char *));
		for (i = 0; dst->dnssearch && i < src->ndnssearch; i++)
			dst->dnssearch[i] =
				strdup_or_null(src->dnssearch[i], &fail);
		if (!dst->dnssearch)
			fail = true;
	}
	if (fail) {
		slirp_opts_fini(dst);
		return -ENOMEM;
	}
	return 0;
}

/**
 * slirp_opts_describe() - "slirp 10.0.2.0/24" for port listings
 * @o:		options
 * @buf:	output
 * @len:	its size
 */
void slirp_opts_describe(const struct slirp_opts *o, char *buf, size_t len)
{
	char n[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &o->net, n, sizeof(n));
	snprintf(buf, len, "slirp %s/%d%s%s", n, o->prefix,
		 o->restricted ? " restricted" : "", o->ipv6 ? " +ipv6" : "");
}

// SPDX-License-Identifier: MIT
/*
 * vxlan_opts.c - a VXLAN uplink's options, from a spec or a JSON object
 *
 * The spec is "vxlan,vni=N,remote=ADDR[,remote=ADDR...][,local=ADDR]
 * [,port=P][,ttl=N]"; an uplink object has the same keys ("remote" a
 * string or an array of strings). Addresses are numeric IPv4 or IPv6 (an
 * IPv6 address may be in brackets), as the kernel's `ip link add ... type
 * vxlan` takes them; the remotes and the local address are of one family.
 * Parsing only: no system calls. Each remote becomes a port of its own
 * (uplink_cfg.c makes one config entry per remote), so the canonical spec
 * names one remote.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "config/vlan_opts.h"
#include "config/vxlan_opts.h"

enum {
	SEEN_VNI = 1 << 0,
	SEEN_LOCAL = 1 << 1,
	SEEN_PORT = 1 << 2,
	SEEN_TTL = 1 << 3,
};

/**
 * vxlan_opts_init() - the defaults: port 4789, no VNI, no remotes
 * @x:		options
 */
void vxlan_opts_init(struct uplink_vxlan *x)
{
	memset(x, 0, sizeof(*x));
	x->port = VXLAN_PORT_DEFAULT;
}

/**
 * vxlan_addr_str() - an address as text (inet_ntop's form)
 * @a:		the address
 * @buf:	where to write it
 * @len:	size of @buf (VXLAN_ADDR_LEN is enough)
 *
 * Return: @buf ("any" for an address not given)
 */
const char *vxlan_addr_str(const struct vxlan_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "any");
	return buf;
}

/**
 * vxlan_addr_same() - the same family and address
 * @a:		one
 * @b:		the other
 *
 * Return: true if equal
 */
bool vxlan_addr_same(const struct vxlan_addr *a, const struct vxlan_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->a, b->a, a->family == AF_INET ? 4 : 16);
}

/* A decimal number in @lo..@hi, nothing else. */
static int num(const char *s, long long lo, long long hi, long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno || *end || *v < lo || *v > hi)
		return -EINVAL;
	return 0;
}

/* "192.0.2.1", "2001:db8::1" or "[2001:db8::1]". */
static int addr_parse(const char *key, const char *s, struct vxlan_addr *a,
		      char *err, size_t errlen)
{
	char buf[VXLAN_ADDR_LEN];
	size_t n = strlen(s);

	memset(a, 0, sizeof(*a));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		if (inet_pton(AF_INET6, buf, a->a) == 1) {
			a->family = AF_INET6;
			return 0;
		}
	} else if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = AF_INET;
		return 0;
	} else if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	snprintf(
		err, errlen,
		"%s=%s: expected a numeric IPv4 or IPv6 address (no names, no %%interface)",
		key, s);
	return -EINVAL;
}

static bool addr_unusable(const struct vxlan_addr *a, bool remote,
			  const char **why)
{
	static const uint8_t zero[16];

	if (!memcmp(a->a, zero, a->family == AF_INET ? 4 : 16)) {
		*why = "the unspecified address";
		return true;
	}
	if (a->family == AF_INET ? a->a[0] >= 224 : a->a[0] == 0xff) {
		*why = remote ? "a multicast address (group mode is not built: give the unicast addresses of the remote VTEPs)"
			      : "a multicast or reserved address";
		return true;
	}
	if (a->family == AF_INET6 && a->a[0] == 0xfe &&
	    (a->a[1] & 0xc0) == 0x80) {
		*why = "a link-local address (it needs an interface: use a global or unique local address)";
		return true;
	}
	return false;
}

/**
 * vxlan_opts_set() - one option: vni, remote, local, port or ttl
 * @x:		options (remote= appends)
 * @key:	the option's name
 * @val:	its text
 * @seen:	bits of the single-valued options given so far
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -EINVAL (message in @err)
 */
int vxlan_opts_set(struct uplink_vxlan *x, const char *key, const char *val,
		   unsigned *seen, char *err, size_t errlen)
{
	const char *why;
	unsigned bit;
	long long v;
	size_t i;

	if (!strcmp(key, "remote")) {
		struct vxlan_addr a;

		if (addr_parse(key, val, &a, err, errlen) < 0)
			return -EINVAL;
		if (addr_unusable(&a, true, &why)) {
			snprintf(err, errlen, "remote=%s: %s", val, why);
			return -EINVAL;
		}
		for (i = 0; i < x->nremotes; i++) {
			if (vxlan_addr_same(&x->remote[i], &a)) {
				snprintf(err, errlen, "remote=%s: given twice",
					 val);
				return -EINVAL;
			}
		}
		if (x->nremotes == VXLAN_REMOTES_MAX) {
			snprintf(
				err, errlen,
				"remote=%s: more than %d remotes in one uplink; add another vxlan uplink with the same vni for the rest",
				val, VXLAN_REMOTES_MAX);
			return -EINVAL;
		}
		x->remote[x->nremotes++] = a;
		return 0;
	}
	if (!strcmp(key, "vni"))
		bit = SEEN_VNI;
	else if (!strcmp(key, "local"))
		bit = SEEN_LOCAL;
	else if (!strcmp(key, "port"))
		bit = SEEN_PORT;
	else if (!strcmp(key, "ttl"))
		bit = SEEN_TTL;
	else {
		snprintf(
			err, errlen,
			"`%s': unknown vxlan option; the options are vni=N, remote=ADDR (repeatable), local=ADDR, port=P, ttl=N and vlan=, trunk=, native=",
			key);
		return -EINVAL;
	}
	if (*seen & bit) {
		snprintf(err, errlen, "%s= given twice", key);
		return -EINVAL;
	}
	*seen |= bit;
	switch (bit) {
	case SEEN_VNI:
		if (num(val, 0, 0xffffff, &v) < 0) {
			snprintf(err, errlen,
				 "vni=%s: expected a number from 0 to 16777215",
				 val);
			return -EINVAL;
		}
		x->vni = (uint32_t)v;
		return 0;
	case SEEN_LOCAL:
		if (addr_parse(key, val, &x->local, err, errlen) < 0)
			return -EINVAL;
		if (addr_unusable(&x->local, false, &why)) {
			snprintf(
				err, errlen,
				"local=%s: %s; leave local= out to use any address",
				val, why);
			return -EINVAL;
		}
		return 0;
	case SEEN_PORT:
		if (num(val, 1, 65535, &v) < 0) {
			snprintf(
				err, errlen,
				"port=%s: expected a UDP port from 1 to 65535 (4789 is the IANA port, 8472 the Linux kernel's default)",
				val);
			return -EINVAL;
		}
		x->port = (uint16_t)v;
		return 0;
	default:
		if (num(val, 1, 255, &v) < 0) {
			snprintf(err, errlen,
				 "ttl=%s: expected a number from 1 to 255",
				 val);
			return -EINVAL;
		}
		x->ttl = (uint8_t)v;
		return 0;
	}
}

/**
 * vxlan_opts_finish() - check what the options must have together
 * @x:		options
 * @seen:	what vxlan_opts_set() recorded
 * @key:	set to the option at fault ("vni", "remote", "local")
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -EINVAL (message in @err)
 */
int vxlan_opts_finish(struct uplink_vxlan *x, unsigned seen, const char **key,
		      char *err, size_t errlen)
{
	char a[VXLAN_ADDR_LEN], b[VXLAN_ADDR_LEN];
	size_t i;

	*key = NULL;
	if (!(seen & SEEN_VNI)) {
		snprintf(err, errlen, "missing vni=N (0 to 16777215)");
		return -EINVAL;
	}
	if (!x->nremotes) {
		snprintf(
			err, errlen,
			"missing remote=ADDR (the address of a remote VTEP: a kernel vxlan device, Open vSwitch or another sockswitch)");
		return -EINVAL;
	}
	for (i = 0; i < x->nremotes; i++) {
		const struct vxlan_addr *r = &x->remote[i];

		if (r->family != x->remote[0].family) {
			*key = "remote";
			snprintf(
				err, errlen,
				"remote=%s and remote=%s: the remotes of one uplink are all IPv4 or all IPv6 (use one uplink per family)",
				vxlan_addr_str(&x->remote[0], a, sizeof(a)),
				vxlan_addr_str(r, b, sizeof(b)));
			return -EINVAL;
		}
		if (x->local.family && vxlan_addr_same(r, &x->local)) {
			*key = "remote";
			snprintf(err, errlen,
				 "remote=%s is the local address itself",
				 vxlan_addr_str(r, a, sizeof(a)));
			return -EINVAL;
		}
	}
	if (x->local.family && x->local.family != x->remote[0].family) {
		*key = "local";
		snprintf(err, errlen,
			 "local=%s and remote=%s: not of the same family",
			 vxlan_addr_str(&x->local, a, sizeof(a)),
			 vxlan_addr_str(&x->remote[0], b, sizeof(b)));
		return -EINVAL;
	}
	return 0;
}

/**
 * vxlan_opts_parse_spec() - the options after "vxlan,"
 * @x:		filled in (vxlan_opts_init() first, here)
 * @opts:	"KEY=VALUE,..." (the VLAN options already split off)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -EINVAL / -ENOMEM (message in @err)
 */
int vxlan_opts_parse_spec(struct uplink_vxlan *x, const char *opts, char *err,
			  size_t errlen)
{
	char *copy = strdup(opts), *save = NULL, *tok, *eq;
	unsigned seen = 0;
	const char *key;
	int ret = 0;

	vxlan_opts_init(x);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok && ret == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq) {
			snprintf(err, errlen, "`%s': expected KEY=VALUE; %s",
				 tok, VXLAN_USAGE);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = vxlan_opts_set(x, tok, eq + 1, &seen, err, errlen);
	}
	free(copy);
	if (ret == 0)
		ret = vxlan_opts_finish(x, seen, &key, err, errlen);
	return ret;
}

/**
 * vxlan_opts_json_key() - is @key one of a vxlan object's own keys
 * @key:	member name
 *
 * Return: true for vni, remote, local, port and ttl
 */
bool vxlan_opts_json_key(const char *key)
{
	return !strcmp(key, "vni") || !strcmp(key, "remote") ||
	       !strcmp(key, "local") || !strcmp(key, "port") ||
	       !strcmp(key, "ttl");
}

/* One member's value as the spec's text: a string, or a whole number. */
static const char *json_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/**
 * vxlan_opts_from_json() - a "vxlan" uplink object's own keys
 * @obj:	the object ("type" and the VLAN keys are left to the caller;
 *		any other key is an error)
 * @x:		filled in
 * @key:	on failure, the member at fault (NULL: the object)
 * @index:	on failure, the "remote" array element at fault, or -1
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -EINVAL (message in @err)
 */
int vxlan_opts_from_json(struct json_t *obj, struct uplink_vxlan *x,
			 const char **key, long *index, char *err,
			 size_t errlen)
{
	const char *k, *s;
	unsigned seen = 0;
	char buf[32];
	json_t *v, *e;
	size_t i;

	vxlan_opts_init(x);
	*index = -1;
	json_object_foreach(obj, k, v) {
		*key = k;
		if (!strcmp(k, "type") || vlan_opts_json_key(k))
			continue;
		if (!vxlan_opts_json_key(k)) {
			snprintf(
				err, errlen,
				"unknown key for a vxlan uplink (vni, remote, local, port, ttl, vlan, trunk, native)");
			return -EINVAL;
		}
		if (!strcmp(k, "remote") && json_is_array(v)) {
			json_array_foreach(v, i, e) {
				*index = (long)i;
				if (!json_is_string(e)) {
					snprintf(err, errlen,
						 "expected an address string");
					return -EINVAL;
				}
				if (vxlan_opts_set(x, k, json_string_value(e),
						   &seen, err, errlen) < 0)
					return -EINVAL;
			}
			*index = -1;
			continue;
		}
		s = json_text(v, buf, sizeof(buf));
		if (!s) {
			snprintf(
				err, errlen, "expected %s",
				!strcmp(k, "remote")
					? "an address string or an array of them"
				: !strcmp(k, "local") ? "an address string"
						      : "a number");
			return -EINVAL;
		}
		if (vxlan_opts_set(x, k, s, &seen, err, errlen) < 0)
			return -EINVAL;
	}
	*key = NULL;
	return vxlan_opts_finish(x, seen, key, err, errlen);
}

/**
 * vxlan_opts_spec_format() - the canonical spec of one remote's entry
 * @x:		options
 * @i:		which remote
 * @buf:	where to write "vxlan,vni=N,remote=ADDR[,local=ADDR][,port=P]
 *		[,ttl=N]" (defaults left out)
 * @len:	size of @buf (VXLAN_SPEC_LEN is enough)
 */
void vxlan_opts_spec_format(const struct uplink_vxlan *x, size_t i, char *buf,
			    size_t len)
{
	char r[VXLAN_ADDR_LEN], l[VXLAN_ADDR_LEN];
	size_t o;

	o = (size_t)snprintf(buf, len, "vxlan,vni=%u,remote=%s", x->vni,
			     vxlan_addr_str(&x->remote[i], r, sizeof(r)));
	if (x->local.family && o < len)
		o += (size_t)snprintf(buf + o, len - o, ",local=%s",
				      vxlan_addr_str(&x->local, l, sizeof(l)));
	if (x->port != VXLAN_PORT_DEFAULT && o < len)
		o += (size_t)snprintf(buf + o, len - o, ",port=%u", x->port);
	if (x->ttl && o < len)
		snprintf(buf + o, len - o, ",ttl=%u", x->ttl);
}

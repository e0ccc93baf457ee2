// SPDX-License-Identifier: MIT
/*
 * uplink_cfg.c - uplink specs: --uplink/--connect flags and the config's
 * "uplinks" and "connect" arrays
 *
 * Parsing only, no system calls, so --check-config validates uplinks
 * without touching devices. Each entry is parsed once, here, into a
 * struct uplink_cfg that the transports take as it is (a slirp uplink's
 * options become a struct slirp_opts). The JSON object form of an uplink
 * is parsed from the object and also written as the flag's spec text:
 * that canonical text names the uplink in messages and matches entries
 * across a reload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/slirp_opts.h"
#include "config/vlan_opts.h"
#include "config/vxlan_opts.h"
#include "sockswitchd.h"

#define SPEC_MAX 4096
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

static int ifname_check(const char *what, const char *name, char *err,
			size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0 || n > IFNAME_MAX || strpbrk(name, "/ \t\n:,") ||
	    !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(
			err, errlen,
			"`%s': %s name must be 1-%d characters without `/', `:', `,' or blanks",
			name, what, IFNAME_MAX);
		return -EINVAL;
	}
	return 0;
}

static int parse_num(const char *s, long lo, long hi, long *v);

static int parse_fd(const char *s, int *fd, char *err, size_t errlen)
{
	long v;

	if (parse_num(s, 0, INT_MAX, &v) < 0) {
		snprintf(err, errlen, "`%s': expected a descriptor number", s);
		return -EINVAL;
	}
	if (v <= 2) {
		snprintf(
			err, errlen,
			"tap-fd:%ld is standard input/output/error; pass the tap as 3 or above",
			v);
		return -EINVAL;
	}
	*fd = (int)v;
	return 0;
}

static int parse_bridge(const char *rest, struct uplink_cfg *out, char *err,
			size_t errlen)
{
	const char *comma = strchr(rest, ',');
	char br[IFNAME_MAX + 2];
	size_t n = comma ? (size_t)(comma - rest) : strlen(rest);
	int ret;

	if (n >= sizeof(br)) {
		snprintf(err, errlen, "`%.*s': bridge name longer than %d",
			 (int)n, rest, IFNAME_MAX);
		return -EINVAL;
	}
	memcpy(br, rest, n);
	br[n] = '\0';
	ret = ifname_check("bridge", br, err, errlen);
	if (ret < 0)
		return ret;
	out->arg = strdup(br);
	if (comma) {
		if (strncmp(comma + 1, "helper=", 7) || !comma[8] ||
		    strchr(comma + 8, ',')) {
			snprintf(err, errlen,
				 "`%s': the only bridge option is helper=PATH",
				 comma + 1);
			return -EINVAL;
		}
		out->helper = strdup(comma + 8);
	} else {
		out->helper = strdup(UPLINK_BRIDGE_HELPER_DEFAULT);
	}
	return out->arg && out->helper ? 0 : -ENOMEM;
}

static int parse_connect(const char *spec, struct uplink_cfg *out, char *err,
			 size_t errlen)
{
	int ret = endpoint_url_parse(spec, &out->addr, err, errlen);

	if (ret < 0)
		return ret;
	if (out->addr.kind == LISTEN_TCP && out->addr.port == 0) {
		snprintf(err, errlen, "`%s': cannot connect to port 0", spec);
		return -EINVAL;
	}
	out->kind = UPLINK_CONNECT;
	return 0;
}

/* ---- mcast: a QEMU multicast hub ----------------------------------------- */

#define MCAST_USAGE "mcast:GROUP:PORT[,localaddr=ADDR][,ttl=N][,loop=on|off]"

/* A number in @lo..@hi written in decimal, nothing else. */
static int parse_num(const char *s, long lo, long hi, long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || *end || *v < lo || *v > hi ? -EINVAL : 0;
}

/* An IPv4 address in dotted-quad form (what QEMU's mcast= takes). */
static int parse_ipv4(const char *s, uint32_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return -EINVAL;
	*a = in.s_addr;
	return 0;
}

static int mcast_group(const char *s, struct uplink_mcast *m, char *err,
		       size_t errlen)
{
	if (strchr(s, '[') || strchr(s, ':')) {
		snprintf(
			err, errlen,
			"`%s': IPv6 groups are not supported; the hub is IPv4, like QEMU's -netdev socket,mcast=",
			s);
		return -EINVAL;
	}
	if (parse_ipv4(s, &m->group) < 0 || !IN_MULTICAST(ntohl(m->group))) {
		snprintf(
			err, errlen,
			"`%s': not an IPv4 multicast group (224.0.0.0-239.255.255.255, e.g. 230.0.0.1)",
			s);
		return -EINVAL;
	}
	return 0;
}

static int mcast_port(const char *s, struct uplink_mcast *m, char *err,
		      size_t errlen)
{
	long v;

	if (parse_num(s, 1, 65535, &v) < 0) {
		snprintf(err, errlen, "`%s': port must be a number in 1-65535",
			 s);
		return -EINVAL;
	}
	m->port = (uint16_t)v;
	return 0;
}

/*
 * One option of an mcast uplink: localaddr, ttl or loop (@seen: bit per
 * option given so far, to refuse one given twice).
 */
static int mcast_opt(const char *key, const char *val, struct uplink_mcast *m,
		     unsigned *seen, char *err, size_t errlen)
{
	static const char *const keys[] = { "localaddr", "ttl", "loop" };
	unsigned i;
	long v;

	for (i = 0; i < 3 && strcmp(key, keys[i]); i++)
		;
	if (i == 3) {
		snprintf(
			err, errlen,
			"`%s': unknown mcast option; the options are localaddr=ADDR, ttl=N and loop=on|off",
			key);
		return -EINVAL;
	}
	if (*seen & (1u << i)) {
		snprintf(err, errlen, "`%s' given twice", key);
		return -EINVAL;
	}
	*seen |= 1u << i;
	if (i == 0) {
		uint32_t h;

		if (parse_ipv4(val, &m->localaddr) < 0) {
			snprintf(
				err, errlen,
				"localaddr: `%s' is not an IPv4 address (the interface's own address, e.g. 127.0.0.1)",
				val);
			return -EINVAL;
		}
		h = ntohl(m->localaddr);
		if (h == INADDR_ANY || h == INADDR_BROADCAST ||
		    IN_MULTICAST(h)) {
			snprintf(
				err, errlen,
				"localaddr: `%s' is not an interface address; give one (e.g. 127.0.0.1) or leave localaddr out",
				val);
			return -EINVAL;
		}
	} else if (i == 1) {
		if (parse_num(val, 0, 255, &v) < 0) {
			snprintf(err, errlen,
				 "ttl: `%s' is not a number in 0-255", val);
			return -EINVAL;
		}
		m->ttl = (uint8_t)v;
	} else if (!strcmp(val, "on") || !strcmp(val, "off")) {
		m->loop = val[1] == 'n';
	} else {
		snprintf(err, errlen, "loop: `%s' is not on or off", val);
		return -EINVAL;
	}
	return 0;
}

static void mcast_defaults(struct uplink_mcast *m)
{
	memset(m, 0, sizeof(*m));
	m->ttl = UPLINK_MCAST_TTL_DEFAULT;
	m->loop = true;
}

/* The canonical spec: defaults left out, so equal settings match. */
static char *mcast_spec(const struct uplink_mcast *m)
{
	char g[INET_ADDRSTRLEN], la[INET_ADDRSTRLEN], buf[128];
	int n;

	inet_ntop(AF_INET, &m->group, g, sizeof(g));
	n = snprintf(buf, sizeof(buf), "mcast:%s:%u", g, m->port);
	if (m->localaddr) {
		inet_ntop(AF_INET, &m->localaddr, la, sizeof(la));
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ",localaddr=%s",
			      la);
	}
	if (m->ttl != UPLINK_MCAST_TTL_DEFAULT)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ",ttl=%u",
			      m->ttl);
	if (!m->loop)
		snprintf(buf + n, sizeof(buf) - (size_t)n, ",loop=off");
	return strdup(buf);
}

/* "GROUP:PORT[,KEY=VALUE...]", after "mcast:". */
static int parse_mcast(const char *rest, struct uplink_cfg *out, char *err,
		       size_t errlen)
{
	char *s = strdup(rest), *opts, *port, *tok, *save = NULL, *eq;
	unsigned seen = 0;
	int ret;

	if (!s)
		return -ENOMEM;
	out->kind = UPLINK_MCAST;
	mcast_defaults(&out->mcast);
	opts = strchr(s, ',');
	if (opts)
		*opts++ = '\0';
	port = strrchr(s, ':');
	if (!port || port == s || !port[1]) {
		snprintf(err, errlen, "`mcast:%s': expected %s", rest,
			 MCAST_USAGE);
		free(s);
		return -EINVAL;
	}
	*port++ = '\0';
	ret = mcast_group(s, &out->mcast, err, errlen);
	if (ret == 0)
		ret = mcast_port(port, &out->mcast, err, errlen);
	for (tok = opts ? strtok_r(opts, ",", &save) : NULL; ret == 0 && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq) {
			snprintf(err, errlen, "`%s': expected KEY=VALUE (%s)",
				 tok, MCAST_USAGE);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = mcast_opt(tok, eq + 1, &out->mcast, &seen, err, errlen);
	}
	if (ret == 0 && opts && !seen) {
		snprintf(err, errlen, "`mcast:%s': expected %s", rest,
			 MCAST_USAGE);
		ret = -EINVAL;
	}
	free(s);
	if (ret == 0 && !(out->spec = mcast_spec(&out->mcast)))
		ret = -ENOMEM;
	return ret;
}

static void uplink_cfg_free(struct uplink_cfg *u)
{
	free(u->spec);
	free(u->arg);
	free(u->helper);
	slirp_opts_fini(&u->slirp);
	memset(u, 0, sizeof(*u));
}

/**
 * uplink_cfg_fini() - free what uplink_cfg_parse() allocated
 * @u:		the entry (zeroed afterwards)
 */
void uplink_cfg_fini(struct uplink_cfg *u)
{
	uplink_cfg_free(u);
}

/**
 * uplink_cfg_same() - would two entries open the same uplink
 * @a:		one
 * @b:		the other
 *
 * Return: true if the kind and the canonical spec are equal
 */
bool uplink_cfg_same(const struct uplink_cfg *a, const struct uplink_cfg *b)
{
	return a->kind == b->kind && !strcmp(a->spec, b->spec);
}

/**
 * uplink_cfg_copy() - deep copy of a parsed entry (nothing is parsed again)
 * @dst:	uninitialised destination; release with uplink_cfg_fini()
 * @src:	source
 *
 * Return: 0 on success, -ENOMEM (@dst then owns nothing)
 */
int uplink_cfg_copy(struct uplink_cfg *dst, const struct uplink_cfg *src)
{
	bool fail = false;

	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	dst->fd = src->fd;
	dst->addr = src->addr;
	dst->mcast = src->mcast;
	dst->vxlan = src->vxlan;
	dst->vlan = src->vlan;
	dst->spec = strdup_or_null(src->spec, &fail);
	dst->arg = strdup_or_null(src->arg, &fail);
	dst->helper = strdup_or_null(src->helper, &fail);
	if (!fail && src->kind == UPLINK_SLIRP &&
	    slirp_opts_copy(&dst->slirp, &src->slirp) < 0)
		fail = true;
	if (fail) {
		uplink_cfg_free(dst);
		return -ENOMEM;
	}
	return 0;
}

static int parse_kind(const char *spec, struct uplink_cfg *out, char *err,
		      size_t errlen)
{
	int ret;

	if (!strncmp(spec, "tap:", 4)) {
		out->kind = UPLINK_TAP;
		ret = ifname_check("tap", spec + 4, err, errlen);
		if (ret == 0 && !(out->arg = strdup(spec + 4)))
			ret = -ENOMEM;
		return ret;
	}
	if (!strncmp(spec, "tap-fd:", 7) || !strncmp(spec, "fd:", 3)) {
		out->kind = UPLINK_TAP_FD;
		return parse_fd(strchr(spec, ':') + 1, &out->fd, err, errlen);
	}
	if (!strncmp(spec, "bridge:", 7)) {
		out->kind = UPLINK_BRIDGE;
		return parse_bridge(spec + 7, out, err, errlen);
	}
	if (!strcmp(spec, "slirp") || !strncmp(spec, "slirp,", 6)) {
		out->kind = UPLINK_SLIRP;
		slirp_opts_init(&out->slirp);
		return slirp_opts_parse_spec(
			&out->slirp, spec[5] ? spec + 6 : "", err, errlen);
	}
	if (!strcmp(spec, "passt"))
		return out->kind = UPLINK_PASST, 0;
	if (!strncmp(spec, "passt:", 6)) {
		out->kind = UPLINK_PASST;
		if (!spec[6]) {
			snprintf(
				err, errlen,
				"passt: needs a socket path, or write `passt' to start one");
			return -EINVAL;
		}
		return path_expand_dup(spec + 6, &out->arg, err, errlen);
	}
	if (!strncmp(spec, "mcast:", 6))
		return parse_mcast(spec + 6, out, err, errlen);
	if (!strcmp(spec, "vxlan") || !strncmp(spec, "vxlan,", 6)) {
		out->kind = UPLINK_VXLAN;
		return vxlan_opts_parse_spec(
			&out->vxlan, spec[5] ? spec + 6 : "", err, errlen);
	}
	if (!strncmp(spec, "unix:", 5) || !strncmp(spec, "tcp:", 4)) {
		snprintf(
			err, errlen,
			"`%s': outbound connections are --connect URL (config: \"connect\")",
			spec);
		return -EINVAL;
	}
	snprintf(
		err, errlen,
		"`%s': unknown uplink; use tap:NAME, tap-fd:N, bridge:BRIDGE[,helper=PATH], slirp[,OPTION=VALUE...], passt, passt:PATH, " MCAST_USAGE
		" or " VXLAN_USAGE,
		spec);
	return -EINVAL;
}

/**
 * uplink_cfg_parse() - parse one uplink spec
 * @spec:	tap:NAME, tap-fd:N, bridge:BR[,helper=PATH], slirp[,OPTS],
 *		passt, passt:PATH, mcast:GROUP:PORT[,OPTS],
 *		vxlan,vni=N,remote=ADDR[,OPTS]; with @connect,
 *		unix:PATH or tcp:HOST:PORT (an mcast spec is stored in its
 *		canonical form: defaults left out); any of them may add
 *		the VLAN options ,vlan=N or ,trunk=LIST[,native=N]
 *		(vlan_opts.c), stored last, in canonical form
 * @connect:	@spec is an outbound connection URL
 * @out:	filled in (owned strings); release with config_clear_uplinks()
 *		once appended, else it is cleared on failure here
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 on success, negative error code on failure
 */
int uplink_cfg_parse(const char *spec, bool connect, struct uplink_cfg *out,
		     char *err, size_t errlen)
{
	char *base = strdup(spec), *full;
	char vopt[VLAN_SPEC_LEN];
	struct vlan_cfg vlan;
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!base) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = vlan_opts_spec_split(base, &vlan, err, errlen);
	if (ret == 0)
		ret = connect ? parse_connect(base, out, err, errlen)
			      : parse_kind(base, out, err, errlen);
	if (ret == 0 && !out->spec && !(out->spec = strdup(base)))
		ret = -ENOMEM;
	free(base);
	if (ret == 0 && vlan.mode != VLAN_MODE_NONE) {
		/* The canonical spec ends with the VLAN options. */
		out->vlan = vlan;
		vlan_opts_spec_format(&vlan, vopt, sizeof(vopt));
		full = malloc(strlen(out->spec) + strlen(vopt) + 1);
		if (full) {
			strcpy(full, out->spec);
			strcat(full, vopt);
		}
		free(out->spec);
		out->spec = full;
		if (!full)
			ret = -ENOMEM;
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret < 0)
		uplink_cfg_free(out);
	return ret;
}

static int uplink_append_one(struct swd_config *c, struct uplink_cfg *u)
{
	struct uplink_cfg *n =
		realloc(c->uplinks, (c->nuplinks + 1) * sizeof(*n));

	if (!n) {
		uplink_cfg_free(u);
		return -ENOMEM;
	}
	c->uplinks = n;
	n[c->nuplinks++] = *u;
	return 0;
}

/*
 * A vxlan entry with several remotes becomes one entry per remote (each
 * remote is a port of its own), named by its canonical spec with the VLAN
 * options last. Takes @u (appended, or freed).
 */
/*
 * What the kernel or the switch would refuse when @x's remote @i starts
 * beside @c's vxlan entries: the same VNI to the same remote twice; on one
 * UDP port (and family) two local addresses, or one socket with two TTLs.
 * Return: 0, or -EINVAL (message in @err).
 */
static int vxlan_clash(const struct swd_config *c, const struct uplink_vxlan *x,
		       size_t i, char *err, size_t errlen)
{
	char a[VXLAN_ADDR_LEN], b[VXLAN_ADDR_LEN];
	size_t k;

	for (k = 0; k < c->nuplinks; k++) {
		const struct uplink_vxlan *o = &c->uplinks[k].vxlan;

		if (c->uplinks[k].kind != UPLINK_VXLAN || o->port != x->port ||
		    o->remote[0].family != x->remote[i].family)
			continue;
		if (o->vni == x->vni &&
		    vxlan_addr_same(&o->remote[0], &x->remote[i])) {
			snprintf(err, errlen,
				 "vni %u to remote=%s port %u is given twice",
				 x->vni,
				 vxlan_addr_str(&x->remote[i], a, sizeof(a)),
				 x->port);
			return -EINVAL;
		}
		if (o->local.family != x->local.family ||
		    (x->local.family &&
		     !vxlan_addr_same(&o->local, &x->local))) {
			snprintf(
				err, errlen,
				"local=%s and local=%s on UDP port %u: one port number takes one local address (give every vxlan uplink on it the same local=, or none)",
				vxlan_addr_str(&x->local, a, sizeof(a)),
				vxlan_addr_str(&o->local, b, sizeof(b)),
				x->port);
			return -EINVAL;
		}
		if (o->ttl != x->ttl) {
			snprintf(
				err, errlen,
				"ttl=%u and ttl=%u on one local address and UDP port %u: the vxlan uplinks there share a socket, give them the same ttl",
				x->ttl, o->ttl, x->port);
			return -EINVAL;
		}
	}
	return 0;
}

/* Is a vxlan entry with canonical spec @spec in @c already? */
static bool vxlan_there(const struct swd_config *c, const char *spec)
{
	size_t k;

	for (k = 0; k < c->nuplinks; k++)
		if (c->uplinks[k].kind == UPLINK_VXLAN &&
		    !strcmp(c->uplinks[k].spec, spec))
			return true;
	return false;
}

static int uplink_append_vxlan(struct swd_config *c, struct uplink_cfg *u,
			       char *err, size_t errlen)
{
	char spec[VXLAN_SPEC_LEN + VLAN_SPEC_LEN];
	char vopt[VLAN_SPEC_LEN] = "";
	bool same[VXLAN_REMOTES_MAX] = { false };
	struct uplink_cfg one;
	size_t i;
	int ret = 0;

	if (u->vlan.mode != VLAN_MODE_NONE)
		vlan_opts_spec_format(&u->vlan, vopt, sizeof(vopt));
	/* All or nothing: every remote is checked before any is added. An
	 * entry identical to one already there (the same uplink from a flag
	 * and the file, or a file loaded on top of itself) is that one. */
	for (i = 0; i < u->vxlan.nremotes && ret == 0; i++) {
		vxlan_opts_spec_format(&u->vxlan, i, spec, sizeof(spec));
		strcat(spec, vopt);
		same[i] = vxlan_there(c, spec);
		if (!same[i])
			ret = vxlan_clash(c, &u->vxlan, i, err, errlen);
	}
	for (i = 0; i < u->vxlan.nremotes && ret == 0; i++) {
		if (same[i])
			continue;
		vxlan_opts_spec_format(&u->vxlan, i, spec, sizeof(spec));
		strcat(spec, vopt);
		memset(&one, 0, sizeof(one));
		one.kind = UPLINK_VXLAN;
		one.fd = -1;
		one.vxlan = u->vxlan;
		one.vxlan.remote[0] = u->vxlan.remote[i];
		one.vxlan.nremotes = 1;
		one.vlan = u->vlan;
		one.spec = strdup(spec);
		ret = one.spec ? uplink_append_one(c, &one) : -ENOMEM;
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory");
	}
	uplink_cfg_free(u);
	return ret;
}

/* Append @u (taken: appended, or freed); a message in @err on failure. */
static int uplink_append(struct swd_config *c, struct uplink_cfg *u, char *err,
			 size_t errlen)
{
	if (u->kind == UPLINK_VXLAN)
		return uplink_append_vxlan(c, u, err, errlen);
	if (uplink_append_one(c, u) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/**
 * config_add_uplink() - add an uplink, as for an --uplink/--connect flag
 * @c:		config
 * @spec:	see uplink_cfg_parse()
 * @connect:	@spec is a --connect URL
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 on success, negative error code on failure
 */
int config_add_uplink(struct swd_config *c, const char *spec, bool connect,
		      char *err, size_t errlen)
{
	struct uplink_cfg u;
	int ret = uplink_cfg_parse(spec, connect, &u, err, errlen);

	if (ret == 0)
		ret = uplink_append(c, &u, err, errlen);
	return ret;
}

/* ",KEY=VALUE" with a comma in VALUE doubled, as QEMU's option syntax. */
static int spec_add_escaped(char *buf, size_t len, const char *key,
			    const char *val)
{
	int n = snprintf(buf, len, ",%s=", key);
	size_t o;

	if (n < 0 || (size_t)n >= len)
		return n;
	for (o = (size_t)n; *val && o + 2 < len; val++) {
		buf[o++] = *val;
		if (*val == ',')
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return *val ? (int)len : (int)o;
}

/* Append ",KEY=VALUE" for one member of a slirp object (arrays repeat). */
static int spec_add_opt(char *buf, size_t len, const char *key, json_t *v,
			char *err, size_t errlen)
{
	size_t off = strlen(buf), i;
	json_t *e;
	int n;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				snprintf(err, errlen,
					 "expected an array of strings");
				return -EINVAL;
			}
			if (spec_add_opt(buf, len, key, e, err, errlen) < 0)
				return -EINVAL;
		}
		return 0;
	}
	if (json_is_string(v))
		n = spec_add_escaped(buf + off, len - off, key,
				     json_string_value(v));
	else if (json_is_boolean(v))
		n = snprintf(buf + off, len - off, ",%s=%s", key,
			     json_is_true(v) ? "on" : "off");
	else if (json_is_integer(v))
		n = snprintf(buf + off, len - off, ",%s=%lld", key,
			     (long long)json_integer_value(v));
	else {
		snprintf(
			err, errlen,
			"expected a string, number, boolean or array of strings");
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= len - off) {
		snprintf(err, errlen, "options too long");
		return -EINVAL;
	}
	return 0;
}

static const char *obj_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An object's "vlan", "trunk" and "native", as a listener takes them
 * (vlan_opts_from_json()); @where names the member, or trunk item, at
 * fault. */
static int obj_vlan(json_t *obj, struct vlan_cfg *c,
		    struct uplink_json_err *where, char *err, size_t errlen)
{
	const char *key;
	long index;

	if (vlan_opts_from_json(obj, c, &key, &index, err, errlen) == 0)
		return 0;
	where->key = key;
	where->has_key_index = index >= 0;
	where->key_index = index >= 0 ? (size_t)index : 0;
	return -EINVAL;
}

/* Append @c's spec options (",vlan=N", ...; nothing for mode none). */
static int spec_add_vlan(char *buf, size_t len, const struct vlan_cfg *c,
			 char *err, size_t errlen)
{
	char vopt[VLAN_SPEC_LEN];
	size_t off = strlen(buf);

	if (c->mode == VLAN_MODE_NONE)
		return 0;
	vlan_opts_spec_format(c, vopt, sizeof(vopt));
	if (strlen(vopt) >= len - off) {
		snprintf(err, errlen, "options too long");
		return -EINVAL;
	}
	memcpy(buf + off, vopt, strlen(vopt) + 1);
	return 0;
}

/* The keys each object type takes besides "type" (slirp: any option). */
static const char *const obj_keys[][5] = {
	[UPLINK_TAP] = { "name" },
	[UPLINK_TAP_FD] = { "fd" },
	[UPLINK_BRIDGE] = { "bridge", "helper" },
	[UPLINK_PASST] = { "path" },
	[UPLINK_MCAST] = { "group", "port", "localaddr", "ttl", "loop" },
};

#define OBJ_TYPES "tap, tap-fd, bridge, slirp, passt, mcast or vxlan"

static int obj_kind(const char *type, enum uplink_kind *k)
{
	static const char *const names[] = {
		[UPLINK_TAP] = "tap",	    [UPLINK_TAP_FD] = "tap-fd",
		[UPLINK_BRIDGE] = "bridge", [UPLINK_SLIRP] = "slirp",
		[UPLINK_PASST] = "passt",   [UPLINK_MCAST] = "mcast",
		[UPLINK_VXLAN] = "vxlan",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i] && !strcmp(type, names[i])) {
			*k = (enum uplink_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * An mcast object's members, each checked where it stands (@where->key
 * names the one at fault). Numbers and booleans are taken as the flag's
 * text: 1234, true/false as on/off.
 */
static int obj_mcast(json_t *obj, struct uplink_mcast *m,
		     struct uplink_json_err *where, char *err, size_t errlen)
{
	const char *key, *s;
	unsigned seen = 0;
	char num[32];
	json_t *v;
	int ret = 0;

	mcast_defaults(m);
	json_object_foreach(obj, key, v) {
		where->key = key;
		if (!strcmp(key, "type") || vlan_opts_json_key(key))
			continue;
		if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof(num), "%s",
				 json_is_true(v) ? "on" : "off");
		else if (!json_is_string(v)) {
			snprintf(err, errlen,
				 "expected a string, number or boolean");
			return -EINVAL;
		}
		s = json_is_string(v) ? json_string_value(v) : num;
		if (!strcmp(key, "group"))
			ret = mcast_group(s, m, err, errlen);
		else if (!strcmp(key, "port"))
			ret = mcast_port(s, m, err, errlen);
		else
			ret = mcast_opt(key, s, m, &seen, err, errlen);
		if (ret < 0)
			return ret;
	}
	where->key = NULL;
	if (!m->group || !m->port) {
		snprintf(err, errlen, "missing \"%s\"",
			 m->group ? "port" : "group");
		return -EINVAL;
	}
	return 0;
}

/*
 * Check an object's keys and types; build the spec text in @buf. Kinds
 * parsed from the object itself (slirp options, an mcast hub) go into @u
 * (slirp's options set up with slirp_opts_init(); the caller frees them)
 * and set *@parsed.
 */
static int obj_to_spec(json_t *obj, char *buf, size_t len, struct uplink_cfg *u,
		       bool *parsed, struct uplink_json_err *where, char *err,
		       size_t errlen)
{
	const char *type = obj_str(obj, "type"), *key, *s;
	enum uplink_kind k;
	json_t *v;
	size_t i;

	where->key = "type";
	if (!json_object_get(obj, "type")) {
		where->key = NULL;
		snprintf(err, errlen, "missing \"type\" (" OBJ_TYPES ")");
		return -EINVAL;
	}
	if (!type || obj_kind(type, &k) < 0) {
		snprintf(
			err, errlen,
			"expected \"tap\", \"tap-fd\", \"bridge\", \"slirp\", \"passt\", \"mcast\" or \"vxlan\"");
		return -EINVAL;
	}
	snprintf(buf, len, "%s", type);
	u->kind = k;
	if (k == UPLINK_VXLAN) {
		long index;

		/* Every member is checked where it stands. */
		*parsed = true;
		if (vxlan_opts_from_json(obj, &u->vxlan, &where->key, &index,
					 err, errlen) < 0) {
			where->has_key_index = index >= 0;
			where->key_index = index >= 0 ? (size_t)index : 0;
			where->at_key = where->key &&
					!vxlan_opts_json_key(where->key) &&
					strcmp(where->key, "type");
			return -EINVAL;
		}
		return 0;
	}
	if (k == UPLINK_SLIRP) {
		/* Parsed from the object, to blame the right member. */
		*parsed = true;
		slirp_opts_init(&u->slirp);
		if (slirp_opts_from_json(&u->slirp, obj, &where->key, err,
					 errlen) < 0)
			return -EINVAL;
	}
	json_object_foreach(obj, key, v) {
		bool known = k == UPLINK_SLIRP;

		where->key = key;
		if (!strcmp(key, "type") || vlan_opts_json_key(key))
			continue; /* obj_vlan() takes the VLAN keys */
		for (i = 0; k != UPLINK_SLIRP && i < 5 && obj_keys[k][i]; i++)
			known |= !strcmp(key, obj_keys[k][i]);
		if (!known) {
			where->at_key = true;
			snprintf(err, errlen, "unknown key for a %s uplink",
				 type);
			return -EINVAL;
		}
		if (k == UPLINK_SLIRP) {
			if (spec_add_opt(buf, len, key, v, err, errlen) < 0)
				return -EINVAL;
			continue;
		}
		if (k == UPLINK_MCAST)
			continue; /* obj_mcast() checks the values */
		if (k == UPLINK_TAP_FD ? !json_is_integer(v)
				       : !json_is_string(v)) {
			snprintf(err, errlen, "expected a %s",
				 k == UPLINK_TAP_FD ? "number" : "string");
			return -EINVAL;
		}
	}
	where->key = NULL;
	switch (k) {
	case UPLINK_TAP:
	case UPLINK_BRIDGE:
		s = obj_str(obj, k == UPLINK_TAP ? "name" : "bridge");
		if (!s) {
			snprintf(err, errlen, "missing \"%s\"",
				 k == UPLINK_TAP ? "name" : "bridge");
			return -EINVAL;
		}
		snprintf(buf, len, "%s:%s", type, s);
		if (obj_str(obj, "helper"))
			snprintf(buf + strlen(buf), len - strlen(buf),
				 ",helper=%s", obj_str(obj, "helper"));
		break;
	case UPLINK_TAP_FD:
		if (!json_object_get(obj, "fd")) {
			snprintf(err, errlen, "missing \"fd\"");
			return -EINVAL;
		}
		snprintf(buf, len, "tap-fd:%lld",
			 (long long)json_integer_value(
				 json_object_get(obj, "fd")));
		break;
	case UPLINK_PASST:
		if (obj_str(obj, "path"))
			snprintf(buf, len, "passt:%s", obj_str(obj, "path"));
		break;
	case UPLINK_MCAST:
		*parsed = true;
		return obj_mcast(obj, &u->mcast, where, err, errlen);
	default:
		break;
	}
	return 0;
}

/**
 * obj_add() - add one object of the "uplinks" array
 * @c:		config
 * @obj:	the object
 * @spec:	buffer for its canonical spec text
 * @len:	size of @spec
 * @where:	on failure, which member to blame
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * A slirp or mcast object keeps what was parsed from the object (moved
 * into the entry); the other kinds are parsed from the spec text built in
 * @spec.
 *
 * Return: 0 on success, -EINVAL (message in @err) or -ENOMEM
 */
static int obj_add(struct swd_config *c, json_t *obj, char *spec, size_t len,
		   struct uplink_json_err *where, char *err, size_t errlen)
{
	bool parsed = false;
	struct vlan_cfg vlan;
	struct uplink_cfg u;
	char *ms;
	int ret;

	memset(&u, 0, sizeof(u));
	u.fd = -1;
	ret = obj_to_spec(obj, spec, len, &u, &parsed, where, err, errlen);
	if (ret == 0)
		ret = obj_vlan(obj, &vlan, where, err, errlen);
	if (ret == 0 && u.kind == UPLINK_MCAST) {
		ms = mcast_spec(&u.mcast);
		if (ms)
			snprintf(spec, len, "%s", ms);
		free(ms);
		ret = ms ? 0 : -ENOMEM;
	}
	/* The spec text ends with the VLAN options, as a flag's would. */
	if (ret == 0)
		ret = spec_add_vlan(spec, len, &vlan, err, errlen);
	if (ret == 0 && !parsed)
		return config_add_uplink(c, spec, false, err, errlen);
	if (ret == 0) {
		u.vlan = vlan;
		u.spec = strdup(spec);
		/* uplink_append() takes @u (appended, or freed). */
		if (u.spec)
			return uplink_append(c, &u, err, errlen);
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
	}
	uplink_cfg_free(&u);
	return ret;
}

/**
 * config_load_uplinks() - add the config's "uplinks" or "connect" array
 * @c:		config
 * @v:		the JSON value
 * @connect:	@v is "connect" (URL strings or {"url": URL} objects)
 * @where:	on failure, which element and member to blame
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 on success, -EINVAL (message in @err) or -ENOMEM
 */
int config_load_uplinks(struct swd_config *c, struct json_t *v, bool connect,
			struct uplink_json_err *where, char *err, size_t errlen)
{
	char *spec = malloc(SPEC_MAX);
	size_t i;
	json_t *item;
	int ret = 0;

	memset(where, 0, sizeof(*where));
	if (!spec)
		return -ENOMEM;
	if (!json_is_array(v)) {
		snprintf(err, errlen, "expected an array of %s",
			 connect ? "URL strings or {\"url\": URL} objects"
				 : "uplink spec strings or objects");
		ret = -EINVAL;
	}
	json_array_foreach(ret ? NULL : v, i, item) {
		where->has_index = true;
		where->index = i;
		where->key = NULL;
		if (json_is_string(item)) {
			snprintf(spec, SPEC_MAX, "%s", json_string_value(item));
		} else if (json_is_object(item) && connect) {
			const char *url = obj_str(item, "url"), *key;
			struct vlan_cfg vlan;
			json_t *m;

			json_object_foreach(item, key, m) {
				if (strcmp(key, "url") &&
				    !vlan_opts_json_key(key)) {
					where->key = key;
					where->at_key = true;
					snprintf(
						err, errlen,
						"unknown key for a connection (url, vlan, trunk or native)");
					ret = -EINVAL;
					break;
				}
			}
			if (ret == 0 && !url) {
				snprintf(
					err, errlen,
					"expected {\"url\": \"unix:PATH\" or \"tcp:HOST:PORT\"}");
				ret = -EINVAL;
			}
			if (ret == 0)
				ret = obj_vlan(item, &vlan, where, err, errlen);
			if (ret < 0)
				break;
			where->key = "url";
			snprintf(spec, SPEC_MAX, "%s", url);
			ret = spec_add_vlan(spec, SPEC_MAX, &vlan, err, errlen);
			if (ret < 0)
				break;
		} else if (json_is_object(item)) {
			ret = obj_add(c, item, spec, SPEC_MAX, where, err,
				      errlen);
			if (ret < 0)
				break;
			continue;
		} else {
			snprintf(err, errlen, "expected a string or an object");
			ret = -EINVAL;
			break;
		}
		ret = config_add_uplink(c, spec, connect, err, errlen);
		if (ret < 0)
			break;
	}
	free(spec);
	return ret;
}

/**
 * config_clear_uplinks() - drop all of @c's uplinks
 * @c:		config
 */
void config_clear_uplinks(struct swd_config *c)
{
	size_t i;

	for (i = 0; i < c->nuplinks; i++)
		uplink_cfg_free(&c->uplinks[i]);
	free(c->uplinks);
	c->uplinks = NULL;
	c->nuplinks = 0;
}

/**
 * config_copy_uplinks() - append deep copies of @src's uplinks to @dst
 * @dst:	config
 * @src:	source
 *
 * Return: 0 on success, -ENOMEM
 */
int config_copy_uplinks(struct swd_config *dst, const struct swd_config *src)
{
	struct uplink_cfg u;
	size_t i;

	for (i = 0; i < src->nuplinks; i++)
		if (uplink_cfg_copy(&u, &src->uplinks[i]) < 0 ||
		    uplink_append_one(dst, &u) < 0)
			return -ENOMEM;
	return 0;
}

/**
 * config_absolutize_uplinks() - make relative unix/passt paths absolute
 * @c:		config
 * @cwd:	current directory
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 on success, -ENAMETOOLONG or -ENOMEM
 */
int config_absolutize_uplinks(struct swd_config *c, const char *cwd, char *err,
			      size_t errlen)
{
	char abs[PATH_MAX * 2];
	size_t i;

	for (i = 0; i < c->nuplinks; i++) {
		struct uplink_cfg *u = &c->uplinks[i];
		const char *rel = NULL;
		char *arg = NULL, *spec;

		if (u->kind == UPLINK_CONNECT && u->addr.kind == LISTEN_UNIX)
			rel = u->addr.path;
		else if (u->kind == UPLINK_PASST && u->arg)
			rel = u->arg;
		if (!rel || rel[0] == '/')
			continue;
		snprintf(abs, sizeof(abs), "%s/%s", cwd, rel);
		if (u->kind == UPLINK_CONNECT &&
		    strlen(abs) >= sizeof(u->addr.path)) {
			snprintf(err, errlen,
				 "%s: the absolute path %s is too long",
				 u->spec, abs);
			return -ENAMETOOLONG;
		}
		spec = malloc(strlen(abs) + 8);
		if (u->kind == UPLINK_PASST)
			arg = strdup(abs);
		if (!spec || (u->kind == UPLINK_PASST && !arg)) {
			free(spec);
			free(arg);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		sprintf(spec, "%s:%s",
			u->kind == UPLINK_CONNECT ? "unix" : "passt", abs);
		free(u->spec);
		u->spec = spec;
		if (arg) {
			free(u->arg);
			u->arg = arg;
		} else {
			strcpy(u->addr.path, abs);
		}
	}
	return 0;
}

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
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/slirp_opts.h"
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

static int parse_fd(const char *s, int *fd, char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < 0 || v > INT_MAX) {
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
	if (!strncmp(spec, "unix:", 5) || !strncmp(spec, "tcp:", 4)) {
		snprintf(
			err, errlen,
			"`%s': outbound connections are --connect URL (config: \"connect\")",
			spec);
		return -EINVAL;
	}
	snprintf(
		err, errlen,
		"`%s': unknown uplink; use tap:NAME, tap-fd:N, bridge:BRIDGE[,helper=PATH], slirp[,OPTION=VALUE...], passt or passt:PATH",
		spec);
	return -EINVAL;
}

/**
 * uplink_cfg_parse() - parse one uplink spec
 * @spec:	tap:NAME, tap-fd:N, bridge:BR[,helper=PATH], slirp[,OPTS],
 *		passt, passt:PATH; with @connect, unix:PATH or tcp:HOST:PORT
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
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	ret = connect ? parse_connect(spec, out, err, errlen)
		      : parse_kind(spec, out, err, errlen);
	if (ret == 0 && !(out->spec = strdup(spec)))
		ret = -ENOMEM;
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret < 0)
		uplink_cfg_free(out);
	return ret;
}

static int uplink_append(struct swd_config *c, struct uplink_cfg *u)
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

	if (ret == 0 && (ret = uplink_append(c, &u)) < 0)
		snprintf(err, errlen, "out of memory");
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

/* The keys each object type takes besides "type" (slirp: any option). */
static const char *const obj_keys[][3] = {
	[UPLINK_TAP] = { "name" },
	[UPLINK_TAP_FD] = { "fd" },
	[UPLINK_BRIDGE] = { "bridge", "helper" },
	[UPLINK_PASST] = { "path" },
};

static int obj_kind(const char *type, enum uplink_kind *k)
{
	static const char *const names[] = {
		[UPLINK_TAP] = "tap",	    [UPLINK_TAP_FD] = "tap-fd",
		[UPLINK_BRIDGE] = "bridge", [UPLINK_SLIRP] = "slirp",
		[UPLINK_PASST] = "passt",
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
 * Check an object's keys and types; build the spec text in @buf. A slirp
 * object's options are parsed into @slirp (set up with slirp_opts_init();
 * the caller frees it) and *@is_slirp is set.
 */
static int obj_to_spec(json_t *obj, char *buf, size_t len,
		       struct slirp_opts *slirp, bool *is_slirp,
		       struct uplink_json_err *where, char *err, size_t errlen)
{
	const char *type = obj_str(obj, "type"), *key, *s;
	enum uplink_kind k;
	json_t *v;
	size_t i;

	where->key = "type";
	if (!json_object_get(obj, "type")) {
		where->key = NULL;
		snprintf(
			err, errlen,
			"missing \"type\" (tap, tap-fd, bridge, slirp or passt)");
		return -EINVAL;
	}
	if (!type || obj_kind(type, &k) < 0) {
		snprintf(
			err, errlen,
			"expected \"tap\", \"tap-fd\", \"bridge\", \"slirp\" or \"passt\"");
		return -EINVAL;
	}
	snprintf(buf, len, "%s", type);
	if (k == UPLINK_SLIRP) {
		/* Parsed from the object, to blame the right member. */
		*is_slirp = true;
		if (slirp_opts_from_json(slirp, obj, &where->key, err, errlen) <
		    0)
			return -EINVAL;
	}
	json_object_foreach(obj, key, v) {
		bool known = k == UPLINK_SLIRP;

		where->key = key;
		if (!strcmp(key, "type"))
			continue;
		for (i = 0; k != UPLINK_SLIRP && i < 3 && obj_keys[k][i]; i++)
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
	default:
		break;
	}
	return 0;
}

/**
 * slirp_append() - append a slirp entry parsed from a JSON object
 * @c:		config
 * @spec:	its canonical spec text (copied)
 * @o:		its options, moved into the entry (@o owns nothing after)
 *
 * Return: 0 on success, -ENOMEM
 */
static int slirp_append(struct swd_config *c, const char *spec,
			struct slirp_opts *o)
{
	struct uplink_cfg u;

	memset(&u, 0, sizeof(u));
	u.kind = UPLINK_SLIRP;
	u.fd = -1;
	u.slirp = *o;
	memset(o, 0, sizeof(*o));
	u.spec = strdup(spec);
	if (!u.spec) {
		uplink_cfg_free(&u);
		return -ENOMEM;
	}
	return uplink_append(c, &u);
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
 * A slirp object keeps the options parsed from the object; the other
 * kinds are parsed from the spec text built in @spec.
 *
 * Return: 0 on success, -EINVAL (message in @err) or -ENOMEM
 */
static int obj_add(struct swd_config *c, json_t *obj, char *spec, size_t len,
		   struct uplink_json_err *where, char *err, size_t errlen)
{
	bool is_slirp = false;
	struct slirp_opts o;
	int ret;

	slirp_opts_init(&o);
	ret = obj_to_spec(obj, spec, len, &o, &is_slirp, where, err, errlen);
	if (ret == 0 && !is_slirp)
		ret = config_add_uplink(c, spec, false, err, errlen);
	else if (ret == 0 && (ret = slirp_append(c, spec, &o)) < 0)
		snprintf(err, errlen, "out of memory");
	slirp_opts_fini(&o);
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
			const char *url = obj_str(item, "url");

			if (!url || json_object_size(item) != 1) {
				snprintf(
					err, errlen,
					"expected {\"url\": \"unix:PATH\" or \"tcp:HOST:PORT\"}");
				ret = -EINVAL;
				break;
			}
			where->key = "url";
			snprintf(spec, SPEC_MAX, "%s", url);
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
		    uplink_append(dst, &u) < 0)
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

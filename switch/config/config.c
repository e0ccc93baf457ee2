// SPDX-License-Identifier: MIT
/*
 * config.c - the daemon's JSON configuration file
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * The only jansson user. Loads a file into struct swd_config, checks every
 * key, type and range, and reports the first problem as
 * FILE:LINE:COL: $.json.path: message. Also parses --listen URLs and log
 * level names for main.c.
 *
 * DOC: Theory of Operation
 * The file is read into memory once; jansson parses that text and reports
 * syntax errors with their position. jansson keeps no positions for values,
 * so a problem found afterwards (unknown key, wrong type, out of range) is
 * placed by config_locate() (jsonpos.c): a small scanner that walks the
 * same text along the JSON path of the bad value. Loading fills a copy of
 * the caller's config, which replaces the caller's only when the whole file
 * checked out, so a failed reload keeps the running configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config/impair_opts.h"
#include "config/vlan_opts.h"
#include "sockswitchd.h"

#define CONFIG_FILE_MAX (1 << 20) /* bytes; a config is a few hundred */
#define QUOTE_MAX 80 /* bytes of a bad value quoted back */
#define AGEING_MAX_S 1000000
#define HOLD_DOWN_MAX_MS 60000
#define TXQ_FRAMES_MAX 65536
#define TXQ_BYTES_MAX (1 << 30)
#define GID_MAX_VALID 4294967294LL /* (gid_t)-1 means "unset" */
#define UID_MAX_VALID 4294967294LL /* (uid_t)-1 is nobody's */

/* ---- reading the file ------------------------------------------------ */

/**
 * read_all() - read an open file to its end into a NUL-terminated buffer
 * @fd:		file to read
 * @text:	on success, the contents (caller frees)
 * @len:	on success, their length
 *
 * Reads until end of file rather than trusting st_size, so /dev/stdin and
 * pipes work too.
 *
 * Return: 0 on success, -EFBIG above CONFIG_FILE_MAX, other negative error
 * code on failure
 */
static int read_all(int fd, char **text, size_t *len)
{
	size_t size = 4096, used = 0;
	char *buf = NULL, *nb;
	ssize_t n;

	for (;;) {
		if (!buf || used + 1 >= size) {
			size = buf ? size * 2 : size;
			nb = realloc(buf, size);
			if (!nb)
				goto fail_errno;
			buf = nb;
		}
		n = read(fd, buf + used, size - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > CONFIG_FILE_MAX) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
fail_errno:
	free(buf);
	return -errno;
}

/**
 * read_text() - read a whole (small) file into memory
 * @path:	file to read
 * @text:	on success, the contents, NUL-terminated (caller frees)
 * @len:	on success, their length
 * @err:	on failure, "FILE: what went wrong"
 * @errlen:	size of @err
 *
 * Return: 0 on success, negative error code on failure
 */
static int read_text(const char *path, char **text, size_t *len, char *err,
		     size_t errlen)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(-ret));
		return ret;
	}
	ret = read_all(fd, text, len);
	close(fd);
	if (ret == -EFBIG)
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 CONFIG_FILE_MAX);
	else if (ret < 0)
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(-ret));
	return ret;
}

/* ---- messages ---------------------------------------------------------- */

/**
 * str_escape() - copy @s for a message, escaping quotes, backslashes and
 * control bytes JSON-style
 * @out:	output, always terminated
 * @size:	size of @out, at least 1
 * @s:		input
 *
 * Return: true if all of @s fit
 */
static bool str_escape(char *out, size_t size, const char *s)
{
	size_t o = 0;
	unsigned char b;
	int n;

	for (; *s; s++) {
		b = (unsigned char)*s;
		if (b == '"' || b == '\\')
			n = snprintf(out + o, size - o, "\\%c", b);
		else if (b < 0x20 || b == 0x7f)
			n = snprintf(out + o, size - o, "\\u%04x", b);
		else
			n = snprintf(out + o, size - o, "%c", b);
		if (n < 0 || (size_t)n >= size - o) {
			out[o] = '\0';
			return false;
		}
		o += (size_t)n;
	}
	out[o] = '\0';
	return true;
}

/**
 * quote() - a user's value made safe to print inside `...'
 * @buf:	output, QUOTE_MAX bytes
 * @s:		the value
 *
 * Return: @buf
 */
static const char *quote(char buf[static QUOTE_MAX], const char *s)
{
	if (!str_escape(buf, QUOTE_MAX - 3, s))
		strcat(buf, "...");
	return buf;
}

/* What @v is, for messages: "a string", "an array", ... */
const char *config_json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	default:
		return "null";
	}
}

/* ---- loading ------------------------------------------------------------ */

/**
 * struct loader - state of one config_load()
 * @file:	file name for messages
 * @text:	the file's contents
 * @len:	their length
 * @c:		the config being filled (a copy of the caller's)
 * @path:	JSON path of the value being checked
 * @plen:	length of @path; sizeof(@path) once a segment did not fit
 * @err:	where the message goes
 * @errlen:	size of @err
 */
struct loader {
	const char *file;
	const char *text;
	size_t len;
	struct swd_config *c;
	char path[JPATH_MAX];
	size_t plen;
	char *err;
	size_t errlen;
};

static bool key_is_plain(const char *key)
{
	const char *k;

	if (!*key || (*key >= '0' && *key <= '9'))
		return false;
	for (k = key; *k; k++) {
		if (!(*k == '_' || *k == '-' || (*k >= 'a' && *k <= 'z') ||
		      (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
			return false;
	}
	return true;
}

/**
 * path_push_key() - descend into member @key for messages
 * @ld:		loader
 * @key:	member name
 *
 * Return: the path length to hand back to path_pop()
 */
static size_t path_push_key(struct loader *ld, const char *key)
{
	size_t saved = ld->plen, room;
	char *at;

	if (saved >= sizeof(ld->path))
		return saved;
	at = ld->path + saved;
	room = sizeof(ld->path) - saved;
	if (key_is_plain(key)) {
		if ((size_t)snprintf(at, room, ".%s", key) >= room)
			ld->plen = sizeof(ld->path);
		else
			ld->plen += strlen(at);
		return saved;
	}
	if (room < 5 || !str_escape(at + 2, room - 4, key)) {
		ld->plen = sizeof(ld->path);
		return saved;
	}
	memcpy(at, "[\"", 2);
	strcat(at, "\"]");
	ld->plen += strlen(at);
	return saved;
}

static size_t path_push_index(struct loader *ld, size_t i)
{
	size_t saved = ld->plen, room = sizeof(ld->path) - saved;

	if (saved >= sizeof(ld->path))
		return saved;
	if ((size_t)snprintf(ld->path + saved, room, "[%zu]", i) >= room)
		ld->plen = sizeof(ld->path);
	else
		ld->plen += strlen(ld->path + saved);
	return saved;
}

static void path_pop(struct loader *ld, size_t saved)
{
	ld->plen = saved;
	ld->path[saved < sizeof(ld->path) ? saved : sizeof(ld->path) - 1] =
		'\0';
}

/**
 * ld_err() - format "FILE:LINE:COL: PATH: message" for the current path
 * @ld:		loader
 * @at_key:	point at the current member's key rather than its value
 * @fmt:	message
 *
 * Without a position (path too long to track) the message is
 * "FILE: PATH...: message".
 *
 * Return: -EINVAL, for the caller to pass up
 */
static int __attribute__((format(printf, 3, 4)))
ld_err(struct loader *ld, bool at_key, const char *fmt, ...)
{
	bool cut = ld->plen >= sizeof(ld->path);
	unsigned line, col;
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!cut && config_locate(ld->text, ld->len, ld->path, at_key, &line,
				  &col) == 0)
		snprintf(ld->err, ld->errlen, "%s:%u:%u: %s: %s", ld->file,
			 line, col, ld->path, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s%s: %s", ld->file,
			 ld->path, cut ? "..." : "", msg);
	return -EINVAL;
}

static int ld_nomem(struct loader *ld)
{
	snprintf(ld->err, ld->errlen, "%s: out of memory", ld->file);
	return -ENOMEM;
}

/* ---- values ------------------------------------------------------------- */

static int parse_octal_mode(const char *s, int *mode)
{
	int v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v * 8 + (*s - '0');
		if (v > 0777)
			return -ERANGE;
	}
	*mode = v;
	return 0;
}

static int load_mode(struct loader *ld, json_t *v, int *mode)
{
	char q[QUOTE_MAX];

	if (!json_is_string(v))
		return ld_err(
			ld, false,
			"expected an octal mode string like \"0660\", got %s",
			config_json_kind(v));
	if (parse_octal_mode(json_string_value(v), mode) < 0)
		return ld_err(ld, false, "`%s' is not an octal mode 0-0777",
			      quote(q, json_string_value(v)));
	return 0;
}

static int load_bool(struct loader *ld, json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return ld_err(ld, false, "expected true or false, got %s",
			      config_json_kind(v));
	*out = json_is_true(v);
	return 0;
}

/**
 * id_lookup() - resolve a user or group name (getpwnam_r(), getgrnam_r())
 * @name:	user or group name
 * @group:	look up a group (else a user)
 * @id:		on success, its id
 *
 * Return: 0 on success, -ENOENT if there is no such name, other negative
 * error code if the lookup failed
 */
static int id_lookup(const char *name, bool group, unsigned *id)
{
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	size_t size = 1024;
	char *buf = NULL, *nb;
	int rc;

	for (;;) {
		nb = realloc(buf, size);
		if (!nb) {
			rc = ENOMEM;
			break;
		}
		buf = nb;
		rc = group ? getgrnam_r(name, &gr, buf, size, &gres)
			   : getpwnam_r(name, &pw, buf, size, &pres);
		if (rc != ERANGE || size >= (1 << 20))
			break;
		size *= 2;
	}
	if (rc == 0 && (gres || pres))
		*id = gres ? (unsigned)gres->gr_gid : (unsigned)pres->pw_uid;
	free(buf);
	if (rc)
		return -rc;
	return gres || pres ? 0 : -ENOENT;
}

static int group_lookup(const char *name, gid_t *gid)
{
	unsigned id = 0;
	int rc = id_lookup(name, true, &id);

	if (rc == 0)
		*gid = (gid_t)id;
	return rc;
}

static int user_lookup(const char *name, uid_t *uid)
{
	unsigned id = 0;
	int rc = id_lookup(name, false, &id);

	if (rc == 0)
		*uid = (uid_t)id;
	return rc;
}

static int load_group(struct loader *ld, json_t *v, gid_t *gid)
{
	const char *s = json_string_value(v);
	char q[QUOTE_MAX], *end;
	long long n;
	int ret;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n < 0 || n > GID_MAX_VALID)
			return ld_err(ld, false,
				      "`%lld' is not a group id 0-%lld", n,
				      GID_MAX_VALID);
		*gid = (gid_t)n;
		return 0;
	}
	if (!s)
		return ld_err(ld, false, "expected a group name or id, got %s",
			      config_json_kind(v));
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno || *end || n > GID_MAX_VALID)
			return ld_err(ld, false,
				      "`%s' is not a group id 0-%lld",
				      quote(q, s), GID_MAX_VALID);
		*gid = (gid_t)n;
		return 0;
	}
	ret = group_lookup(s, gid);
	if (ret == -ENOENT)
		return ld_err(ld, false, "unknown group `%s'", quote(q, s));
	if (ret < 0)
		return ld_err(ld, false, "cannot look up group `%s': %s",
			      quote(q, s), strerror(-ret));
	return 0;
}

/**
 * load_uid() - one element of "allow_uids": a user id or a user name
 * @ld:		loader, path at the element
 * @v:		the element
 * @uid:	on success, the user id
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_uid(struct loader *ld, json_t *v, uid_t *uid)
{
	const char *s = json_string_value(v);
	char q[QUOTE_MAX];
	long long n;
	int ret;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n < 0 || n > UID_MAX_VALID)
			return ld_err(ld, false,
				      "`%lld' is not a user id 0-%lld", n,
				      UID_MAX_VALID);
		*uid = (uid_t)n;
		return 0;
	}
	if (!s)
		return ld_err(ld, false, "expected a user id or name, got %s",
			      config_json_kind(v));
	ret = user_lookup(s, uid);
	if (ret == -ENOENT)
		return ld_err(ld, false, "unknown user `%s'", quote(q, s));
	if (ret < 0)
		return ld_err(ld, false, "cannot look up user `%s': %s",
			      quote(q, s), strerror(-ret));
	return 0;
}

/**
 * load_uids() - "allow_uids" or "allow_gids": an array of user (or group)
 *		 ids or names
 * @ld:		loader, path at the key
 * @v:		the value
 * @group:	"allow_gids": groups into @u->gid (else users into @u->uid)
 * @u:		filled (@u->any left alone)
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_uids(struct loader *ld, json_t *v, bool group,
		     struct listen_uids *u)
{
	const char *what = group ? "group" : "user";
	size_t i, saved, *n = group ? &u->ngid : &u->n;
	json_t *item;
	int ret = 0;

	if (!json_is_array(v))
		return ld_err(ld, false,
			      "expected an array of %s ids or names, got %s",
			      what, config_json_kind(v));
	if (json_array_size(v) > LISTEN_UIDS_MAX)
		return ld_err(ld, false, "more than %d %ss", LISTEN_UIDS_MAX,
			      what);
	*n = 0;
	json_array_foreach(v, i, item) {
		saved = path_push_index(ld, i);
		ret = group ? load_group(ld, item, &u->gid[*n])
			    : load_uid(ld, item, &u->uid[*n]);
		path_pop(ld, saved);
		if (ret < 0)
			return ret;
		(*n)++;
	}
	return 0;
}

/**
 * struct int_key - a top-level integer key and where it goes
 * @name:	JSON key
 * @min:	smallest value allowed
 * @max:	largest value allowed
 * @set:	store a checked value into the config
 * @unit:	said after the range when a value is out of it (" seconds"),
 *		or NULL
 */
struct int_key {
	const char *name;
	json_int_t min;
	json_int_t max;
	void (*set)(struct swd_config *c, json_int_t v);
	const char *unit;
};

static void set_mac_table_size(struct swd_config *c, json_int_t v)
{
	c->core.mac_table_size = (uint32_t)v;
}

static void set_mac_port_share(struct swd_config *c, json_int_t v)
{
	c->core.mac_port_share = (uint32_t)v;
}

static void set_ageing(struct swd_config *c, json_int_t v)
{
	c->core.ageing_ms = (uint64_t)v * 1000;
}

static void set_hold_down(struct swd_config *c, json_int_t v)
{
	c->core.hold_down_ms = (uint64_t)v;
}

static void set_max_ports(struct swd_config *c, json_int_t v)
{
	c->core.max_ports = (uint32_t)v;
}

static void set_max_frame(struct swd_config *c, json_int_t v)
{
	c->core.max_frame = (uint32_t)v;
}

static void set_txq_frames(struct swd_config *c, json_int_t v)
{
	c->core.txq_frames = (uint32_t)v;
}

static void set_txq_bytes(struct swd_config *c, json_int_t v)
{
	c->core.txq_bytes = (size_t)v;
}

static void set_throttle_ms(struct swd_config *c, json_int_t v)
{
	c->core.throttle_ms = (uint64_t)v;
}

static void set_queue_budget(struct swd_config *c, json_int_t v)
{
	c->core.queue_budget = (size_t)v;
}

static void set_capture_budget(struct swd_config *c, json_int_t v)
{
	c->capture_budget = (size_t)v;
}

static void set_dgram_idle(struct swd_config *c, json_int_t v)
{
	c->dgram_idle_s = (uint32_t)v;
}

static const struct int_key int_keys[] = {
	{ "mac_table_size", 1, SW_MAC_TABLE_LIMIT, set_mac_table_size, NULL },
	{ "mac_port_share", 0, SW_MAC_TABLE_LIMIT, set_mac_port_share, NULL },
	{ "ageing", 1, AGEING_MAX_S, set_ageing, NULL },
	{ "mac_hold_down_ms", 0, HOLD_DOWN_MAX_MS, set_hold_down, NULL },
	{ "max_ports", 1, SW_MAX_PORTS_LIMIT, set_max_ports, NULL },
	{ "max_frame", FRAME_MIN_LEN, FRAME_MAX_LEN_LIMIT, set_max_frame,
	  NULL },
	{ "tx_queue_frames", 1, TXQ_FRAMES_MAX, set_txq_frames, NULL },
	{ "tx_queue_bytes", FRAME_MIN_LEN, TXQ_BYTES_MAX, set_txq_bytes, NULL },
	{ "queue_budget", QUEUE_BUDGET_MIN, QUEUE_BUDGET_MAX, set_queue_budget,
	  NULL },
	{ "capture_budget", CAPTURE_BUDGET_MIN, CAPTURE_BUDGET_MAX,
	  set_capture_budget, NULL },
	{ "dgram_idle", 1, DGRAM_IDLE_MAX_S, set_dgram_idle, NULL },
	{ "throttle_ms", 0, SW_THROTTLE_MAX_MS, set_throttle_ms, NULL },
};

static int load_int(struct loader *ld, json_t *v, const struct int_key *k)
{
	json_int_t n;

	if (!json_is_integer(v))
		return ld_err(ld, false,
			      "expected an integer %" JSON_INTEGER_FORMAT
			      "-%" JSON_INTEGER_FORMAT ", got %s",
			      k->min, k->max, config_json_kind(v));
	n = json_integer_value(v);
	if (n < k->min || n > k->max)
		return ld_err(ld, false,
			      "`%" JSON_INTEGER_FORMAT
			      "' is not %" JSON_INTEGER_FORMAT
			      "-%" JSON_INTEGER_FORMAT "%s",
			      n, k->min, k->max, k->unit ? k->unit : "");
	k->set(ld->c, n);
	return 0;
}

static int load_log_level(struct loader *ld, json_t *v)
{
	char q[QUOTE_MAX];

	if (!json_is_string(v))
		return ld_err(ld, false,
			      "expected error, warning, info or debug, got %s",
			      config_json_kind(v));
	if (log_level_parse(json_string_value(v), &ld->c->log_level) < 0)
		return ld_err(ld, false,
			      "`%s' is not error, warning, info or debug",
			      quote(q, json_string_value(v)));
	return 0;
}

static int load_pidfile(struct loader *ld, json_t *v)
{
	char *copy, msg[PATH_MAX + 128];

	if (!json_is_string(v))
		return ld_err(ld, false, "expected a file name, got %s",
			      config_json_kind(v));
	if (!*json_string_value(v))
		return ld_err(ld, false, "empty file name");
	if (path_expand_dup(json_string_value(v), &copy, msg, sizeof(msg)) < 0)
		return ld_err(ld, false, "%s", msg);
	free(ld->c->pidfile);
	ld->c->pidfile = copy;
	return 0;
}

static int load_metrics(struct loader *ld, json_t *v)
{
	struct listen_addr a;
	char msg[256];
	char *copy;

	if (!json_is_string(v))
		return ld_err(ld, false,
			      "expected tcp:HOST:PORT or unix:PATH, got %s",
			      config_json_kind(v));
	if (endpoint_url_parse(json_string_value(v), &a, msg, sizeof(msg)) < 0)
		return ld_err(ld, false, "%s", msg);
	copy = strdup(json_string_value(v));
	if (!copy)
		return ld_nomem(ld);
	free(ld->c->metrics);
	ld->c->metrics = copy;
	return 0;
}

/* ---- listeners ------------------------------------------------------------ */

/**
 * listen_append() - add a checked listener to @c
 * @c:		config
 * @url:	URL as written (copied)
 * @addr:	its parsed form
 * @mode:	socket mode or CONFIG_MODE_UNSET
 * @group:	socket group or CONFIG_GID_UNSET
 * @uids:	tcp: users allowed, or NULL for the default (the switch's
 *		own uid and root)
 *
 * Return: 0 on success, -ENOMEM
 */
static int listen_append(struct swd_config *c, const char *url,
			 const struct listen_addr *addr, int mode, gid_t group,
			 const struct listen_uids *uids)
{
	struct listen_cfg *l;
	char *copy = strdup(url);

	if (!copy)
		return -ENOMEM;
	l = realloc(c->listen, (c->nlisten + 1) * sizeof(*l));
	if (!l) {
		free(copy);
		return -ENOMEM;
	}
	c->listen = l;
	l += c->nlisten++;
	l->url = copy;
	l->addr = *addr;
	l->mode = mode;
	l->group = group;
	if (uids)
		l->uids = *uids;
	else
		memset(&l->uids, 0, sizeof(l->uids));
	l->max_ports = 0;
	memset(&l->impair, 0, sizeof(l->impair));
	l->max_macs = 0;
	l->broadcast_limit = 0;
	vlan_cfg_none(&l->vlan);
	l->no_edge = false;
	l->bpdu_guard = false;
	return 0;
}

/**
 * config_clear_listen() - drop all of @c's listeners
 * @c:		config
 *
 * Leaves @c->listen_set alone: the caller is about to set new ones.
 */
void config_clear_listen(struct swd_config *c)
{
	size_t i;

	for (i = 0; i < c->nlisten; i++)
		free(c->listen[i].url);
	free(c->listen);
	c->listen = NULL;
	c->nlisten = 0;
}

/**
 * peer_key_misfit() - does a peer allow list key fit a kind of listener
 * @key:	"allow_uids", "allow_gids" or "allow_any_uid"
 * @kind:	the listener's kind
 *
 * Return: NULL if it fits, else the rest of an error message
 */
static const char *peer_key_misfit(const char *key, enum listen_kind kind)
{
	bool local = kind == LISTEN_UNIX || kind == LISTEN_VDE ||
		     kind == LISTEN_VHOST;

	if (!strcmp(key, "allow_any_uid") && kind != LISTEN_TCP)
		return local ? "applies only to tcp: listeners (unix:, vde: and vhost-user: let any user in unless allow_uids or allow_gids is given)"
			     : "applies only to tcp: listeners";
	if (!strcmp(key, "allow_gids") && kind == LISTEN_TCP)
		return "applies only to unix:, vde: and vhost-user: listeners (a tcp: peer is known by its uid alone: list its users in allow_uids)";
	if (kind == LISTEN_UDP || kind == LISTEN_UNIXGRAM)
		return "applies only to tcp:, unix:, vde: and vhost-user: listeners (datagram peers are not checked: use mode and group on a unixgram: socket file, see docs/security.md)";
	return NULL;
}

/**
 * load_listener_url() - check a listener's URL and options, then add it
 * @ld:		loader, path at the listener
 * @url:	URL string from the file
 * @obj:	the listener object, or NULL for the plain string form
 * @mode:	"mode" or CONFIG_MODE_UNSET
 * @group:	"group" or CONFIG_GID_UNSET
 * @uids:	"allow_uids", "allow_gids" and "allow_any_uid" (a key of
 *		@obj that does not fit the kind of listener is an error)
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_listener_url(struct loader *ld, const char *url, json_t *obj,
			     int mode, gid_t group,
			     const struct listen_uids *uids)
{
	const char *opt = mode != CONFIG_MODE_UNSET ? "mode" : "group", *why;
	const char *key;
	struct listen_addr addr;
	json_t *v;
	char uerr[512];
	size_t saved;
	int ret;

	saved = obj ? path_push_key(ld, "url") : ld->plen;
	ret = listen_url_parse(url, &addr, uerr, sizeof(uerr));
	if (ret < 0)
		ret = ld_err(ld, false, "%s", uerr);
	path_pop(ld, saved);
	if (ret < 0)
		return ret;
	if ((addr.kind == LISTEN_TCP || addr.kind == LISTEN_UDP) &&
	    (mode != CONFIG_MODE_UNSET || group != CONFIG_GID_UNSET)) {
		saved = path_push_key(ld, opt);
		ret = ld_err(ld, true, "%s applies only to unix: listeners",
			     opt);
		path_pop(ld, saved);
		return ret;
	}
	json_object_foreach(obj, key, v) {
		if (strncmp(key, "allow_", 6) ||
		    !(why = peer_key_misfit(key, addr.kind)))
			continue;
		saved = path_push_key(ld, key);
		ret = ld_err(ld, true, "%s %s", key, why);
		path_pop(ld, saved);
		return ret;
	}
	if (listen_append(ld->c, url, &addr, mode, group, uids) < 0)
		return ld_nomem(ld);
	return 0;
}

/**
 * load_listener_count() - a listener's bound: an integer 1-@limit
 * @ld:		loader, path at the key
 * @v:		its value
 * @limit:	largest value allowed
 * @what:	what the range error starts with ("" or "max_macs ", ...)
 * @hint:	what it ends with ("" or a hint in brackets)
 * @out:	on success, the value
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_listener_count(struct loader *ld, json_t *v, unsigned limit,
			       const char *what, const char *hint,
			       uint32_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return ld_err(ld, false, "expected an integer 1-%u, got %s",
			      limit, config_json_kind(v));
	n = json_integer_value(v);
	if (n < 1 || n > limit)
		return ld_err(ld, false,
			      "%s`%" JSON_INTEGER_FORMAT "' is not 1-%u%s",
			      what, n, limit, hint);
	*out = (uint32_t)n;
	return 0;
}

/**
 * load_impair() - a listener's "impair" object: each key an impairment
 *		   setting, its value as sockswitchctl impair takes it (a
 *		   number is a value without its unit)
 * @ld:		loader, path at the key
 * @v:		its value
 * @out:	the settings
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_impair(struct loader *ld, json_t *v, struct listen_impair *out)
{
	char setting[128], err[256];
	const char *key;
	size_t saved;
	json_t *m;
	int ret = 0;

	if (!json_is_object(v))
		return ld_err(
			ld, false,
			"expected an object of settings, e.g. {\"loss\": \"1%%\", \"delay\": \"20ms\"}, got %s",
			config_json_kind(v));
	memset(out, 0, sizeof(*out));
	json_object_foreach(v, key, m) {
		saved = path_push_key(ld, key);
		if (json_is_string(m))
			snprintf(setting, sizeof(setting), "%s=%s", key,
				 json_string_value(m));
		else if (json_is_integer(m))
			snprintf(setting, sizeof(setting),
				 "%s=%" JSON_INTEGER_FORMAT, key,
				 json_integer_value(m));
		else if (json_is_real(m))
			snprintf(setting, sizeof(setting), "%s=%.4f", key,
				 json_real_value(m));
		else
			ret = ld_err(ld, false,
				     "expected a string or a number, got %s",
				     config_json_kind(m));
		if (ret == 0 &&
		    impair_opts_set(&out->cfg, setting, err, sizeof(err)) < 0)
			ret = ld_err(ld, false, "%s", err);
		if (!strcmp(key, "seed"))
			out->seeded = true;
		path_pop(ld, saved);
		if (ret < 0)
			return ret;
	}
	if (impair_opts_check(&out->cfg, err, sizeof(err)) < 0)
		return ld_err(ld, false, "%s", err);
	out->on = impair_cfg_active(&out->cfg);
	return 0;
}

/* A listener's "vlan", "trunk" and "native" (vlan_opts_from_json()); an
 * error points at the key, or the trunk item, at fault. */
static int load_listener_vlan(struct loader *ld, json_t *obj,
			      struct vlan_cfg *c)
{
	const char *key = NULL;
	long index = -1;
	char err[256];
	size_t saved = ld->plen;
	int ret;

	if (vlan_opts_from_json(obj, c, &key, &index, err, sizeof(err)) == 0)
		return 0;
	if (key)
		path_push_key(ld, key);
	if (index >= 0)
		path_push_index(ld, (size_t)index);
	ret = ld_err(ld, false, "%s", err);
	path_pop(ld, saved);
	return ret;
}

/**
 * load_listener_obj() - one listener in the object form: "url" and its
 *			 options ("mode", "group", "max_ports", ...)
 * @ld:		loader, path at the listener
 * @obj:	the object
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_listener_obj(struct loader *ld, json_t *obj)
{
	const char *key, *url = NULL;
	struct listen_uids uids = { .any = false };
	gid_t group = CONFIG_GID_UNSET;
	int mode = CONFIG_MODE_UNSET;
	uint32_t max_ports = 0, max_macs = 0, broadcast_limit = 0;
	bool edge = true, guard = false;
	struct listen_impair impair = { .on = false };
	struct vlan_cfg vlan;
	struct listen_cfg *lc;
	size_t saved;
	json_t *v;
	int ret = 0;

	json_object_foreach(obj, key, v) {
		saved = path_push_key(ld, key);
		if (!strcmp(key, "url") && !json_is_string(v))
			ret = ld_err(ld, false, "expected a URL string, got %s",
				     config_json_kind(v));
		else if (!strcmp(key, "url"))
			url = json_string_value(v);
		else if (!strcmp(key, "mode"))
			ret = load_mode(ld, v, &mode);
		else if (!strcmp(key, "group"))
			ret = load_group(ld, v, &group);
		else if (!strcmp(key, "allow_uids"))
			ret = load_uids(ld, v, false, &uids);
		else if (!strcmp(key, "allow_gids"))
			ret = load_uids(ld, v, true, &uids);
		else if (!strcmp(key, "allow_any_uid"))
			ret = load_bool(ld, v, &uids.any);
		else if (!strcmp(key, "max_ports"))
			ret = load_listener_count(ld, v, SW_MAX_PORTS_LIMIT, "",
						  "", &max_ports);
		else if (!strcmp(key, "impair"))
			ret = load_impair(ld, v, &impair);
		else if (!strcmp(key, "max_macs"))
			ret = load_listener_count(
				ld, v, SW_MAC_TABLE_LIMIT, "max_macs ",
				" (leave the key out for no limit)", &max_macs);
		else if (!strcmp(key, "edge"))
			ret = load_bool(ld, v, &edge);
		else if (!strcmp(key, "bpdu_guard"))
			ret = load_bool(ld, v, &guard);
		else if (!strcmp(key, "broadcast_limit"))
			ret = load_listener_count(
				ld, v, SW_STORM_FPS_MAX, "broadcast_limit ",
				" frames per second (leave the key out for no limit)",
				&broadcast_limit);
		else if (vlan_opts_json_key(key))
			; /* load_listener_vlan() */
		else
			ret = ld_err(
				ld, true,
				"unknown key (expected url, mode, group, allow_uids, allow_gids, allow_any_uid, max_ports, max_macs, broadcast_limit, impair, vlan, trunk, native, edge or bpdu_guard)");
		if (!strcmp(key, "allow_uids") || !strcmp(key, "allow_gids"))
			uids.given = true;
		path_pop(ld, saved);
		if (ret < 0)
			return ret;
	}
	if (load_listener_vlan(ld, obj, &vlan) < 0)
		return -EINVAL;
	if (!url)
		return ld_err(ld, false, "missing \"url\"");
	ret = load_listener_url(ld, url, obj, mode, group, &uids);
	if (ret < 0)
		return ret;
	lc = &ld->c->listen[ld->c->nlisten - 1];
	lc->impair = impair;
	lc->max_macs = max_macs;
	lc->broadcast_limit = broadcast_limit;
	lc->vlan = vlan;
	lc->no_edge = !edge;
	lc->bpdu_guard = guard;
	if (!max_ports)
		return 0;
	if (lc->addr.kind != LISTEN_UDP && lc->addr.kind != LISTEN_UNIXGRAM) {
		saved = path_push_key(ld, "max_ports");
		ret = ld_err(
			ld, true,
			"max_ports applies only to udp: and unixgram: listeners");
		path_pop(ld, saved);
		return ret;
	}
	lc->max_ports = max_ports;
	return 0;
}

static int load_listen(struct loader *ld, json_t *v)
{
	size_t i, saved;
	json_t *item;
	int ret = 0;

	if (!json_is_array(v))
		return ld_err(ld, false,
			      "expected an array of listeners, got %s",
			      config_json_kind(v));
	if (json_array_size(v) == 0)
		return ld_err(ld, false, "no listeners");
	config_clear_listen(ld->c);
	json_array_foreach(v, i, item) {
		saved = path_push_index(ld, i);
		if (json_is_string(item))
			ret = load_listener_url(ld, json_string_value(item),
						NULL, CONFIG_MODE_UNSET,
						CONFIG_GID_UNSET, NULL);
		else if (json_is_object(item))
			ret = load_listener_obj(ld, item);
		else
			ret = ld_err(
				ld, false,
				"expected a URL string or an object, got %s",
				config_json_kind(item));
		path_pop(ld, saved);
		if (ret < 0)
			return ret;
	}
	ld->c->listen_set = true;
	return 0;
}

/* ---- control socket -------------------------------------------------------- */

static int control_set_path(struct loader *ld, const char *path)
{
	char *copy, msg[PATH_MAX + 128];

	if (!*path)
		return ld_err(ld, false, "empty socket path");
	if (path_expand_dup(path, &copy, msg, sizeof(msg)) < 0)
		return ld_err(ld, false, "%s", msg);
	if (strlen(copy) >= sizeof(((struct listen_addr *)0)->path)) {
		free(copy);
		return ld_err(ld, false, "socket path longer than %zu bytes",
			      sizeof(((struct listen_addr *)0)->path) - 1);
	}
	free(ld->c->control.path);
	ld->c->control.path = copy;
	ld->c->control.off = false;
	return 0;
}

/**
 * load_control() - "control": "PATH", null (off), or {"path", "mode",
 * "group"}
 * @ld:		loader, path at the key
 * @v:		its value
 *
 * Return: 0 on success, negative error code on failure
 */
static int load_control(struct loader *ld, json_t *v)
{
	const char *key;
	size_t saved;
	json_t *m;
	int ret = 0;

	if (json_is_null(v)) {
		free(ld->c->control.path);
		ld->c->control.path = NULL;
		ld->c->control.off = true;
		return 0;
	}
	if (json_is_string(v))
		return control_set_path(ld, json_string_value(v));
	if (!json_is_object(v))
		return ld_err(
			ld, false,
			"expected a socket path, null or an object, got %s",
			config_json_kind(v));
	json_object_foreach(v, key, m) {
		saved = path_push_key(ld, key);
		if (!strcmp(key, "path") && !json_is_string(m))
			ret = ld_err(ld, false,
				     "expected a socket path, got %s",
				     config_json_kind(m));
		else if (!strcmp(key, "path"))
			ret = control_set_path(ld, json_string_value(m));
		else if (!strcmp(key, "mode"))
			ret = load_mode(ld, m, &ld->c->control.mode);
		else if (!strcmp(key, "group"))
			ret = load_group(ld, m, &ld->c->control.group);
		else
			ret = ld_err(
				ld, true,
				"unknown key (expected path, mode or group)");
		path_pop(ld, saved);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* "uplinks" and "connect": parsed in uplink_cfg.c, blamed here. */
static int load_uplinks(struct loader *ld, json_t *v, bool connect)
{
	struct uplink_json_err where;
	char msg[768];
	size_t saved = ld->plen;
	int ret;

	ret = config_load_uplinks(ld->c, v, connect, &where, msg, sizeof(msg));
	if (ret == -ENOMEM)
		return ld_nomem(ld);
	if (ret == 0)
		return 0;
	if (where.has_index)
		path_push_index(ld, where.index);
	if (where.key)
		path_push_key(ld, where.key);
	if (where.key && where.has_key_index)
		path_push_index(ld, where.key_index);
	ret = ld_err(ld, where.at_key, "%s", msg);
	path_pop(ld, saved);
	return ret;
}

/* ---- spanning tree ---------------------------------------------------------- */

/*
 * "stp": true, false, or {"priority": N, "hello_time": S, "max_age": S,
 * "forward_delay": S} (on, with those; the others default). Each value is
 * checked where it stands; the 802.1D relations between the times are
 * blamed on the object.
 */
static void set_stp_priority(struct swd_config *c, json_int_t v)
{
	c->stp.priority = (uint32_t)v;
}

static void set_stp_hello(struct swd_config *c, json_int_t v)
{
	c->stp.hello_s = (uint32_t)v;
}

static void set_stp_max_age(struct swd_config *c, json_int_t v)
{
	c->stp.max_age_s = (uint32_t)v;
}

static void set_stp_fwd_delay(struct swd_config *c, json_int_t v)
{
	c->stp.fwd_delay_s = (uint32_t)v;
}

static const struct int_key stp_keys[] = {
	{ "priority", 0, 65535, set_stp_priority,
	  " (32768 by default; lower wins the root election)" },
	{ "hello_time", 1, 10, set_stp_hello, " seconds (802.1D)" },
	{ "max_age", 6, 40, set_stp_max_age, " seconds (802.1D)" },
	{ "forward_delay", 4, 30, set_stp_fwd_delay, " seconds (802.1D)" },
};

static int load_stp(struct loader *ld, json_t *v)
{
	const char *key, *why;
	size_t saved, i;
	json_t *m;

	stp_cfg_default(&ld->c->stp);
	if (json_is_boolean(v)) {
		ld->c->stp_on = json_is_true(v);
		return 0;
	}
	if (!json_is_object(v))
		return ld_err(ld, false,
			      "expected true, false or an object, got %s",
			      config_json_kind(v));
	json_object_foreach(v, key, m) {
		saved = path_push_key(ld, key);
		for (i = 0; i < sizeof(stp_keys) / sizeof(stp_keys[0]); i++)
			if (!strcmp(key, stp_keys[i].name))
				break;
		if (i == sizeof(stp_keys) / sizeof(stp_keys[0]))
			return ld_err(
				ld, true,
				"unknown key (expected priority, hello_time, max_age or forward_delay)");
		if (load_int(ld, m, &stp_keys[i]) < 0)
			return -EINVAL;
		path_pop(ld, saved);
	}
	if (stp_cfg_check(&ld->c->stp, &why) < 0)
		return ld_err(ld, false, "%s", why);
	ld->c->stp_on = true;
	return 0;
}

/* ---- the top level ---------------------------------------------------------- */

static int load_member(struct loader *ld, const char *key, json_t *v)
{
	size_t i;

	if (!strcmp(key, "listen"))
		return load_listen(ld, v);
	if (!strcmp(key, "hub"))
		return load_bool(ld, v, &ld->c->core.hub);
	if (!strcmp(key, "daemon"))
		return load_bool(ld, v, &ld->c->daemon);
	if (!strcmp(key, "socket_mode"))
		return load_mode(ld, v, &ld->c->socket_mode);
	if (!strcmp(key, "log_level"))
		return load_log_level(ld, v);
	if (!strcmp(key, "pidfile"))
		return load_pidfile(ld, v);
	if (!strcmp(key, "metrics"))
		return load_metrics(ld, v);
	if (!strcmp(key, "control"))
		return load_control(ld, v);
	if (!strcmp(key, "uplinks") || !strcmp(key, "connect"))
		return load_uplinks(ld, v, key[0] == 'c');
	if (!strcmp(key, "stp"))
		return load_stp(ld, v);
	for (i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++) {
		if (!strcmp(key, int_keys[i].name))
			return load_int(ld, v, &int_keys[i]);
	}
	return ld_err(ld, true, "unknown key");
}

/**
 * check_txq_bytes() - a transmit queue must hold at least one whole frame
 * @ld:		loader, path at the root
 * @root:	the top-level object, to know which key to blame
 *
 * Return: 0 on success, negative error code on failure
 */
static int check_txq_bytes(struct loader *ld, json_t *root)
{
	const struct sw_params *p = &ld->c->core;
	const char *blame = "tx_queue_bytes";
	size_t saved;
	int ret;

	if (p->txq_bytes >= p->max_frame)
		return 0;
	if (!json_object_get(root, blame))
		blame = "max_frame";
	saved = path_push_key(ld, blame);
	ret = ld_err(ld, false,
		     "tx_queue_bytes (%zu) is smaller than max_frame (%u)",
		     p->txq_bytes, p->max_frame);
	path_pop(ld, saved);
	return ret;
}

static int load_root(struct loader *ld, json_t *root)
{
	const char *key;
	size_t saved;
	json_t *v;
	int ret;

	if (!json_is_object(root))
		return ld_err(ld, false, "expected an object, got %s",
			      config_json_kind(root));
	json_object_foreach(root, key, v) {
		saved = path_push_key(ld, key);
		ret = load_member(ld, key, v);
		path_pop(ld, saved);
		if (ret < 0)
			return ret;
	}
	return check_txq_bytes(ld, root);
}

/* ---- the interface ---------------------------------------------------------- */

/**
 * config_init() - fill a config with the built-in defaults
 * @c:		config to initialise; release it with config_fini()
 *
 * Defaults: sw_params_default() for the core, no listeners, unix socket
 * mode 0600, log level info, no pidfile, stay in the foreground. The
 * queue budget stays 0 here: the daemon fills in its default from the
 * machine's memory (config_default_queue_budget()).
 */
void config_init(struct swd_config *c)
{
	memset(c, 0, sizeof(*c));
	sw_params_default(&c->core);
	c->socket_mode = SOCKET_MODE_DEFAULT;
	c->log_level = LOG_LVL_INFO;
	c->dgram_idle_s = DGRAM_IDLE_DEFAULT_S;
	c->capture_budget = CAPTURE_BUDGET_DEFAULT;
	c->control.mode = CONFIG_MODE_UNSET;
	stp_cfg_default(&c->stp);
	c->control.group = CONFIG_GID_UNSET;
}

/**
 * config_default_queue_budget() - the queue budget when none is set
 * @ram_bytes:	physical memory of the machine, or 0 if unknown
 *
 * A sixteenth of the memory, within QUEUE_BUDGET_FLOOR (64 MiB) and
 * QUEUE_BUDGET_CEIL (1 GiB); the floor when the size is unknown.
 *
 * Return: bytes
 */
size_t config_default_queue_budget(uint64_t ram_bytes)
{
	uint64_t b = ram_bytes / 16;

	if (b < QUEUE_BUDGET_FLOOR)
		b = QUEUE_BUDGET_FLOOR;
	if (b > QUEUE_BUDGET_CEIL)
		b = QUEUE_BUDGET_CEIL;
	return (size_t)b;
}

/**
 * config_fini() - release what a config owns and zero it
 * @c:		config from config_init(), may be NULL
 */
void config_fini(struct swd_config *c)
{
	if (!c)
		return;
	config_clear_listen(c);
	config_clear_uplinks(c);
	free(c->path);
	free(c->pidfile);
	free(c->metrics);
	free(c->control.path);
	memset(c, 0, sizeof(*c));
}

/**
 * config_copy() - deep copy of a config
 * @dst:	uninitialised destination
 * @src:	source
 *
 * Return: 0 on success, -ENOMEM (then @dst holds nothing to release)
 */
static int config_copy(struct swd_config *dst, const struct swd_config *src)
{
	const struct listen_cfg *l;
	size_t i;

	*dst = *src;
	dst->path = NULL;
	dst->pidfile = NULL;
	dst->metrics = NULL;
	dst->control.path = NULL;
	dst->listen = NULL;
	dst->nlisten = 0;
	dst->uplinks = NULL;
	dst->nuplinks = 0;
	if (src->path && !(dst->path = strdup(src->path)))
		goto nomem;
	if (src->pidfile && !(dst->pidfile = strdup(src->pidfile)))
		goto nomem;
	if (src->metrics && !(dst->metrics = strdup(src->metrics)))
		goto nomem;
	if (src->control.path &&
	    !(dst->control.path = strdup(src->control.path)))
		goto nomem;
	if (config_copy_uplinks(dst, src) < 0)
		goto nomem;
	for (i = 0; i < src->nlisten; i++) {
		l = &src->listen[i];
		if (listen_append(dst, l->url, &l->addr, l->mode, l->group,
				  &l->uids))
			goto nomem;
		dst->listen[dst->nlisten - 1].max_ports = l->max_ports;
		dst->listen[dst->nlisten - 1].impair = l->impair;
		dst->listen[dst->nlisten - 1].max_macs = l->max_macs;
		dst->listen[dst->nlisten - 1].broadcast_limit =
			l->broadcast_limit;
		dst->listen[dst->nlisten - 1].vlan = l->vlan;
		dst->listen[dst->nlisten - 1].no_edge = l->no_edge;
		dst->listen[dst->nlisten - 1].bpdu_guard = l->bpdu_guard;
	}
	return 0;
nomem:
	config_fini(dst);
	return -ENOMEM;
}

static int load_text(struct loader *ld, const char *path)
{
	const char *nul = memchr(ld->text, '\0', ld->len);
	json_error_t jerr;
	json_t *root;
	int ret;

	if (nul) {
		/* jansson would stop there and take the rest as absent. */
		unsigned line = 1, col = 1;
		const char *p;

		for (p = ld->text; p < nul; p++, col++)
			if (*p == '\n')
				line++, col = 0;
		snprintf(
			ld->err, ld->errlen,
			"%s:%u:%u: NUL byte in the file: a config file is JSON text",
			path, line, col);
		return -EINVAL;
	}
	root = json_loadb(ld->text, ld->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line > 0)
			snprintf(ld->err, ld->errlen, "%s:%d:%d: %s", path,
				 jerr.line, jerr.column, jerr.text);
		else
			snprintf(ld->err, ld->errlen, "%s: %s", path,
				 jerr.text);
		return -EINVAL;
	}
	ret = load_root(ld, root);
	if (ret == 0) {
		free(ld->c->path);
		ld->c->path = strdup(path);
		if (!ld->c->path)
			ret = ld_nomem(ld);
	}
	json_decref(root);
	return ret;
}

/**
 * config_load() - read a JSON config file on top of @c
 * @c:		config to update; left untouched on failure
 * @path:	file name
 * @err:	on failure, "FILE:LINE:COL: $.json.path: message", or
 *		"FILE: message" when there is no position (file unreadable)
 * @errlen:	size of @err
 *
 * Keys absent from the file keep the value they have in @c (the defaults,
 * after config_init()); a "listen" key replaces @c's listeners. Any unknown
 * key, wrong type or value out of range fails the whole load.
 *
 * Return: 0 on success, negative error code on failure
 */
int config_load(struct swd_config *c, const char *path, char *err,
		size_t errlen)
{
	struct loader ld = { .file = path,
			     .path = "$",
			     .plen = 1,
			     .err = err,
			     .errlen = errlen };
	struct swd_config tmp;
	char *text = NULL;
	int ret;

	ret = read_text(path, &text, &ld.len, err, errlen);
	if (ret < 0)
		return ret;
	ld.text = text;
	ret = config_copy(&tmp, c);
	if (ret < 0) {
		ld_nomem(&ld);
		goto out;
	}
	ld.c = &tmp;
	ret = load_text(&ld, path);
	if (ret < 0) {
		config_fini(&tmp);
		goto out;
	}
	config_fini(c);
	*c = tmp;
out:
	free(text);
	return ret;
}

/**
 * config_add_listen() - add a listener, as for a --listen flag
 * @c:		config
 * @url:	tcp:HOST:PORT, tcp:[V6]:PORT or unix:PATH
 * @mode:	unix: socket mode 0-0777, or CONFIG_MODE_UNSET
 * @group:	unix: socket group, or CONFIG_GID_UNSET
 * @err:	on failure, a message quoting the bad part
 * @errlen:	size of @err
 *
 * Appends to @c's listeners and sets @c->listen_set.
 *
 * Return: 0 on success, negative error code on failure
 */
int config_add_listen(struct swd_config *c, const char *url, int mode,
		      gid_t group, char *err, size_t errlen)
{
	struct listen_addr addr;
	int ret;

	ret = listen_url_parse(url, &addr, err, errlen);
	if (ret < 0)
		return ret;
	if (mode != CONFIG_MODE_UNSET && (mode < 0 || mode > 0777)) {
		snprintf(err, errlen, "`%o' is not an octal mode 0-0777",
			 (unsigned)mode);
		return -EINVAL;
	}
	if ((addr.kind == LISTEN_TCP || addr.kind == LISTEN_UDP) &&
	    (mode != CONFIG_MODE_UNSET || group != CONFIG_GID_UNSET)) {
		snprintf(err, errlen,
			 "`%s': mode and group apply only to unix: listeners",
			 url);
		return -EINVAL;
	}
	if (listen_append(c, url, &addr, mode, group, NULL) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->listen_set = true;
	return 0;
}

/**
 * log_level_parse() - a log level name to its value
 * @s:		"error", "warning", "info" or "debug"
 * @out:	on success, the level
 *
 * Return: 0 on success, -EINVAL for any other string
 */
int log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = {
		[LOG_LVL_ERROR] = "error",
		[LOG_LVL_WARNING] = "warning",
		[LOG_LVL_INFO] = "info",
		[LOG_LVL_DEBUG] = "debug",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

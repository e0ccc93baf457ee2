// SPDX-License-Identifier: MIT
/*
 * ctltest.c - asserting helpers for the control socket tests
 *
 * Every helper asserts, so a test reads as a list of expectations; replies
 * are checked for shape as well as content.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ctltest.h"

/**
 * ct_connect() - connect to the control socket of the daemon under test
 * @sw:		daemon (started with ss_daemon_auto_control)
 *
 * Return: the connection; the greeting has been checked
 */
struct ss_ctl *ct_connect(struct itest_sw *sw)
{
	struct ss_ctl *c;

	cr_assert(sw->d->ctl_path[0],
		  "the daemon should print `control socket PATH' at start");
	c = ss_ctl_connect(sw->d->ctl_path, 0);
	cr_assert_not_null(c, "connect to %s: %s", sw->d->ctl_path,
			   strerror(errno));
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(c->hello, "sockswitch"), "version")),
		SOCKSWITCH_VERSION, "greeting names the version");
	return c;
}

static char *dump(const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	return s ? s : strdup("(nothing)");
}

/**
 * ct_ok() - run a command that must succeed
 * @c:		connection
 * @cmd:	command
 * @args:	arguments (stolen) or NULL
 *
 * Return: its "return" value (new reference)
 */
json_t *ct_ok(struct ss_ctl *c, const char *cmd, json_t *args)
{
	json_t *reply = ss_ctl_cmd(c, cmd, args), *ret;
	char *s = dump(reply);

	ret = json_object_get(reply, "return");
	cr_assert_not_null(ret, "%s: expected a return, got %s", cmd, s);
	free(s);
	json_incref(ret);
	json_decref(reply);
	return ret;
}

/**
 * ct_fails() - run a command that must fail with @cls
 * @c:		connection
 * @cmd:	command
 * @args:	arguments (stolen) or NULL
 * @cls:	expected error class
 * @desc_part:	expected part of the description
 */
void ct_fails(struct ss_ctl *c, const char *cmd, json_t *args, const char *cls,
	      const char *desc_part)
{
	json_t *reply = ss_ctl_cmd(c, cmd, args), *e;
	const char *got_cls, *desc;
	char *s = dump(reply);

	e = json_object_get(reply, "error");
	got_cls = json_string_value(json_object_get(e, "class"));
	desc = json_string_value(json_object_get(e, "desc"));
	cr_assert(got_cls && desc, "%s: expected an error, got %s", cmd, s);
	cr_assert_str_eq(got_cls, cls, "%s: error class in %s", cmd, s);
	cr_assert_not_null(strstr(desc, desc_part),
			   "%s: error should say `%s': %s", cmd, desc_part, s);
	free(s);
	json_decref(reply);
}

/**
 * ct_event() - the next event called @name must come
 * @c:		subscribed connection
 * @name:	event name
 *
 * Return: the event's "data" (new reference)
 */
json_t *ct_event(struct ss_ctl *c, const char *name)
{
	json_t *ev = ss_ctl_event(c, name, SS_TIMEOUT_MS), *data;

	cr_assert_not_null(ev, "no %s event within %d ms", name, SS_TIMEOUT_MS);
	cr_assert_not_null(json_object_get(ev, "timestamp"),
			   "%s: events carry a timestamp", name);
	data = json_incref(json_object_get(ev, "data"));
	json_decref(ev);
	cr_assert_not_null(data, "%s: events carry data", name);
	return data;
}

/**
 * ct_port() - query-ports for one port, which must exist
 * @c:		connection
 * @port:	port number
 *
 * Return: its object (new reference)
 */
json_t *ct_port(struct ss_ctl *c, int port)
{
	json_t *ports = ct_ok(c, "query-ports", NULL), *p;

	p = json_incref(ss_ctl_port(ports, port));
	json_decref(ports);
	cr_assert_not_null(p, "query-ports should list port %d", port);
	return p;
}

/**
 * ct_int() - an integer member, by a dotted path ("rx.frames")
 * @o:		object
 * @path:	member path
 *
 * Return: its value (asserted to exist)
 */
long long ct_int(const json_t *o, const char *path)
{
	char buf[128], *key, *save = NULL;
	const json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && v;
	     key = strtok_r(NULL, ".", &save))
		v = json_object_get(v, key);
	cr_assert(json_is_integer(v), "no integer at %s", path);
	return (long long)json_integer_value(v);
}

/**
 * ct_args_port() - {"port": N}
 * @port:	port number
 *
 * Return: new object
 */
json_t *ct_args_port(int port)
{
	return json_pack("{s:i}", "port", port);
}

/**
 * ct_no_frame() - nothing arrives at @to for @ms milliseconds
 * @to:		station
 * @ms:		how long to watch
 */
void ct_no_frame(struct itest_sta *to, int ms)
{
	const uint8_t *f;
	size_t len;
	int ret = ss_recv_frame(to->c, &f, &len, ms);

	cr_assert_eq(ret, -ETIMEDOUT,
		     "%s: expected no frame, got %s (seq %lld)", to->name,
		     ret == 0 ? "one" : strerror(-ret),
		     ret == 0 ? (long long)ss_frame_seq(f, len) : -1LL);
}

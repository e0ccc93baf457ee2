// SPDX-License-Identifier: MIT
/*
 * capture_ctl.c - control commands for packet capture
 *
 * capture-start, capture-stop and query-captures, registered with
 * ctl_register(): they turn the request's arguments into the capture API
 * of capture.c and its state back into JSON (docs/capture.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "control/control.h"
#include "transport/transport.h"

static const char *const start_keys[] = { "port",      "file",	     "filter",
					  "max-bytes", "max-frames", "snaplen",
					  "buffer",    NULL };
static const char *const stop_keys[] = { "id", "port", NULL };
static const char *const no_keys[] = { NULL };

static json_t *capture_json(const struct capture_info *ci)
{
	return json_pack(
		"{s:I,s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		"s:I,s:I,s:b}",
		"id", (json_int_t)ci->id, "port", (json_int_t)ci->port, "name",
		ci->port_name, "file", ci->path, "filter", ci->filter, "frames",
		(json_int_t)ci->frames, "bytes", (json_int_t)ci->bytes,
		"dropped", (json_int_t)ci->dropped, "filtered",
		(json_int_t)ci->filtered, "buffered", (json_int_t)ci->buffered,
		"max-bytes", (json_int_t)ci->max_bytes, "max-frames",
		(json_int_t)ci->max_frames, "snaplen", (json_int_t)ci->snaplen,
		"buffer", (json_int_t)ci->buffer, "stalled", ci->stalled);
}

/* Fail on an argument not in @keys (NULL-terminated). */
static int only_keys(struct ctl_req *r, const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(r->args, key, v) {
		const char *const *k = keys;

		while (*k && strcmp(*k, key))
			k++;
		if (!*k) {
			ctl_fail(r, CTL_ERR_GENERIC, "unknown argument `%.64s'",
				 key);
			return -1;
		}
	}
	return 0;
}

/* An optional integer argument >= @min; left alone if absent. */
static int int_arg(struct ctl_req *r, const char *key, json_int_t min,
		   uint64_t *out)
{
	json_t *v = json_object_get(r->args, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min) {
		ctl_fail(
			r, CTL_ERR_GENERIC,
			"\"%s\" must be an integer of at least %" JSON_INTEGER_FORMAT,
			key, min);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* "port": a number, a name or "all", as text for the capture API. */
static int port_arg(struct ctl_req *r, char *buf, size_t len, bool *given)
{
	json_t *v = json_object_get(r->args, "port");

	*given = v != NULL;
	if (!v)
		return 0;
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else {
		ctl_fail(r, CTL_ERR_GENERIC,
			 "\"port\" must be a port number, a name or \"all\"");
		return -1;
	}
	return 0;
}

static int str_arg(struct ctl_req *r, const char *key, const char **out)
{
	json_t *v = json_object_get(r->args, key);

	if (!v)
		return 0;
	if (!json_is_string(v)) {
		ctl_fail(r, CTL_ERR_GENERIC, "\"%s\" must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static json_t *capture_by_id(struct ctl_req *r, unsigned id)
{
	struct capture_info ci;
	unsigned k;

	for (k = 0; k < CAPTURE_MAX; k++)
		if (capture_get(r->d, k, &ci) && ci.id == id)
			return capture_json(&ci);
	/* Ended already (its reader went away at once). */
	return json_pack("{s:I,s:b}", "id", (json_int_t)id, "ended", 1);
}

static json_t *cmd_capture_start(struct ctl_req *r)
{
	struct capture_spec s;
	char target[64] = "all", err[512];
	uint64_t snaplen, buffer;
	bool given;
	int id;

	capture_spec_default(&s);
	snaplen = s.snaplen;
	buffer = s.buffer;
	if (only_keys(r, start_keys) < 0 ||
	    port_arg(r, target, sizeof(target), &given) < 0 ||
	    str_arg(r, "file", &s.path) < 0 ||
	    str_arg(r, "filter", &s.filter) < 0 ||
	    int_arg(r, "max-bytes", 0, &s.max_bytes) < 0 ||
	    int_arg(r, "max-frames", 0, &s.max_frames) < 0 ||
	    int_arg(r, "snaplen", 1, &snaplen) < 0 ||
	    int_arg(r, "buffer", 1, &buffer) < 0)
		return NULL;
	if (!given)
		return ctl_fail(
			r, CTL_ERR_GENERIC,
			"missing argument \"port\" (number, name or \"all\")");
	if (!s.path)
		return ctl_fail(r, CTL_ERR_GENERIC,
				"missing argument \"file\" (file or FIFO)");
	if (s.path[0] != '/')
		return ctl_fail(
			r, CTL_ERR_GENERIC,
			"\"file\" must be an absolute path (the switch's working directory is not yours)");
	if (s.filter && !*s.filter)
		s.filter = NULL;
	s.target = target;
	s.snaplen = snaplen > UINT32_MAX ? UINT32_MAX : (uint32_t)snaplen;
	s.buffer = (size_t)buffer;
	id = capture_start(r->d, &s, err, sizeof(err));
	if (id < 0)
		return ctl_fail(
			r, id == -ENOENT ? CTL_ERR_NO_PORT : CTL_ERR_GENERIC,
			"%s", err);
	return capture_by_id(r, (unsigned)id);
}

static json_t *cmd_capture_stop(struct ctl_req *r)
{
	char target[64], err[256];
	uint64_t id = 0;
	bool given;
	int n;

	if (only_keys(r, stop_keys) < 0 || int_arg(r, "id", 1, &id) < 0 ||
	    port_arg(r, target, sizeof(target), &given) < 0)
		return NULL;
	n = capture_stop(r->d, id > UINT32_MAX ? UINT32_MAX : (unsigned)id,
			 given ? target : NULL, err, sizeof(err));
	if (n < 0)
		return ctl_fail(r, CTL_ERR_GENERIC, "%s", err);
	return json_pack("{s:i}", "stopped", n);
}

static json_t *cmd_query_captures(struct ctl_req *r)
{
	struct capture_info ci;
	json_t *a;
	unsigned k;

	if (only_keys(r, no_keys) < 0)
		return NULL;
	a = json_array();
	for (k = 0; a && k < CAPTURE_MAX; k++)
		if (capture_get(r->d, k, &ci))
			json_array_append_new(a, capture_json(&ci));
	return a;
}

static const struct ctl_cmd capture_cmds[] = {
	{ "capture-start", cmd_capture_start,
	  "{\"port\": P|\"all\", \"file\": PATH, \"filter\"?, \"max-bytes\"?, "
	  "\"max-frames\"?, \"snaplen\"?, \"buffer\"?}: capture to pcap" },
	{ "capture-stop", cmd_capture_stop,
	  "{\"id\"?: N, \"port\"?: P|\"all\"}: end captures (all if no argument)" },
	{ "query-captures", cmd_query_captures,
	  "the running captures and their counters" },
};

/**
 * capture_ctl_register() - add the capture commands to the control socket
 * @d:		the daemon
 *
 * Return: 0 on success, -ENOMEM
 */
int capture_ctl_register(struct swd *d)
{
	return ctl_register(d, capture_cmds,
			    sizeof(capture_cmds) / sizeof(capture_cmds[0]));
}

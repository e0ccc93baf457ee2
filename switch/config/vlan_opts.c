// SPDX-License-Identifier: MIT
/*
 * vlan_opts.c - port VLAN modes as text, for uplink specs and the control
 * command, and as JSON keys ("vlan", "trunk", "native") of a listener and
 * an uplink object, so that all of them say the same
 *
 * Spec options: ",vlan=N" makes an access port; ",trunk=LIST" a trunk,
 * LIST being VLANs N and ranges A-B joined by ':' (the comma already
 * separates options); ",native=N" its native VLAN. The text form is
 * "none", "access N" or "trunk LIST [native N]", LIST joined by ','.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "config/vlan_opts.h"

/**
 * vlan_opts_vid() - check one VLAN number
 * @what:	the key or word it was given as, for the message
 * @v:		the number
 * @out:	the VLAN
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL when @v is not 1..4094
 */
int vlan_opts_vid(const char *what, long long v, uint16_t *out, char *err,
		  size_t errlen)
{
	if (v < VLAN_VID_MIN || v > VLAN_VID_MAX)
		return config_errf(err, errlen,
				   "%s: `%lld' is not a VLAN 1-4094", what, v);
	*out = (uint16_t)v;
	return 0;
}

/**
 * vlan_opts_finish() - put the pieces of a mode together and check them
 * @c:		the mode: access (@c->vid set) if @have_vlan, a trunk with
 *		@c->allowed set if @have_trunk, else none
 * @have_vlan:	"vlan" was given
 * @have_trunk:	"trunk" was given
 * @native:	"native", or -1 if not given
 * @key:	on failure, the key at fault
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL
 */
int vlan_opts_finish(struct vlan_cfg *c, bool have_vlan, bool have_trunk,
		     long native, const char **key, char *err, size_t errlen)
{
	uint16_t vid;

	if (have_vlan && have_trunk) {
		*key = "trunk";
		return config_errf(
			err, errlen,
			"a port is either an access port (vlan) or a trunk (trunk), not both");
	}
	if (native >= 0 && !have_trunk) {
		*key = "native";
		return config_errf(err, errlen,
				   "native applies only to a trunk");
	}
	if (have_vlan) {
		vid = c->vid;
		vlan_cfg_access(c, vid);
		return 0;
	}
	if (!have_trunk) {
		vlan_cfg_none(c);
		return 0;
	}
	c->mode = VLAN_MODE_TRUNK;
	c->vid = 0;
	if (native < 0)
		return 0;
	*key = "native";
	if (vlan_opts_vid("native", native, &vid, err, errlen) < 0)
		return -EINVAL;
	if (!vlan_has(c->allowed, vid))
		return config_errf(err, errlen,
				   "native VLAN %u is not in the trunk's list",
				   vid);
	c->vid = vid;
	return 0;
}

/**
 * vlan_opts_json_key() - is @key one of the VLAN keys of a JSON object
 * @key:	a member name
 *
 * Return: true for "vlan", "trunk" and "native", which
 * vlan_opts_from_json() reads and the object's own parser skips
 */
bool vlan_opts_json_key(const char *key)
{
	return !strcmp(key, "vlan") || !strcmp(key, "trunk") ||
	       !strcmp(key, "native");
}

/* One VLAN number, a JSON integer, given as @what. */
static int json_vid(const json_t *v, const char *what, uint16_t *vid, char *err,
		    size_t errlen)
{
	if (!json_is_integer(v))
		return config_errf(err, errlen,
				   "expected a VLAN number 1-4094, got %s",
				   config_json_kind(v));
	return vlan_opts_vid(what, json_integer_value(v), vid, err, errlen);
}

/* A "trunk" array's VLANs into @c->allowed; @index set to the bad item. */
static int json_trunk(const json_t *v, struct vlan_cfg *c, long *index,
		      char *err, size_t errlen)
{
	const char *why;
	const json_t *item;
	uint16_t vid;
	size_t i;

	if (!json_is_array(v) || !json_array_size(v))
		return config_errf(
			err, errlen,
			"expected a non-empty array of VLANs and ranges, e.g. [10, \"20-29\"], got %s",
			json_is_array(v) ? "an empty array"
					 : config_json_kind(v));
	json_array_foreach(v, i, item) {
		*index = (long)i;
		if (json_is_integer(item)) {
			if (json_vid(item, "trunk", &vid, err, errlen) < 0)
				return -EINVAL;
			vlan_set(c->allowed, vid);
		} else if (!json_is_string(item)) {
			return config_errf(
				err, errlen,
				"expected a VLAN number or an \"A-B\" range, got %s",
				config_json_kind(item));
		} else if (vlan_list_parse(c, json_string_value(item), ',',
					   &why) < 0) {
			return config_errf(err, errlen, "`%s': %s",
					   json_string_value(item), why);
		}
	}
	*index = -1;
	return 0;
}

/**
 * vlan_opts_from_json() - the mode an object's "vlan", "trunk" and
 *			   "native" keys give (a listener, an uplink object)
 * @obj:	the object; its other keys are not looked at
 * @c:		the mode; none without those keys
 * @key:	on failure, the key at fault, or NULL
 * @index:	on failure, the item of "trunk" at fault, or -1
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL
 */
int vlan_opts_from_json(struct json_t *obj, struct vlan_cfg *c,
			const char **key, long *index, char *err, size_t errlen)
{
	bool have_vlan = false, have_trunk = false;
	const char *k;
	long native = -1;
	json_t *v;
	uint16_t vid;

	vlan_cfg_none(c);
	*key = NULL;
	*index = -1;
	json_object_foreach(obj, k, v) {
		*key = k;
		if (!strcmp(k, "vlan")) {
			have_vlan = true;
			if (json_vid(v, "vlan", &c->vid, err, errlen) < 0)
				return -EINVAL;
		} else if (!strcmp(k, "native")) {
			if (json_vid(v, "native", &vid, err, errlen) < 0)
				return -EINVAL;
			native = vid;
		} else if (!strcmp(k, "trunk")) {
			have_trunk = true;
			if (json_trunk(v, c, index, err, errlen) < 0)
				return -EINVAL;
		}
	}
	*key = NULL;
	return vlan_opts_finish(c, have_vlan, have_trunk, native, key, err,
				errlen);
}

/* A whole number, nothing else; -1 if @s is not one. */
static long vlan_num(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v > 65535 ? 65535 : v;
}

/* One option of a spec; 1 if it was one of ours, 0 if not, or -EINVAL. */
static int spec_opt(const char *tok, struct vlan_cfg *c, unsigned *seen,
		    long *native, char *err, size_t errlen)
{
	static const char *const keys[] = { "vlan=", "trunk=", "native=" };
	const char *why;
	unsigned i;
	long v;

	for (i = 0; i < 3 && strncmp(tok, keys[i], strlen(keys[i])); i++)
		;
	if (i == 3)
		return 0;
	if (*seen & (1u << i))
		return config_errf(err, errlen, "%.*s given twice",
				   (int)strlen(keys[i]) - 1, keys[i]);
	*seen |= 1u << i;
	tok += strlen(keys[i]);
	if (i == 1) {
		if (vlan_list_parse(c, tok, ':', &why) < 0)
			return config_errf(
				err, errlen,
				"trunk=%s: %s (VLANs N and ranges A-B joined by `:')",
				tok, why);
		return 1;
	}
	v = vlan_num(tok);
	if (v < 0)
		return config_errf(err, errlen, "%.*s: `%s' is not a number",
				   (int)strlen(keys[i]) - 1, keys[i], tok);
	if (i == 2)
		*native = v;
	else if (vlan_opts_vid("vlan", v, &c->vid, err, errlen) < 0)
		return -EINVAL;
	return 1;
}

/**
 * vlan_opts_spec_split() - take the VLAN options out of an uplink spec
 * @spec:	the spec, changed in place: ",vlan=N", ",trunk=LIST" and
 *		",native=N" removed (",," is an escaped comma, left alone)
 * @c:		the mode they give (none without them)
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL
 */
int vlan_opts_spec_split(char *spec, struct vlan_cfg *c, char *err,
			 size_t errlen)
{
	char *r = spec, *w = spec, *start, *end;
	const char *key = NULL;
	unsigned seen = 0;
	long native = -1;
	char save;
	int ours;

	vlan_cfg_none(c);
	while (*r) {
		if (r[0] != ',' || r[1] == ',' || r == spec) {
			if (r[0] == ',' && r[1] == ',')
				*w++ = *r++;
			*w++ = *r++;
			continue;
		}
		start = r + 1;
		for (end = start; *end && !(end[0] == ',' && end[1] != ',');
		     end += end[0] == ',' ? 2 : 1)
			;
		save = *end;
		*end = '\0';
		ours = spec_opt(start, c, &seen, &native, err, errlen);
		*end = save;
		if (ours < 0)
			return ours;
		if (!ours) {
			memmove(w, r, (size_t)(end - r));
			w += end - r;
		}
		r = end;
	}
	*w = '\0';
	if (vlan_opts_finish(c, seen & 1, seen & 2, native, &key, err, errlen) <
	    0)
		return -EINVAL;
	return 0;
}

/**
 * vlan_opts_spec_format() - the options of @c as a spec writes them
 * @c:		the mode
 * @buf:	"" (none), ",vlan=10" or ",trunk=10:20-29,native=10"
 * @size:	its size (VLAN_SPEC_LEN)
 */
void vlan_opts_spec_format(const struct vlan_cfg *c, char *buf, size_t size)
{
	size_t n;

	buf[0] = '\0';
	if (c->mode == VLAN_MODE_ACCESS) {
		snprintf(buf, size, ",vlan=%u", c->vid);
	} else if (c->mode == VLAN_MODE_TRUNK) {
		n = (size_t)snprintf(buf, size, ",trunk=");
		n += vlan_list_format(c, buf + n, size - n - 16, ':');
		if (c->vid)
			snprintf(buf + n, size - n, ",native=%u", c->vid);
	}
}

/**
 * vlan_opts_parse_text() - "none", "access N" or "trunk LIST [native N]"
 * @s:		the text (words separated by blanks; LIST joined by ',')
 * @c:		the mode
 * @err:	message on failure
 * @errlen:	its size
 *
 * Return: 0, or -EINVAL
 */
int vlan_opts_parse_text(const char *s, struct vlan_cfg *c, char *err,
			 size_t errlen)
{
	char w[4][96];
	const char *why, *key;
	int n = sscanf(s, "%95s %95s %95s %95s", w[0], w[1], w[2], w[3]);
	char extra[2];
	long v;

	vlan_cfg_none(c);
	if (n >= 1 && sscanf(s, "%*s %*s %*s %*s %1s", extra) == 1)
		n = 5;
	if (n == 1 && !strcmp(w[0], "none"))
		return 0;
	if (n == 2 && !strcmp(w[0], "access")) {
		v = vlan_num(w[1]);
		if (v < 0)
			return config_errf(err, errlen,
					   "access: `%s' is not a number",
					   w[1]);
		if (vlan_opts_vid("access", v, &c->vid, err, errlen) < 0)
			return -EINVAL;
		vlan_cfg_access(c, c->vid);
		return 0;
	}
	if ((n == 2 || (n == 4 && !strcmp(w[2], "native"))) &&
	    !strcmp(w[0], "trunk")) {
		if (vlan_list_parse(c, w[1], ',', &why) < 0)
			return config_errf(err, errlen, "trunk %s: %s", w[1],
					   why);
		v = n == 4 ? vlan_num(w[3]) : -1;
		if (n == 4 && v < 0)
			return config_errf(err, errlen,
					   "native: `%s' is not a number",
					   w[3]);
		return vlan_opts_finish(c, false, true, v, &key, err, errlen);
	}
	return config_errf(
		err, errlen,
		"expected `access N', `trunk LIST [native N]' or `none' (LIST: VLANs N and ranges A-B joined by `,')");
}

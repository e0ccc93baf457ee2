// SPDX-License-Identifier: MIT
/*
 * jsonpos.c - where a JSON path starts in JSON text
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * jansson keeps no positions for the values it parses, so when config.c
 * finds a problem after parsing (unknown key, wrong type, out of range) it
 * asks config_locate() for the line and column of the bad value. This file
 * owns that scanner: a cursor over the text that decodes strings, skips
 * values and walks members and elements along a path such as
 * "$.listen[1].mode". It never allocates, uses no jansson and reads only
 * inside the text it is given, whatever the text or the path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitchd.h"

/**
 * struct scan - a cursor over JSON text
 * @p:		next byte
 * @end:	end of the text
 * @line:	line of @p, from 1
 * @ncp:	code points before @p on its line (jansson counts columns in
 *		code points, not bytes, so we do too)
 */
struct scan {
	const char *p;
	const char *end;
	unsigned line;
	unsigned ncp;
};

static int scan_peek(const struct scan *s)
{
	return s->p < s->end ? (unsigned char)*s->p : -1;
}

static void scan_adv(struct scan *s)
{
	unsigned char b;

	if (s->p >= s->end)
		return;
	b = (unsigned char)*s->p++;
	if (b == '\n') {
		s->line++;
		s->ncp = 0;
	} else if ((b & 0xc0) != 0x80) {
		s->ncp++;
	}
}

static void scan_ws(struct scan *s)
{
	int c = scan_peek(s);

	while (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
		scan_adv(s);
		c = scan_peek(s);
	}
}

static int scan_hex4(struct scan *s, unsigned *out)
{
	unsigned v = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = scan_peek(s);
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		scan_adv(s);
	}
	*out = v;
	return 0;
}

/**
 * scan_uescape() - decode the XXXX of \uXXXX (and a following low
 * surrogate) into UTF-8
 * @s:		cursor just after "\u"
 * @out:	UTF-8 bytes
 *
 * Return: number of bytes in @out, or negative error code
 */
static int scan_uescape(struct scan *s, char out[4])
{
	unsigned cp, lo;

	if (scan_hex4(s, &cp) < 0)
		return -EINVAL;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -EINVAL;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (scan_peek(s) != '\\')
			return -EINVAL;
		scan_adv(s);
		if (scan_peek(s) != 'u')
			return -EINVAL;
		scan_adv(s);
		if (scan_hex4(s, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return -EINVAL;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/**
 * scan_char() - decode the next character of a JSON string
 * @s:		cursor inside a string (after its opening quote)
 * @out:	the character's bytes, UTF-8
 *
 * Return: number of bytes in @out, 0 at the closing quote (consumed), or
 * negative error code at end of text or on a bad escape
 */
static int scan_char(struct scan *s, char out[4])
{
	static const char esc_in[] = "\"\\/bfnrt";
	static const char esc_out[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int c = scan_peek(s);

	if (c < 0)
		return -EINVAL;
	scan_adv(s);
	if (c == '"')
		return 0;
	if (c != '\\') {
		out[0] = (char)c;
		return 1;
	}
	c = scan_peek(s);
	if (c < 0)
		return -EINVAL;
	scan_adv(s);
	if (c == 'u')
		return scan_uescape(s, out);
	e = c ? strchr(esc_in, c) : NULL;
	if (!e)
		return -EINVAL;
	out[0] = esc_out[e - esc_in];
	return 1;
}

/**
 * scan_string_is() - consume a JSON string and compare it with @want
 * @s:		cursor on the opening quote
 * @want:	decoded bytes to compare with
 * @wlen:	their length
 *
 * Return: 1 if equal, 0 if not, negative error code on bad text
 */
static int scan_string_is(struct scan *s, const char *want, size_t wlen)
{
	size_t at = 0;
	bool same = true;
	char ch[4];
	int n;

	scan_adv(s);
	while ((n = scan_char(s, ch)) > 0) {
		if (!same || at + (size_t)n > wlen ||
		    memcmp(want + at, ch, (size_t)n))
			same = false;
		else
			at += (size_t)n;
	}
	if (n < 0)
		return n;
	return same && at == wlen;
}

/**
 * scan_skip() - step over one JSON value of any kind
 * @s:		cursor on the value's first byte
 *
 * Containers are skipped by counting brackets outside strings, so nesting
 * depth costs no stack.
 *
 * Return: 0 on success, negative error code on bad text
 */
static int scan_skip(struct scan *s)
{
	unsigned long depth = 0;
	int c = scan_peek(s);

	if (c == '"')
		return scan_string_is(s, "", 0) < 0 ? -EINVAL : 0;
	if (c != '{' && c != '[') {
		while (c > 0 && !strchr(",]} \t\r\n", c)) {
			scan_adv(s);
			c = scan_peek(s);
		}
		return 0;
	}
	do {
		c = scan_peek(s);
		if (c < 0)
			return -EINVAL;
		if (c == '"') {
			if (scan_string_is(s, "", 0) < 0)
				return -EINVAL;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		scan_adv(s);
	} while (depth > 0);
	return 0;
}

/**
 * scan_past_item() - step over a container's current value and its comma
 * @s:		cursor on the value
 *
 * Return: 0 on success, -ENOENT if no comma follows (the container ends),
 * other negative error code on bad text
 */
static int scan_past_item(struct scan *s)
{
	if (scan_skip(s) < 0)
		return -EINVAL;
	scan_ws(s);
	if (scan_peek(s) != ',')
		return -ENOENT;
	scan_adv(s);
	return 0;
}

/**
 * scan_to_member() - move from an object's '{' to one member
 * @s:		cursor on the object
 * @key:	member name, decoded
 * @klen:	its length
 * @at_key:	stop on the member's key instead of its value
 *
 * Return: 0 on success, -ENOENT if there is no such member, negative error
 * code on bad text
 */
static int scan_to_member(struct scan *s, const char *key, size_t klen,
			  bool at_key)
{
	struct scan start;
	int same, ret;

	if (scan_peek(s) != '{')
		return -ENOENT;
	scan_adv(s);
	for (;;) {
		scan_ws(s);
		if (scan_peek(s) != '"')
			return -ENOENT;
		start = *s;
		same = scan_string_is(s, key, klen);
		if (same < 0)
			return same;
		scan_ws(s);
		if (scan_peek(s) != ':')
			return -EINVAL;
		scan_adv(s);
		scan_ws(s);
		if (same) {
			if (at_key)
				*s = start;
			return 0;
		}
		ret = scan_past_item(s);
		if (ret < 0)
			return ret;
	}
}

/**
 * scan_to_element() - move from an array's '[' to one element
 * @s:		cursor on the array
 * @idx:	element index, from 0
 *
 * Return: 0 on success, -ENOENT if the array is shorter, negative error
 * code on bad text
 */
static int scan_to_element(struct scan *s, unsigned long idx)
{
	unsigned long i;
	int ret;

	if (scan_peek(s) != '[')
		return -ENOENT;
	scan_adv(s);
	for (i = 0;; i++) {
		scan_ws(s);
		if (scan_peek(s) == ']' || scan_peek(s) < 0)
			return -ENOENT;
		if (i == idx)
			return 0;
		ret = scan_past_item(s);
		if (ret < 0)
			return ret;
	}
}

enum jseg {
	JSEG_END,
	JSEG_KEY,
	JSEG_INDEX,
};

/**
 * jpath_next() - split the next segment off a JSON path
 * @pp:		cursor into the path, after "$"; advanced past the segment
 * @key:	JSEG_KEY: decoded member name
 * @keysz:	size of @key
 * @klen:	JSEG_KEY: length of @key
 * @idx:	JSEG_INDEX: the index
 *
 * Segments are .name (up to the next '.' or '['), ["json string"] for any
 * other name, and [N].
 *
 * Return: enum jseg, or negative error code on a malformed path
 */
static int jpath_next(const char **pp, char *key, size_t keysz, size_t *klen,
		      unsigned long *idx)
{
	const char *p = *pp;
	struct scan s;
	char *end;
	int n;

	*klen = 0;
	if (*p == '\0')
		return JSEG_END;
	if (*p == '.') {
		for (p++; *p && *p != '.' && *p != '['; p++) {
			if (*klen + 1 >= keysz)
				return -ENAMETOOLONG;
			key[(*klen)++] = *p;
		}
		*pp = p;
		return JSEG_KEY;
	}
	if (*p != '[')
		return -EINVAL;
	if (p[1] >= '0' && p[1] <= '9') {
		errno = 0;
		*idx = strtoul(p + 1, &end, 10);
		if (errno || *end != ']')
			return -EINVAL;
		*pp = end + 1;
		return JSEG_INDEX;
	}
	if (p[1] != '"')
		return -EINVAL;
	s = (struct scan){ .p = p + 2, .end = p + strlen(p), .line = 1 };
	while ((n = scan_char(&s, key + *klen)) > 0) {
		*klen += (size_t)n;
		if (*klen + 4 > keysz)
			return -ENAMETOOLONG;
	}
	if (n < 0 || scan_peek(&s) != ']')
		return -EINVAL;
	*pp = s.p + 1;
	return JSEG_KEY;
}

/**
 * config_locate() - find where a value (or a member's key) starts in JSON
 * @text:	JSON text, as read from the file
 * @len:	length of @text
 * @path:	"$", "$.listen[1].mode", `$["odd key"]`...
 * @at_key:	the last segment is a member name: locate its key, not its value
 * @line:	on success, line number, from 1
 * @col:	on success, column in code points, from 1 (as jansson counts)
 *
 * The text is expected to be valid JSON (jansson parsed it already); a
 * malformed text or path makes it fail, never read out of bounds.
 *
 * Return: 0 on success, -ENOENT if @path is not in @text, other negative
 * error code on malformed input
 */
int config_locate(const char *text, size_t len, const char *path, bool at_key,
		  unsigned *line, unsigned *col)
{
	struct scan s = { .p = text, .end = text + len, .line = 1 };
	char key[JPATH_MAX];
	unsigned long idx = 0;
	size_t klen;
	int kind, ret;

	if (*path++ != '$')
		return -EINVAL;
	for (;;) {
		scan_ws(&s);
		kind = jpath_next(&path, key, sizeof(key), &klen, &idx);
		if (kind < 0)
			return kind;
		if (kind == JSEG_END)
			break;
		if (kind == JSEG_INDEX)
			ret = scan_to_element(&s, idx);
		else
			ret = scan_to_member(&s, key, klen,
					     at_key && *path == '\0');
		if (ret < 0)
			return ret;
	}
	if (s.p >= s.end)
		return -ENOENT;
	*line = s.line;
	*col = s.ncp + 1;
	return 0;
}

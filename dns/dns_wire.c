/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS wire format: reading names defensively, writing them compressed.
 */
#include <string.h>

#include "dns_wire.h"

static const char *const malformed_names[DNS_MALFORMED_MAX] = {
#define DNS_MALFORMED_NAME(name, str) [DNS_MALFORMED_##name] = str,
	DNS_MALFORMED_REASONS(DNS_MALFORMED_NAME)
#undef DNS_MALFORMED_NAME
};

const char *
dns_malformed_name(enum dns_malformed reason)
{
	if ((unsigned int)reason >= DNS_MALFORMED_MAX)
		return "?";
	return malformed_names[reason];
}

static inline uint8_t
ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

enum dns_malformed
dns_name_read(struct dns_cursor *c, uint8_t name[DNS_NAME_MAX], size_t *len)
{
	size_t pos = c->off;
	size_t segment_start = c->off; /* a pointer must land before this */
	size_t resume = 0;             /* cursor position after the first pointer */
	size_t out = 0;
	unsigned int hops = 0;

	for (;;) {
		uint8_t label;

		if (pos >= c->len)
			return DNS_MALFORMED_NAME_TRUNCATED;
		label = c->buf[pos];
		if ((label & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= c->len)
				return DNS_MALFORMED_NAME_TRUNCATED;
			target = (size_t)(label & 0x3f) << 8 | c->buf[pos + 1];
			/* Strictly decreasing targets cannot loop, and cannot point at themselves. */
			if (target >= segment_start)
				return DNS_MALFORMED_POINTER_FORWARD;
			if (++hops > DNS_POINTER_HOPS_MAX)
				return DNS_MALFORMED_POINTER_HOPS;
			if (resume == 0)
				resume = pos + 2;
			pos = target;
			segment_start = target;
			continue;
		}
		if (label > DNS_LABEL_MAX)
			return DNS_MALFORMED_LABEL_TYPE;
		if (out + 1 + label > DNS_NAME_MAX)
			return DNS_MALFORMED_NAME_TOO_LONG;
		if (pos + 1 + label > c->len)
			return DNS_MALFORMED_NAME_TRUNCATED;
		if (name != NULL)
			memcpy(name + out, c->buf + pos, 1 + (size_t)label);
		out += 1 + (size_t)label;
		pos += 1 + (size_t)label;
		if (label == 0)
			break;
	}
	c->off = resume != 0 ? resume : pos;
	if (len != NULL)
		*len = out;
	return DNS_MALFORMED_NONE;
}

static bool
host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

int
dns_name_from_text(const char *text, uint8_t name[DNS_NAME_MAX])
{
	size_t out = 0;
	const char *p = text;

	if (strcmp(text, ".") == 0)
		p = "";
	while (*p != '\0') {
		size_t label = 0;

		while (p[label] != '\0' && p[label] != '.') {
			if (!host_char(p[label]))
				return -1;
			label++;
		}
		if (label == 0 || label > DNS_LABEL_MAX || out + 1 + label + 1 > DNS_NAME_MAX)
			return -1;
		name[out] = (uint8_t)label;
		memcpy(name + out + 1, p, label);
		out += 1 + label;
		p += label;
		if (*p == '.')
			p++;
	}
	name[out++] = 0;
	return (int)out;
}

char *
dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t pos = 0, o = 0;

	if (cap < 2)
		goto bad;
	if (len == 1 && name[0] == 0) {
		strcpy(out, ".");
		return out;
	}
	while (pos < len && name[pos] != 0) {
		size_t label = name[pos];

		if (label > DNS_LABEL_MAX || pos + 1 + label > len || o + label + 2 > cap)
			goto bad;
		memcpy(out + o, name + pos + 1, label);
		o += label;
		out[o++] = '.';
		pos += 1 + label;
	}
	out[o] = '\0';
	return out;
bad:
	if (cap >= 2)
		strcpy(out, "?");
	else if (cap == 1)
		out[0] = '\0';
	return out;
}

void
dns_name_lower(uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		name[i] = ascii_lower(name[i]);
}

bool
dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

int
dns_name_under(const uint8_t *name, size_t len, const uint8_t *apex, size_t apex_len)
{
	size_t pos = 0;
	int depth = 0;

	for (;;) {
		if (len - pos == apex_len && dns_name_equal(name + pos, len - pos, apex, apex_len))
			return depth;
		if (pos >= len || name[pos] == 0)
			return -1;
		pos += 1 + (size_t)name[pos];
		if (pos > len)
			return -1;
		depth++;
	}
}

size_t
dns_name_parent(const uint8_t *name, size_t len)
{
	if (len == 0 || name[0] == 0 || (size_t)name[0] + 1 >= len)
		return 0;
	return (size_t)name[0] + 1;
}

void
dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->n_targets = 0;
}

static bool
room(struct dns_writer *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

bool
dns_put_u8(struct dns_writer *w, uint8_t v)
{
	if (!room(w, 1))
		return false;
	w->buf[w->len++] = v;
	return true;
}

bool
dns_put_u16(struct dns_writer *w, uint16_t v)
{
	if (!room(w, 2))
		return false;
	w->buf[w->len++] = (uint8_t)(v >> 8);
	w->buf[w->len++] = (uint8_t)v;
	return true;
}

bool
dns_put_u32(struct dns_writer *w, uint32_t v)
{
	if (!room(w, 4))
		return false;
	w->buf[w->len++] = (uint8_t)(v >> 24);
	w->buf[w->len++] = (uint8_t)(v >> 16);
	w->buf[w->len++] = (uint8_t)(v >> 8);
	w->buf[w->len++] = (uint8_t)v;
	return true;
}

bool
dns_put_bytes(struct dns_writer *w, const void *p, size_t n)
{
	if (!room(w, n))
		return false;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return true;
}

void
dns_patch_u16(struct dns_writer *w, size_t off, uint16_t v)
{
	if (off + 2 > w->len)
		return;
	w->buf[off] = (uint8_t)(v >> 8);
	w->buf[off + 1] = (uint8_t)v;
}

/*
 * Whether the name stored in the message at @p off equals @p suffix. The message is our own
 * output, but it is read with the same caps as untrusted input: a bug here must not loop.
 */
static bool
name_at_equals(const struct dns_writer *w, size_t off, const uint8_t *suffix, size_t slen)
{
	size_t s = 0;
	unsigned int hops = 0;

	while (off < w->len) {
		uint8_t label = w->buf[off];
		size_t i;

		if ((label & 0xc0) == 0xc0) {
			if (off + 1 >= w->len || ++hops > DNS_POINTER_HOPS_MAX)
				return false;
			off = (size_t)(label & 0x3f) << 8 | w->buf[off + 1];
			continue;
		}
		if (label > DNS_LABEL_MAX || s >= slen || suffix[s] != label ||
		    off + 1 + label > w->len || s + 1 + label > slen)
			return false;
		if (label == 0)
			return true;
		for (i = 1; i <= label; i++)
			if (ascii_lower(w->buf[off + i]) != ascii_lower(suffix[s + i]))
				return false;
		off += 1 + (size_t)label;
		s += 1 + (size_t)label;
	}
	return false;
}

/* Remember the label starts of @p upto bytes of a name just written at @p start. */
static void
remember_labels(struct dns_writer *w, size_t start, const uint8_t *name, size_t upto)
{
	size_t pos = 0;

	while (pos < upto && name[pos] != 0) {
		if (start + pos <= DNS_POINTER_OFFSET_MAX && w->n_targets < DNS_COMPRESS_MAX)
			w->targets[w->n_targets++] = (uint16_t)(start + pos);
		pos += 1 + (size_t)name[pos];
	}
}

bool
dns_put_name_plain(struct dns_writer *w, const uint8_t *name, size_t len)
{
	size_t start = w->len;

	if (!dns_put_bytes(w, name, len))
		return false;
	remember_labels(w, start, name, len);
	return true;
}

bool
dns_put_name(struct dns_writer *w, const uint8_t *name, size_t len)
{
	size_t s;

	for (s = 0; s < len && name[s] != 0; s += 1 + (size_t)name[s]) {
		unsigned int t;

		for (t = 0; t < w->n_targets; t++) {
			size_t start = w->len;

			if (!name_at_equals(w, w->targets[t], name + s, len - s))
				continue;
			if (!dns_put_bytes(w, name, s) ||
			    !dns_put_u16(w, (uint16_t)(0xc000u | w->targets[t])))
				return false;
			remember_labels(w, start, name, s);
			return true;
		}
	}
	return dns_put_name_plain(w, name, len);
}

size_t
dns_rr_begin(struct dns_writer *w, const uint8_t *owner, size_t owner_len, uint16_t type,
	     uint16_t rclass, uint32_t ttl)
{
	size_t rdlength_off;

	if (!dns_put_name(w, owner, owner_len) || !dns_put_u16(w, type) ||
	    !dns_put_u16(w, rclass) || !dns_put_u32(w, ttl))
		return 0;
	rdlength_off = w->len;
	if (!dns_put_u16(w, 0))
		return 0;
	return rdlength_off;
}

void
dns_rr_end(struct dns_writer *w, size_t rdlength_off)
{
	if (w->overflow || rdlength_off == 0)
		return;
	dns_patch_u16(w, rdlength_off, (uint16_t)(w->len - rdlength_off - 2));
}

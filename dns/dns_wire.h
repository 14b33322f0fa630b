/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_wire.h
 * DNS message format (RFC 1035 §4, RFC 6891): a bounds-checked read cursor, names with
 * compression, and a writer that compresses the names it writes.
 *
 * Every read goes through struct dns_cursor, which never reads past its buffer. Names are
 * handled in their uncompressed wire form (length-prefixed labels ending with the root label),
 * at most DNS_NAME_MAX bytes including the final zero. Label length bytes are all below 64, so a
 * byte-wise ASCII case-insensitive comparison of two wire names is a correct name comparison.
 *
 * Threads: pure functions over caller-owned buffers; any thread.
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255
#define DNS_LABEL_MAX 63
/** Compression pointers followed while reading one name. A name of 255 bytes has at most 127
 * labels, so a longer chain can only be a loop or a deliberate waste of time. */
#define DNS_POINTER_HOPS_MAX 127
/** Largest offset a compression pointer can express. */
#define DNS_POINTER_OFFSET_MAX 0x3fff
/** Size of a DNS message over TCP (RFC 1035 §4.2.2: 16-bit length prefix). */
#define DNS_MSG_MAX 65535
/** UDP payload without EDNS (RFC 1035 §2.3.4). */
#define DNS_UDP_CLASSIC 512
/** Fixed part of a resource record after its owner name: type, class, TTL, rdlength. */
#define DNS_RR_FIXED_LEN 10
/** An OPT record with no options: root owner, then the fixed part. */
#define DNS_OPT_LEN (1 + DNS_RR_FIXED_LEN)

/* Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.1.6 for AD and CD). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_FLAG_CD 0x0010u
#define DNS_OPCODE_SHIFT 11
#define DNS_OPCODE_MASK 0xfu
#define DNS_RCODE_MASK 0xfu

enum dns_opcode {
	DNS_OPCODE_QUERY = 0,
};

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16, /**< extended: upper 8 bits travel in the OPT TTL */
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_HINFO = 13,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_TKEY = 249,
	DNS_TYPE_TSIG = 250,
	DNS_TYPE_IXFR = 251,
	DNS_TYPE_AXFR = 252,
	DNS_TYPE_MAILB = 253,
	DNS_TYPE_MAILA = 254,
	DNS_TYPE_ANY = 255,
};

enum dns_class {
	DNS_CLASS_IN = 1,
	DNS_CLASS_ANY = 255,
};

/** EDNS(0) OPT TTL field (RFC 6891 §6.1.3): extended RCODE, version, DO bit. */
#define DNS_EDNS_VERSION_SHIFT 16
#define DNS_EDNS_DO 0x8000u

/**
 * Why a message could not be parsed. One counter per reason; the names are the counters'
 * names in the statistics dump.
 */
#define DNS_MALFORMED_REASONS(X)                                                       \
	X(NONE, "none")                                                                \
	X(SHORT_HEADER, "short_header")       /* fewer than 12 bytes: no reply possible */ \
	X(NAME_TRUNCATED, "name_truncated")   /* name runs past the end of the message */ \
	X(LABEL_TYPE, "label_type")           /* label length 64..191: obsolete types */   \
	X(NAME_TOO_LONG, "name_too_long")     /* more than 255 bytes uncompressed */       \
	X(POINTER_FORWARD, "pointer_forward") /* pointer not to an earlier offset */      \
	X(POINTER_HOPS, "pointer_hops")       /* more pointers than any real name needs */ \
	X(QDCOUNT, "qdcount")                 /* a query asks exactly one question */     \
	X(SECTIONS, "answer_or_authority")    /* a query carries no answer/authority */    \
	X(QUESTION_TRUNCATED, "question_truncated")                                    \
	X(RR_TRUNCATED, "rr_truncated")       /* ARCOUNT larger than the data */          \
	X(OPT_DUPLICATE, "opt_duplicate")     /* RFC 6891 §6.1.1: FORMERR */              \
	X(OPT_OWNER, "opt_owner")             /* OPT owner must be the root */            \
	X(OPT_OPTIONS, "opt_options")         /* options overrun the OPT rdata */         \
	X(QTYPE, "qtype")                     /* OPT, TSIG, TKEY, 0 cannot be asked for */ \
	X(TRAILING, "trailing_data")          /* bytes after the last record */           \
	X(TCP_LENGTH, "tcp_length")           /* TCP length prefix 0 or above our cap */

enum dns_malformed {
#define DNS_MALFORMED_ENUM(name, str) DNS_MALFORMED_##name,
	DNS_MALFORMED_REASONS(DNS_MALFORMED_ENUM)
#undef DNS_MALFORMED_ENUM
	DNS_MALFORMED_MAX
};

/** Name of a malformed reason for logs and counters ("?" for an out-of-range value). */
const char *dns_malformed_name(enum dns_malformed reason);

/** Read cursor over an untrusted message. */
struct dns_cursor {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static inline void
dns_cursor_init(struct dns_cursor *c, const uint8_t *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->off = 0;
}

static inline size_t
dns_cursor_left(const struct dns_cursor *c)
{
	return c->len - c->off;
}

static inline bool
dns_get_u8(struct dns_cursor *c, uint8_t *v)
{
	if (dns_cursor_left(c) < 1)
		return false;
	*v = c->buf[c->off++];
	return true;
}

static inline bool
dns_get_u16(struct dns_cursor *c, uint16_t *v)
{
	if (dns_cursor_left(c) < 2)
		return false;
	*v = (uint16_t)(c->buf[c->off] << 8 | c->buf[c->off + 1]);
	c->off += 2;
	return true;
}

static inline bool
dns_get_u32(struct dns_cursor *c, uint32_t *v)
{
	if (dns_cursor_left(c) < 4)
		return false;
	*v = (uint32_t)c->buf[c->off] << 24 | (uint32_t)c->buf[c->off + 1] << 16 |
	     (uint32_t)c->buf[c->off + 2] << 8 | c->buf[c->off + 3];
	c->off += 4;
	return true;
}

static inline bool
dns_skip(struct dns_cursor *c, size_t n)
{
	if (dns_cursor_left(c) < n)
		return false;
	c->off += n;
	return true;
}

/**
 * Read a possibly compressed name at the cursor and advance past it (past the first pointer,
 * if any). Pointers must point strictly before the label that holds them (RFC 1035 §4.1.4
 * "prior occurrence"), which rules out loops; the hop cap bounds the work anyway.
 * @param c     cursor; unchanged on error
 * @param name  output, the uncompressed wire form (may be NULL to only skip the name)
 * @param len   output, bytes in @p name including the root label (may be NULL)
 * @return DNS_MALFORMED_NONE or the reason the name is invalid.
 */
enum dns_malformed dns_name_read(struct dns_cursor *c, uint8_t name[DNS_NAME_MAX], size_t *len);

/**
 * Convert presentation text ("web.home1.avesnet.test", trailing dot optional, "." or "" for
 * the root) to wire form. Accepts letters, digits, '-' and '_' only (no escapes): the names in
 * an AVES configuration are host names.
 * @return the wire length, or -1 (bad character, empty label, label > 63, name > 255).
 */
int dns_name_from_text(const char *text, uint8_t name[DNS_NAME_MAX]);

/**
 * Write a wire name as presentation text with a trailing dot.
 * @return @p out (always NUL-terminated; "?" if @p cap is too small or the name is invalid).
 */
char *dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap);

/** ASCII lower-case a wire name in place (label lengths are unaffected). */
void dns_name_lower(uint8_t *name, size_t len);

/** Case-insensitive equality of two wire names. */
bool dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/**
 * Whether @p name is @p apex or below it (case-insensitive).
 * @return the number of labels of @p name above @p apex (0 for the apex itself), or -1 when
 *         @p name is not in the zone.
 */
int dns_name_under(const uint8_t *name, size_t len, const uint8_t *apex, size_t apex_len);

/**
 * Offset of the parent of the name (skip the first label); the root has no parent.
 * @return offset into @p name, or 0 for the root.
 */
size_t dns_name_parent(const uint8_t *name, size_t len);

/** Compression targets remembered by a writer (label starts of names already written). */
#define DNS_COMPRESS_MAX 64

/**
 * Writer into a bounded buffer. A write that does not fit sets @c overflow and writes nothing;
 * every later write is refused too, so a caller builds a whole section and checks once.
 */
struct dns_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
	unsigned int n_targets;
	uint16_t targets[DNS_COMPRESS_MAX];
};

/** Start writing at @p buf; @p cap is the most bytes the message may take. */
void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap);

bool dns_put_u8(struct dns_writer *w, uint8_t v);
bool dns_put_u16(struct dns_writer *w, uint16_t v);
bool dns_put_u32(struct dns_writer *w, uint32_t v);
bool dns_put_bytes(struct dns_writer *w, const void *p, size_t n);

/** Overwrite a 16-bit field already written (rdlength, header counts). */
void dns_patch_u16(struct dns_writer *w, size_t off, uint16_t v);

/**
 * Write a name, replacing its longest suffix already present in the message by a pointer
 * (RFC 1035 §4.1.4), and remember its labels as targets for later names.
 * @return false on overflow.
 */
bool dns_put_name(struct dns_writer *w, const uint8_t *name, size_t len);

/**
 * Write a name without compressing it (the question: it is copied as asked, case included)
 * and remember its labels as targets.
 */
bool dns_put_name_plain(struct dns_writer *w, const uint8_t *name, size_t len);

/**
 * Begin a resource record: owner, type, class, TTL and a placeholder rdlength.
 * @return the offset of the rdlength field, to pass to dns_rr_end(), or 0 on overflow.
 */
size_t dns_rr_begin(struct dns_writer *w, const uint8_t *owner, size_t owner_len, uint16_t type,
		    uint16_t rclass, uint32_t ttl);

/** Finish a record begun with dns_rr_begin(): fill in its rdlength. */
void dns_rr_end(struct dns_writer *w, size_t rdlength_off);

#endif /* DNS_WIRE_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dns_wire: the bounds-checked cursor, name reading against hostile encodings (compression
 * loops, forward pointers, pointers to themselves, long pointer chains, labels over 63, names
 * over 255, truncation at every length), text conversion, and the compressing writer, whose
 * output is compared byte for byte with hand-encoded messages.
 *
 * Every input is copied into a malloc'd buffer of exactly its size, so ASan and valgrind see
 * any read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_test.h"
#include "dns_wire.h"

/* Read a name from an exact-size copy of @p msg at @p off. */
static enum dns_malformed
read_at(const uint8_t *msg, size_t len, size_t off, uint8_t name[DNS_NAME_MAX], size_t *nlen,
	size_t *end)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct dns_cursor c;
	enum dns_malformed r;

	memcpy(copy, msg, len);
	dns_cursor_init(&c, copy, len);
	c.off = off;
	r = dns_name_read(&c, name, nlen);
	if (end != NULL)
		*end = c.off;
	free(copy);
	return r;
}

static void
test_cursor_bounds(void **state)
{
	const uint8_t buf[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	struct dns_cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	(void)state;
	dns_cursor_init(&c, buf, sizeof(buf));
	assert_true(dns_get_u32(&c, &u32));
	assert_int_equal(u32, 0x12345678);
	assert_false(dns_get_u16(&c, &u16)); /* one byte left */
	assert_int_equal(c.off, 4);
	assert_true(dns_get_u8(&c, &u8));
	assert_int_equal(u8, 0x9a);
	assert_false(dns_get_u8(&c, &u8));
	assert_false(dns_get_u32(&c, &u32));
	assert_false(dns_skip(&c, 1));
	assert_true(dns_skip(&c, 0));
	dns_cursor_init(&c, buf, 3);
	assert_false(dns_get_u32(&c, &u32));
	assert_int_equal(c.off, 0);
	assert_true(dns_get_u16(&c, &u16));
	assert_int_equal(u16, 0x1234);
}

static void
test_name_plain_and_compressed(void **state)
{
	/* offset 0: "a.example.com", offset 15: "www" + pointer to 2 ("example.com") */
	const uint8_t msg[] = {1,   'a', 7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c',
			       'o', 'm', 0,   3,   'w', 'w', 'w', 0xc0, 2};
	const uint8_t want[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
	uint8_t name[DNS_NAME_MAX];
	size_t len, end;

	(void)state;
	assert_int_equal(read_at(msg, sizeof(msg), 0, name, &len, &end), DNS_MALFORMED_NONE);
	assert_int_equal(len, 15);
	assert_int_equal(end, 15);
	assert_int_equal(read_at(msg, sizeof(msg), 15, name, &len, &end), DNS_MALFORMED_NONE);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(name, want, sizeof(want));
	assert_int_equal(end, sizeof(msg)); /* just past the pointer, not past the target */
}

static void
test_name_forward_pointer(void **state)
{
	/* A pointer to a later offset, even one holding a valid name. */
	const uint8_t msg[] = {0xc0, 2, 1, 'a', 0};
	/* A pointer to itself. */
	const uint8_t self[] = {0xc0, 0};
	/* A pointer to the label that holds it: "b" then pointer back to "b"'s own start. */
	const uint8_t own[] = {1, 'b', 0xc0, 0};
	/* A loop of two: 0 → 2 → 0; the second hop is forward. */
	const uint8_t loop2[] = {0xc0, 2, 0xc0, 0};

	(void)state;
	assert_int_equal(read_at(msg, sizeof(msg), 0, NULL, NULL, NULL), DNS_MALFORMED_POINTER_FORWARD);
	assert_int_equal(read_at(self, sizeof(self), 0, NULL, NULL, NULL), DNS_MALFORMED_POINTER_FORWARD);
	assert_int_equal(read_at(own, sizeof(own), 0, NULL, NULL, NULL), DNS_MALFORMED_POINTER_FORWARD);
	assert_int_equal(read_at(loop2, sizeof(loop2), 2, NULL, NULL, NULL),
			 DNS_MALFORMED_POINTER_FORWARD);
	assert_int_equal(read_at(loop2, sizeof(loop2), 0, NULL, NULL, NULL),
			 DNS_MALFORMED_POINTER_FORWARD);
}

static void
test_name_pointer_chain(void **state)
{
	/* offset 0: root; then N pointers, each to the previous one: a legal but absurd chain. */
	uint8_t msg[1 + 2 * 200];
	size_t i, len;
	uint8_t name[DNS_NAME_MAX];

	(void)state;
	msg[0] = 0;
	for (i = 0; i < 200; i++) {
		size_t prev = i == 0 ? 0 : 1 + 2 * (i - 1);

		msg[1 + 2 * i] = (uint8_t)(0xc0 | prev >> 8);
		msg[2 + 2 * i] = (uint8_t)prev;
	}
	/* DNS_POINTER_HOPS_MAX hops are allowed, one more is not. */
	assert_int_equal(read_at(msg, sizeof(msg), 1 + 2 * (DNS_POINTER_HOPS_MAX - 1), name, &len,
				 NULL),
			 DNS_MALFORMED_NONE);
	assert_int_equal(len, 1);
	assert_int_equal(read_at(msg, sizeof(msg), 1 + 2 * DNS_POINTER_HOPS_MAX, name, &len, NULL),
			 DNS_MALFORMED_POINTER_HOPS);
	assert_int_equal(read_at(msg, sizeof(msg), 1 + 2 * 199, name, &len, NULL),
			 DNS_MALFORMED_POINTER_HOPS);
}

static void
test_name_label_types(void **state)
{
	uint8_t msg[70];

	(void)state;
	/* 63 is the longest label; 64 (0x40) and 0x80 are the obsolete label types. */
	memset(msg, 'x', sizeof(msg));
	msg[0] = 63;
	msg[64] = 0;
	assert_int_equal(read_at(msg, 65, 0, NULL, NULL, NULL), DNS_MALFORMED_NONE);
	msg[0] = 64;
	assert_int_equal(read_at(msg, sizeof(msg), 0, NULL, NULL, NULL), DNS_MALFORMED_LABEL_TYPE);
	msg[0] = 0x80;
	assert_int_equal(read_at(msg, sizeof(msg), 0, NULL, NULL, NULL), DNS_MALFORMED_LABEL_TYPE);
	msg[0] = 0xbf;
	assert_int_equal(read_at(msg, sizeof(msg), 0, NULL, NULL, NULL), DNS_MALFORMED_LABEL_TYPE);
}

/* A name of @p labels labels of @p each bytes, at @p p; returns its length. */
static size_t
long_name(uint8_t *p, unsigned int labels, unsigned int each)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < labels; i++) {
		p[n++] = (uint8_t)each;
		memset(p + n, 'a' + (int)(i % 26), each);
		n += each;
	}
	p[n++] = 0;
	return n;
}

static void
test_name_length_limit(void **state)
{
	uint8_t msg[600], name[DNS_NAME_MAX];
	size_t n, len;

	(void)state;
	/* 3 labels of 63 + 1 of 61 + root = 4*64 - 2 + 1 = 255: the longest name. */
	n = long_name(msg, 3, 63);
	n--; /* drop the root to append one more label */
	msg[n++] = 61;
	memset(msg + n, 'z', 61);
	n += 61;
	msg[n++] = 0;
	assert_int_equal(n, 255);
	assert_int_equal(read_at(msg, n, 0, name, &len, NULL), DNS_MALFORMED_NONE);
	assert_int_equal(len, 255);
	/* One byte more. */
	n = long_name(msg, 3, 63) - 1;
	msg[n++] = 62;
	memset(msg + n, 'z', 62);
	n += 62;
	msg[n++] = 0;
	assert_int_equal(n, 256);
	assert_int_equal(read_at(msg, n, 0, name, &len, NULL), DNS_MALFORMED_NAME_TOO_LONG);
	/* Too long only through compression: 2 labels of 63 at 0, then 2 more + pointer to 0. */
	n = long_name(msg, 2, 63); /* 129 bytes, ends with root at 128 */
	{
		size_t start = n, m = long_name(msg + n, 2, 63) - 1;

		msg[start + m] = 0xc0;
		msg[start + m + 1] = 0;
		assert_int_equal(read_at(msg, start + m + 2, start, name, &len, NULL),
				 DNS_MALFORMED_NAME_TOO_LONG);
	}
}

static void
test_name_truncated_everywhere(void **state)
{
	/* "www.example.com" at 0, then "mail" + pointer to 4 at 17. */
	const uint8_t msg[] = {3,   'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
			       3,   'c', 'o', 'm', 0, 4, 'm', 'a', 'i', 'l', 0xc0, 4};
	size_t cut;

	(void)state;
	for (cut = 0; cut < 17; cut++)
		assert_int_equal(read_at(msg, cut, 0, NULL, NULL, NULL),
				 DNS_MALFORMED_NAME_TRUNCATED);
	assert_int_equal(read_at(msg, 17, 0, NULL, NULL, NULL), DNS_MALFORMED_NONE);
	for (cut = 17; cut < sizeof(msg); cut++)
		assert_int_equal(read_at(msg, cut, 17, NULL, NULL, NULL),
				 DNS_MALFORMED_NAME_TRUNCATED);
	assert_int_equal(read_at(msg, sizeof(msg), 17, NULL, NULL, NULL), DNS_MALFORMED_NONE);
	/* A cursor already at the end. */
	assert_int_equal(read_at(msg, sizeof(msg), sizeof(msg), NULL, NULL, NULL),
			 DNS_MALFORMED_NAME_TRUNCATED);
}

static void
test_name_text(void **state)
{
	uint8_t name[DNS_NAME_MAX];
	char text[DNS_NAME_MAX * 4 + 1], longest[300];
	int n;

	(void)state;
	n = dns_name_from_text("Web.home1.avesnet.test.", name);
	assert_int_equal(n, 24);
	assert_memory_equal(name, "\3Web\5home1\7avesnet\4test", 24);
	assert_int_equal(dns_name_from_text("web.home1.avesnet.test", name), 24);
	assert_int_equal(dns_name_from_text(".", name), 1);
	assert_int_equal(name[0], 0);
	assert_int_equal(dns_name_from_text("", name), 1);
	assert_int_equal(dns_name_from_text("a..b", name), -1);
	assert_int_equal(dns_name_from_text(".a", name), -1);
	assert_int_equal(dns_name_from_text("a b", name), -1);
	assert_int_equal(dns_name_from_text("a\\.b", name), -1);
	assert_int_equal(dns_name_from_text("under_score-ok", name), 16);
	memset(longest, 'x', 64);
	longest[64] = '\0';
	assert_int_equal(dns_name_from_text(longest, name), -1); /* label of 64 */
	longest[63] = '\0';
	assert_int_equal(dns_name_from_text(longest, name), 65);
	/* 127 labels of one byte = 254 bytes + root = 255; 128 labels is too long. */
	for (n = 0; n < 128; n++) {
		longest[2 * n] = 'a';
		longest[2 * n + 1] = '.';
	}
	longest[2 * 127 - 1] = '\0';
	assert_int_equal(dns_name_from_text(longest, name), 255);
	longest[2 * 127 - 1] = '.';
	longest[2 * 128 - 1] = '\0';
	assert_int_equal(dns_name_from_text(longest, name), -1);

	n = dns_name_from_text("web.home1.avesnet.test", name);
	assert_string_equal(dns_name_to_text(name, (size_t)n, text, sizeof(text)),
			    "web.home1.avesnet.test.");
	assert_string_equal(dns_name_to_text(name, (size_t)n, text, 5), "?");
	assert_string_equal(dns_name_to_text((const uint8_t *)"", 1, text, sizeof(text)), ".");
}

static void
test_name_compare(void **state)
{
	uint8_t a[DNS_NAME_MAX], b[DNS_NAME_MAX], apex[DNS_NAME_MAX];
	int na = dns_name_from_text("WEB.Home1.AvesNet.Test", a);
	int nb = dns_name_from_text("web.home1.avesnet.test", b);
	int nz = dns_name_from_text("avesnet.test", apex);

	(void)state;
	assert_true(dns_name_equal(a, (size_t)na, b, (size_t)nb));
	assert_int_equal(dns_name_under(a, (size_t)na, apex, (size_t)nz), 2);
	assert_int_equal(dns_name_under(apex, (size_t)nz, apex, (size_t)nz), 0);
	nb = dns_name_from_text("xavesnet.test", b);
	assert_int_equal(dns_name_under(b, (size_t)nb, apex, (size_t)nz), -1);
	nb = dns_name_from_text("test", b);
	assert_int_equal(dns_name_under(b, (size_t)nb, apex, (size_t)nz), -1);
	dns_name_lower(a, (size_t)na);
	assert_memory_equal(a, "\3web\5home1\7avesnet\4test", 24);
	assert_int_equal(dns_name_parent(a, (size_t)na), 4);
	assert_int_equal(dns_name_parent((const uint8_t *)"", 1), 0);
}

static void
test_writer_compression(void **state)
{
	uint8_t buf[128], n1[DNS_NAME_MAX], n2[DNS_NAME_MAX], n3[DNS_NAME_MAX];
	int l1 = dns_name_from_text("www.example.com", n1);
	int l2 = dns_name_from_text("mail.EXAMPLE.com", n2);
	int l3 = dns_name_from_text("com", n3);
	/* Hand-encoded: the second name points at "example.com" (offset 4), the third at
	 * "com" (offset 12), the fourth (www.example.com again) at offset 0. */
	const uint8_t want[] = {3,   'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				3,   'c', 'o', 'm', 0, 4,   'm', 'a', 'i', 'l', 0xc0, 4,
				0xc0, 12, 0xc0, 0};
	struct dns_writer w;

	(void)state;
	dns_writer_init(&w, buf, sizeof(buf));
	assert_true(dns_put_name(&w, n1, (size_t)l1));
	assert_true(dns_put_name(&w, n2, (size_t)l2));
	assert_true(dns_put_name(&w, n3, (size_t)l3));
	assert_true(dns_put_name(&w, n1, (size_t)l1));
	assert_false(w.overflow);
	assert_bytes(buf, w.len, want, sizeof(want));
}

static void
test_writer_overflow_and_rr(void **state)
{
	uint8_t buf[32], name[DNS_NAME_MAX];
	int l = dns_name_from_text("example.com", name);
	const uint8_t want[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
				0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1};
	struct dns_writer w;
	size_t rd;

	(void)state;
	dns_writer_init(&w, buf, sizeof(buf));
	rd = dns_rr_begin(&w, name, (size_t)l, 1, 1, 3600);
	assert_int_not_equal(rd, 0);
	dns_put_u32(&w, 0xc0000201);
	dns_rr_end(&w, rd);
	assert_bytes(buf, w.len, want, sizeof(want));
	/* 27 bytes used of 32: a 4-byte write fits, then nothing does, and nothing is partial. */
	assert_true(dns_put_u32(&w, 1));
	assert_false(dns_put_u16(&w, 1));
	assert_true(w.overflow);
	assert_int_equal(w.len, 31);
	assert_false(dns_put_u8(&w, 1)); /* refused after an overflow even though it would fit */
	assert_int_equal(w.len, 31);
	/* A name that does not fit. */
	dns_writer_init(&w, buf, 10);
	assert_false(dns_put_name(&w, name, (size_t)l));
	assert_int_equal(w.len, 0);
	assert_int_equal(dns_rr_begin(&w, name, (size_t)l, 1, 1, 0), 0);
}

static void
test_malformed_names(void **state)
{
	(void)state;
	assert_string_equal(dns_malformed_name(DNS_MALFORMED_POINTER_HOPS), "pointer_hops");
	assert_string_equal(dns_malformed_name(DNS_MALFORMED_MAX), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_bounds),
		cmocka_unit_test(test_name_plain_and_compressed),
		cmocka_unit_test(test_name_forward_pointer),
		cmocka_unit_test(test_name_pointer_chain),
		cmocka_unit_test(test_name_label_types),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_name_truncated_everywhere),
		cmocka_unit_test(test_name_text),
		cmocka_unit_test(test_name_compare),
		cmocka_unit_test(test_writer_compression),
		cmocka_unit_test(test_writer_overflow_and_rr),
		cmocka_unit_test(test_malformed_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file aves_conf.h
 * Reading libconfig files the same way in every AVES program: each setting read through one
 * typed getter that checks its range, every problem reported as
 *   file:line: setting.path: what is wrong (value)
 * and all problems collected (not just the first), unknown settings treated as errors.
 *
 * Usage: open, read every setting of every group through the getters, call
 * aves_conf_reject_unknown() for each group with the names it may hold, then check
 * aves_conf_errors(). No DPDK dependency. Single-threaded: used by the thread loading
 * configuration.
 */
#ifndef AVES_CONF_H
#define AVES_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libconfig.h>

#ifdef __cplusplus
extern "C" {
#endif

struct aves_conf {
	config_t cfg;
	char file[256];
	unsigned int errors;
	FILE *err;         /**< where problems are printed (stderr unless set) */
};

/** A setting is required, or optional with the given default. */
enum aves_conf_need { AVES_CONF_OPTIONAL = 0, AVES_CONF_REQUIRED = 1 };

/**
 * Parse a file. On a syntax error prints "file:line: syntax error: ..." and returns -1 (the
 * context still needs aves_conf_close()). Returns 0 on success.
 */
int aves_conf_open(struct aves_conf *conf, const char *path, FILE *err);

/** Release the parsed file. */
void aves_conf_close(struct aves_conf *conf);

/** The root group. */
const config_setting_t *aves_conf_root(const struct aves_conf *conf);

/** Number of problems reported so far. */
unsigned int aves_conf_errors(const struct aves_conf *conf);

/**
 * Report a problem with a setting (or with @p group when @p name is NULL), counted in
 * aves_conf_errors(). printf-style message; the file, line and setting path are prefixed.
 */
void aves_conf_error(struct aves_conf *conf, const config_setting_t *setting, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

/**
 * Report a problem with the setting at dotted @p path ("reassembly.per-source"), for checks
 * across settings. When the file does not set it (its default applies), the problem is
 * reported at the nearest group the file has, still naming the full setting.
 */
void aves_conf_error_path(struct aves_conf *conf, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Look up a member of a group. A missing required member is reported; a missing optional one
 * returns NULL silently.
 */
const config_setting_t *aves_conf_member(struct aves_conf *conf, const config_setting_t *group,
					 const char *name, enum aves_conf_need need);

/**
 * Typed getters. Each returns true when @p out holds a valid value (read or defaulted) and
 * false after reporting a problem (wrong type, out of range, unparsable); @p out is then left
 * at the default. Integers accept decimal or hex (libconfig syntax).
 */
bool aves_conf_uint(struct aves_conf *conf, const config_setting_t *group, const char *name,
		    enum aves_conf_need need, uint64_t min, uint64_t max, uint64_t def,
		    uint64_t *out);
bool aves_conf_bool(struct aves_conf *conf, const config_setting_t *group, const char *name,
		    enum aves_conf_need need, bool def, bool *out);
/** A string of at most @p cap - 1 bytes, copied into @p out. */
bool aves_conf_string(struct aves_conf *conf, const config_setting_t *group, const char *name,
		      enum aves_conf_need need, const char *def, char *out, size_t cap);
/** A dotted-quad IPv4 address, stored in network byte order. */
bool aves_conf_ipv4(struct aves_conf *conf, const config_setting_t *group, const char *name,
		    enum aves_conf_need need, uint32_t *out_be);
/** An IPv4 prefix "a.b.c.d/len" (host bits must be zero), address in network byte order. */
bool aves_conf_prefix(struct aves_conf *conf, const config_setting_t *group, const char *name,
		      enum aves_conf_need need, uint32_t *addr_be, uint8_t *len);
/**
 * A duration in milliseconds: an integer (milliseconds) or a string with a unit, e.g. "500ms",
 * "2s", "3min", "3h", "1d". Range-checked in milliseconds.
 */
bool aves_conf_duration_ms(struct aves_conf *conf, const config_setting_t *group,
			   const char *name, enum aves_conf_need need, uint64_t min_ms,
			   uint64_t max_ms, uint64_t def_ms, uint64_t *out_ms);

/** Parse helpers shared with command-line handling: 0 or -EINVAL / -ERANGE. */
int aves_conf_parse_ipv4(const char *text, uint32_t *out_be);
int aves_conf_parse_prefix(const char *text, uint32_t *addr_be, uint8_t *len);
int aves_conf_parse_duration_ms(const char *text, uint64_t *out_ms);

/**
 * An interface address "a.b.c.d/len": unlike a prefix, the host bits are the address itself;
 * len 1..30 (a /31 or /32 has no room for a neighbour). 0, -EINVAL or -ERANGE.
 */
int aves_conf_parse_iface(const char *text, uint32_t *addr_be, uint8_t *len);

/*
 * Compound settings. Each reports what is wrong with the setting itself; what its members
 * contain is read with the getters above.
 */

/**
 * A member that must be a group "{ ... }". A missing required one is reported; so is one of
 * another type. @return the group, or NULL.
 */
const config_setting_t *aves_conf_group(struct aves_conf *conf, const config_setting_t *parent,
					const char *name, enum aves_conf_need need);

/**
 * A member that must be a list of groups "( { ... }, ... )"; an empty "()" or "[]" is an empty
 * list. @return the list, or NULL (missing, or reported as the wrong type).
 */
const config_setting_t *aves_conf_list(struct aves_conf *conf, const config_setting_t *group,
				       const char *name, enum aves_conf_need need);

/** Element @p i of a list from aves_conf_list(), which must be a group: NULL after reporting. */
const config_setting_t *aves_conf_list_group(struct aves_conf *conf,
					     const config_setting_t *list, unsigned int i);

/** An interface address "a.b.c.d/len" (aves_conf_parse_iface()), address in network order. */
bool aves_conf_iface(struct aves_conf *conf, const config_setting_t *group, const char *name,
		     enum aves_conf_need need, uint32_t *addr_be, uint8_t *len);

/**
 * An array of 1..@p max lcore ids "[ 1, 2 ]", each 0..127, into @p out; *n is the number read
 * (entries that are not lcore ids are reported and skipped).
 */
bool aves_conf_lcores(struct aves_conf *conf, const config_setting_t *group, const char *name,
		      enum aves_conf_need need, uint32_t *out, unsigned int max, unsigned int *n);

/**
 * An array of at most @p max strings: addresses "a.b.c.d" when @p lens is NULL; with @p lens,
 * prefixes "a.b.c.d/len" with zero host bits, a bare address being a /32. Network order into
 * @p addrs; *n is the number read (bad entries are reported and skipped). A missing optional
 * array leaves *n = 0.
 */
bool aves_conf_ipv4_array(struct aves_conf *conf, const config_setting_t *group,
			  const char *name, enum aves_conf_need need, unsigned int max,
			  uint32_t *addrs, uint8_t *lens, unsigned int *n);

/**
 * Report every member of @p group whose name is not in @p allowed (NULL-terminated) as an
 * unknown setting, so a misspelt setting never silently falls back to its default.
 */
void aves_conf_reject_unknown(struct aves_conf *conf, const config_setting_t *group,
			      const char *const allowed[]);

/**
 * The setting at a dotted @p path ("lcores.workers"), or the root group when there is none:
 * where a cross-check problem that involves it is reported.
 */
const config_setting_t *aves_conf_lookup(const struct aves_conf *conf, const char *path);

/** Full dotted path of a setting ("waypoint.timers.wait", "ports.[1].address"). */
void aves_conf_path(const config_setting_t *setting, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* AVES_CONF_H */

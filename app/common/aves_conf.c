/* SPDX-License-Identifier: BSD-3-Clause */
#include "aves_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
aves_conf_open(struct aves_conf *conf, const char *path, FILE *err)
{
	memset(conf, 0, sizeof(*conf));
	config_init(&conf->cfg);
	conf->err = err != NULL ? err : stderr;
	snprintf(conf->file, sizeof(conf->file), "%s", path);

	if (config_read_file(&conf->cfg, path) == CONFIG_TRUE)
		return 0;

	conf->errors++;
	if (config_error_type(&conf->cfg) == CONFIG_ERR_FILE_IO)
		fprintf(conf->err, "%s: cannot read: %s\n", path, strerror(errno));
	else
		fprintf(conf->err, "%s:%d: syntax error: %s\n",
			config_error_file(&conf->cfg) ? config_error_file(&conf->cfg) : path,
			config_error_line(&conf->cfg), config_error_text(&conf->cfg));
	return -1;
}

void
aves_conf_close(struct aves_conf *conf)
{
	config_destroy(&conf->cfg);
}

const config_setting_t *
aves_conf_root(const struct aves_conf *conf)
{
	return config_root_setting(&conf->cfg);
}

unsigned int
aves_conf_errors(const struct aves_conf *conf)
{
	return conf->errors;
}

void
aves_conf_path(const config_setting_t *setting, char *out, size_t cap)
{
	const config_setting_t *chain[32];
	unsigned int depth = 0;
	size_t used = 0;

	out[0] = '\0';
	for (const config_setting_t *s = setting; s != NULL && !config_setting_is_root(s);
	     s = config_setting_parent(s)) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			break;
		chain[depth++] = s;
	}
	while (depth > 0 && used < cap) {
		const config_setting_t *s = chain[--depth];
		const char *name = config_setting_name(s);
		int n;

		if (name != NULL)
			n = snprintf(out + used, cap - used, "%s%s", used ? "." : "", name);
		else
			n = snprintf(out + used, cap - used, "[%d]", config_setting_index(s));
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The line of a setting, or of its nearest ancestor that has one (lists of scalars do not). */
static int
setting_line(const config_setting_t *s)
{
	for (; s != NULL; s = config_setting_parent(s))
		if (config_setting_source_line(s) > 0)
			return (int)config_setting_source_line(s);
	return 0;
}

static void
report(struct aves_conf *conf, const config_setting_t *s, const char *name, const char *fmt,
       va_list ap)
{
	char path[256];
	const char *file = s != NULL && config_setting_source_file(s) != NULL ?
		config_setting_source_file(s) : conf->file;

	int line = setting_line(s);

	aves_conf_path(s, path, sizeof(path));
	if (name != NULL) {
		size_t len = strlen(path);
		snprintf(path + len, sizeof(path) - len, "%s%s", len ? "." : "", name);
	}
	if (line > 0)
		fprintf(conf->err, "%s:%d: %s: ", file, line, path[0] ? path : "(top level)");
	else
		fprintf(conf->err, "%s: %s: ", file, path[0] ? path : "(top level)");
	vfprintf(conf->err, fmt, ap);
	fputc('\n', conf->err);
	conf->errors++;
}

void
aves_conf_error(struct aves_conf *conf, const config_setting_t *setting, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(conf, setting, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with member @p name of @p group (which may be missing). */
static void __attribute__((format(printf, 4, 5)))
member_error(struct aves_conf *conf, const config_setting_t *group, const char *name,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(conf, group, name, fmt, ap);
	va_end(ap);
}

const config_setting_t *
aves_conf_member(struct aves_conf *conf, const config_setting_t *group, const char *name,
		 enum aves_conf_need need)
{
	const config_setting_t *s = NULL;

	if (group != NULL)
		s = config_setting_get_member(group, name);
	if (s == NULL && need == AVES_CONF_REQUIRED)
		member_error(conf, group, name, "required setting is missing");
	return s;
}

/*
 * Rank of @p target among the settings named @p name that start on @p line, in document order
 * (libconfig keeps members in file order). Returns true when found; *rank counts the earlier ones.
 */
static bool
rank_on_line(const config_setting_t *node, const config_setting_t *target, const char *name,
	     unsigned int line, unsigned int *rank)
{
	int n;

	if (node == target)
		return true;
	if (config_setting_name(node) != NULL && strcmp(config_setting_name(node), name) == 0 &&
	    config_setting_source_line(node) == line)
		(*rank)++;
	if (!config_setting_is_aggregate(node))
		return false;
	n = config_setting_length(node);
	for (int i = 0; i < n; i++)
		if (rank_on_line(config_setting_get_elem(node, (unsigned int)i), target, name, line,
				 rank))
			return true;
	return false;
}

/*
 * libconfig 1.5 silently wraps an integer literal that does not fit 32 bits unless it carries
 * an L suffix ("a = 5000000000;" reads as 705032704). Re-read this setting's literal from its
 * source line — the k-th "name =" on the line when k settings of that name precede it there,
 * as in "( { id = 1; }, { id = 2; } )" — and report a mismatch instead of running with a
 * wrapped value.
 */
static bool
int_literal_wrapped(const struct aves_conf *conf, const config_setting_t *s, long long parsed)
{
	const char *file = config_setting_source_file(s) != NULL ?
		config_setting_source_file(s) : conf->file;
	const char *name = config_setting_name(s);
	unsigned int line = config_setting_source_line(s);
	unsigned int rank = 0, seen = 0;
	char buf[4096];
	bool wrapped = false;
	FILE *fp;

	if (config_setting_type(s) != CONFIG_TYPE_INT || name == NULL || line == 0)
		return false;
	if (!rank_on_line(config_root_setting(&conf->cfg), s, name, line, &rank))
		return false;
	fp = fopen(file, "r");
	if (fp == NULL)
		return false;
	for (unsigned int i = 0; i < line && fgets(buf, sizeof(buf), fp) != NULL; i++) {
		size_t nlen = strlen(name);

		if (i + 1 < line)
			continue;
		for (const char *p = strstr(buf, name); p != NULL; p = strstr(p + 1, name)) {
			const char *q = p + nlen;
			char *end;
			long long literal;

			if (p != buf && (p[-1] == '_' || p[-1] == '-' ||
					 (p[-1] >= 'a' && p[-1] <= 'z') ||
					 (p[-1] >= 'A' && p[-1] <= 'Z') ||
					 (p[-1] >= '0' && p[-1] <= '9')))
				continue;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '=' && *q != ':')
				continue;
			if (seen++ < rank)
				continue;
			q++;
			errno = 0;
			literal = strtoll(q, &end, 0);
			wrapped = end != q && (errno == ERANGE || literal != parsed);
			break;
		}
	}
	fclose(fp);
	return wrapped;
}

bool
aves_conf_uint(struct aves_conf *conf, const config_setting_t *group, const char *name,
	       enum aves_conf_need need, uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);
	long long v;

	*out = def;
	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		if (int_literal_wrapped(conf, s, v)) {
			aves_conf_error(conf, s,
					"integer does not fit 32 bits: write it with an L suffix, "
					"e.g. 5000000000L");
			return false;
		}
		break;
	default:
		aves_conf_error(conf, s, "must be an integer");
		return false;
	}
	if (v < 0 || (uint64_t)v < min || (uint64_t)v > max) {
		aves_conf_error(conf, s, "must be between %" PRIu64 " and %" PRIu64 " (%lld)", min,
				max, v);
		return false;
	}
	*out = (uint64_t)v;
	return true;
}

bool
aves_conf_bool(struct aves_conf *conf, const config_setting_t *group, const char *name,
	       enum aves_conf_need need, bool def, bool *out)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);

	*out = def;
	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		aves_conf_error(conf, s, "must be true or false");
		return false;
	}
	*out = config_setting_get_bool(s) != 0;
	return true;
}

/* The string value of a member, or NULL after reporting that it is not a string. */
static const char *
member_string(struct aves_conf *conf, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		aves_conf_error(conf, s, "must be a string in double quotes");
		return NULL;
	}
	return config_setting_get_string(s);
}

bool
aves_conf_string(struct aves_conf *conf, const config_setting_t *group, const char *name,
		 enum aves_conf_need need, const char *def, char *out, size_t cap)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);
	const char *v;

	snprintf(out, cap, "%s", def != NULL ? def : "");
	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	v = member_string(conf, s);
	if (v == NULL)
		return false;
	if (strlen(v) >= cap) {
		aves_conf_error(conf, s, "longer than %zu characters (\"%.40s...\")", cap - 1, v);
		return false;
	}
	snprintf(out, cap, "%s", v);
	return true;
}

int
aves_conf_parse_ipv4(const char *text, uint32_t *out_be)
{
	struct in_addr a;

	/* inet_pton accepts only the strict dotted-quad form, unlike inet_aton. */
	if (text == NULL || inet_pton(AF_INET, text, &a) != 1)
		return -EINVAL;
	*out_be = a.s_addr;
	return 0;
}

int
aves_conf_parse_prefix(const char *text, uint32_t *addr_be, uint8_t *len)
{
	char buf[32];
	const char *slash = text != NULL ? strchr(text, '/') : NULL;
	char *end;
	unsigned long bits;
	uint32_t addr, mask;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(buf) || slash[1] == '\0')
		return -EINVAL;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	if (aves_conf_parse_ipv4(buf, &addr) != 0)
		return -EINVAL;
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0 || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	if (bits > 32)
		return -ERANGE;
	mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));
	if ((addr & ~mask) != 0)
		return -EINVAL;
	*addr_be = addr;
	*len = (uint8_t)bits;
	return 0;
}

int
aves_conf_parse_duration_ms(const char *text, uint64_t *out_ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	char *end;
	unsigned long long v;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		return -ERANGE;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].ms)
			return -ERANGE;
		*out_ms = v * units[i].ms;
		return 0;
	}
	return -EINVAL;
}

bool
aves_conf_ipv4(struct aves_conf *conf, const config_setting_t *group, const char *name,
	       enum aves_conf_need need, uint32_t *out_be)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);
	const char *v;

	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	v = member_string(conf, s);
	if (v == NULL)
		return false;
	if (aves_conf_parse_ipv4(v, out_be) != 0) {
		aves_conf_error(conf, s, "not an IPv4 address in dotted-quad form (\"%s\")", v);
		return false;
	}
	return true;
}

bool
aves_conf_prefix(struct aves_conf *conf, const config_setting_t *group, const char *name,
		 enum aves_conf_need need, uint32_t *addr_be, uint8_t *len)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);
	const char *v;

	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	v = member_string(conf, s);
	if (v == NULL)
		return false;
	if (aves_conf_parse_prefix(v, addr_be, len) != 0) {
		aves_conf_error(conf, s,
				"not an IPv4 prefix a.b.c.d/len with zero host bits (\"%s\")", v);
		return false;
	}
	return true;
}

bool
aves_conf_duration_ms(struct aves_conf *conf, const config_setting_t *group, const char *name,
		      enum aves_conf_need need, uint64_t min_ms, uint64_t max_ms, uint64_t def_ms,
		      uint64_t *out_ms)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);
	uint64_t v;

	*out_ms = def_ms;
	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		long long i = config_setting_get_int64(s);

		if (int_literal_wrapped(conf, s, i)) {
			aves_conf_error(conf, s,
					"integer does not fit 32 bits: use a unit (\"3h\") or an L "
					"suffix");
			return false;
		}
		if (i < 0) {
			aves_conf_error(conf, s, "must not be negative (%lld)", i);
			return false;
		}
		v = (uint64_t)i;
		break;
	}
	case CONFIG_TYPE_STRING:
		if (aves_conf_parse_duration_ms(config_setting_get_string(s), &v) != 0) {
			aves_conf_error(conf, s,
					"not a duration: a number of milliseconds or a number "
					"with ms, s, min, h or d (\"%s\")",
					config_setting_get_string(s));
			return false;
		}
		break;
	default:
		aves_conf_error(conf, s, "must be a duration such as 2000 or \"2s\"");
		return false;
	}
	if (v < min_ms || v > max_ms) {
		aves_conf_error(conf, s,
				"must be between %" PRIu64 " ms and %" PRIu64 " ms (%" PRIu64 " ms)",
				min_ms, max_ms, v);
		return false;
	}
	*out_ms = v;
	return true;
}

void
aves_conf_reject_unknown(struct aves_conf *conf, const config_setting_t *group,
			 const char *const allowed[])
{
	int n;

	if (group == NULL || !config_setting_is_group(group))
		return;
	n = config_setting_length(group);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned int)i);
		const char *name = config_setting_name(s);
		bool known = false;

		for (const char *const *a = allowed; *a != NULL && !known; a++)
			known = strcmp(*a, name) == 0;
		if (!known)
			aves_conf_error(conf, s, "unknown setting");
	}
}

int
aves_conf_parse_iface(const char *text, uint32_t *addr_be, uint8_t *len)
{
	char buf[32];
	const char *slash = text != NULL ? strchr(text, '/') : NULL;
	char *end;
	unsigned long bits;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(buf) || slash[1] < '0' ||
	    slash[1] > '9')
		return -EINVAL;
	memcpy(buf, text, (size_t)(slash - text));
	buf[slash - text] = '\0';
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (aves_conf_parse_ipv4(buf, addr_be) != 0 || *end != '\0' || errno != 0)
		return -EINVAL;
	if (bits < 1 || bits > 30)
		return -ERANGE;
	*len = (uint8_t)bits;
	return 0;
}

const config_setting_t *
aves_conf_group(struct aves_conf *conf, const config_setting_t *parent, const char *name,
		enum aves_conf_need need)
{
	const config_setting_t *g = aves_conf_member(conf, parent, name, need);

	if (g != NULL && !config_setting_is_group(g)) {
		aves_conf_error(conf, g, "must be a group { ... }");
		return NULL;
	}
	return g;
}

const config_setting_t *
aves_conf_list(struct aves_conf *conf, const config_setting_t *group, const char *name,
	       enum aves_conf_need need)
{
	const config_setting_t *l = aves_conf_member(conf, group, name, need);

	if (l != NULL && !config_setting_is_list(l) &&
	    !(config_setting_is_array(l) && config_setting_length(l) == 0)) {
		aves_conf_error(conf, l, "must be a list ( { ... }, ... )");
		return NULL;
	}
	return l;
}

const config_setting_t *
aves_conf_list_group(struct aves_conf *conf, const config_setting_t *list, unsigned int i)
{
	const config_setting_t *g = config_setting_get_elem(list, i);

	if (g == NULL || !config_setting_is_group(g)) {
		aves_conf_error(conf, g != NULL ? g : list, "must be a group { ... }");
		return NULL;
	}
	return g;
}

bool
aves_conf_iface(struct aves_conf *conf, const config_setting_t *group, const char *name,
		enum aves_conf_need need, uint32_t *addr_be, uint8_t *len)
{
	const config_setting_t *s = aves_conf_member(conf, group, name, need);
	const char *v;

	if (s == NULL)
		return need == AVES_CONF_OPTIONAL;
	v = member_string(conf, s);
	if (v == NULL)
		return false;
	if (aves_conf_parse_iface(v, addr_be, len) != 0) {
		aves_conf_error(conf, s, "not an interface address a.b.c.d/len with len 1..30 "
				"(\"%s\")", v);
		return false;
	}
	return true;
}

bool
aves_conf_lcores(struct aves_conf *conf, const config_setting_t *group, const char *name,
		 enum aves_conf_need need, uint32_t *out, unsigned int max, unsigned int *n)
{
	const config_setting_t *a = aves_conf_member(conf, group, name, need);
	unsigned int i, len;
	bool ok = true;

	*n = 0;
	if (a == NULL)
		return need == AVES_CONF_OPTIONAL;
	len = config_setting_is_array(a) ? (unsigned int)config_setting_length(a) : 0;
	if (len == 0 || len > max) {
		aves_conf_error(conf, a, "must be an array of 1 to %u lcore ids [ 1, 2 ]", max);
		return false;
	}
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(a, i);
		int type = config_setting_type(e);
		long long v = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 ?
				      config_setting_get_int64(e) : -1;

		if (v < 0 || v > 127) {
			aves_conf_error(conf, e, "must be an lcore id 0..127");
			ok = false;
			continue;
		}
		out[(*n)++] = (uint32_t)v;
	}
	return ok;
}

bool
aves_conf_ipv4_array(struct aves_conf *conf, const config_setting_t *group, const char *name,
		     enum aves_conf_need need, unsigned int max, uint32_t *addrs, uint8_t *lens,
		     unsigned int *n)
{
	const config_setting_t *a = aves_conf_member(conf, group, name, need);
	unsigned int i, len;
	bool ok = true;

	*n = 0;
	if (a == NULL)
		return need == AVES_CONF_OPTIONAL;
	if (!config_setting_is_array(a) && !(config_setting_is_list(a) &&
					     config_setting_length(a) == 0)) {
		aves_conf_error(conf, a, "must be an array [ \"a.b.c.d\", ... ]");
		return false;
	}
	len = (unsigned int)config_setting_length(a);
	if (len > max || (len == 0 && need == AVES_CONF_REQUIRED)) {
		aves_conf_error(conf, a, "must hold %u to %u entries (%u)",
				need == AVES_CONF_REQUIRED ? 1u : 0u, max, len);
		return false;
	}
	for (i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(a, i);
		const char *text = config_setting_get_string(e);
		uint8_t bits = 32;
		int ret;

		if (text == NULL) {
			aves_conf_error(conf, e, "must be a string in double quotes");
			ok = false;
			continue;
		}
		if (lens != NULL && strchr(text, '/') != NULL)
			ret = aves_conf_parse_prefix(text, &addrs[*n], &bits);
		else
			ret = aves_conf_parse_ipv4(text, &addrs[*n]);
		if (ret != 0) {
			aves_conf_error(conf, e, lens != NULL ?
					"not an address or a prefix with zero host bits (\"%s\")" :
					"not an IPv4 address in dotted-quad form (\"%s\")", text);
			ok = false;
			continue;
		}
		if (lens != NULL)
			lens[*n] = bits;
		(*n)++;
	}
	return ok;
}

void
aves_conf_error_path(struct aves_conf *conf, const char *path, const char *fmt, ...)
{
	char prefix[256];
	const config_setting_t *s;
	const char *tail = NULL;
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s", path);
	/* A setting the file leaves at its default has no line: name it at its nearest group. */
	for (s = config_lookup(&conf->cfg, prefix); s == NULL; s = config_lookup(&conf->cfg, prefix)) {
		char *dot = strrchr(prefix, '.');

		if (dot == NULL) {
			s = aves_conf_root(conf);
			tail = path;
			break;
		}
		*dot = '\0';
		tail = path + (dot - prefix) + 1;
	}
	va_start(ap, fmt);
	report(conf, s, tail, fmt, ap);
	va_end(ap);
}

const config_setting_t *
aves_conf_lookup(const struct aves_conf *conf, const char *path)
{
	const config_setting_t *s = config_lookup(&conf->cfg, path);

	return s != NULL ? s : aves_conf_root(conf);
}

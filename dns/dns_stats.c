/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters and their text form.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns_stats.h"

static const struct {
	const char *group;
	const char *name;
} counters[DNS_CTR_MAX] = {
#define DNS_COUNTER_NAME(g, e, s) [DNS_CTR_##e] = {g, s},
	DNS_COUNTERS(DNS_COUNTER_NAME)
#undef DNS_COUNTER_NAME
};

static const uint64_t rtt_bounds[DNS_RTT_BUCKETS - 1] = DNS_RTT_BOUNDS_US;

static const char *const reject_names[8] = {
	"other", "admission", "unknown_waypoint", "unknown_key", "table_full",
	"bad_request", "initiator_blocked", "overload",
};

const char *
dns_counter_name(enum dns_counter c)
{
	return (unsigned int)c < DNS_CTR_MAX ? counters[c].name : "?";
}

void
dns_stats_rtt(struct dns_stats *st, uint64_t rtt_us)
{
	unsigned int b = 0;

	while (b < DNS_RTT_BUCKETS - 1 && rtt_us > rtt_bounds[b])
		b++;
	st->rtt_hist[b]++;
	if (st->rtt_count == 0 || rtt_us < st->rtt_min_us)
		st->rtt_min_us = rtt_us;
	if (rtt_us > st->rtt_max_us)
		st->rtt_max_us = rtt_us;
	st->rtt_count++;
	st->rtt_sum_us += rtt_us;
}

struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
}

size_t
dns_stats_format(const struct dns_stats *st, dns_reason_name_fn ctrl_reason_name, char *buf,
		 size_t cap)
{
	struct out o = {buf, cap, 0};
	const char *group = NULL;
	unsigned int i;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < DNS_CTR_MAX; i++) {
		if (group == NULL || strcmp(group, counters[i].group) != 0) {
			put(&o, "%s%s:", group == NULL ? "" : "\n", counters[i].group);
			group = counters[i].group;
		}
		put(&o, " %s=%llu", counters[i].name, (unsigned long long)st->c[i]);
	}
	put(&o, "\nsetup_rtt_us: count=%llu min=%llu avg=%llu max=%llu",
	    (unsigned long long)st->rtt_count, (unsigned long long)st->rtt_min_us,
	    (unsigned long long)(st->rtt_count ? st->rtt_sum_us / st->rtt_count : 0),
	    (unsigned long long)st->rtt_max_us);
	for (i = 0; i < DNS_RTT_BUCKETS; i++) {
		if (i < DNS_RTT_BUCKETS - 1)
			put(&o, " le%llu=%llu", (unsigned long long)rtt_bounds[i],
			    (unsigned long long)st->rtt_hist[i]);
		else
			put(&o, " more=%llu", (unsigned long long)st->rtt_hist[i]);
	}
	put(&o, "\nrejects:");
	for (i = 1; i < 8; i++)
		put(&o, " %s=%llu", reject_names[i], (unsigned long long)st->reject_reason[i]);
	put(&o, " %s=%llu", reject_names[0], (unsigned long long)st->reject_reason[0]);
	put(&o, "\nmalformed:");
	for (i = 1; i < DNS_MALFORMED_MAX; i++)
		if (st->malformed[i] != 0)
			put(&o, " %s=%llu", dns_malformed_name((enum dns_malformed)i),
			    (unsigned long long)st->malformed[i]);
	put(&o, "\ncontrol_drops:");
	for (i = 0; i < DNS_CTRL_REASONS_MAX; i++)
		if (st->ctrl_reason[i] != 0)
			put(&o, " %s=%llu", ctrl_reason_name != NULL ? ctrl_reason_name(i) : "?",
			    (unsigned long long)st->ctrl_reason[i]);
	return o.len;
}

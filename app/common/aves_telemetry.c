/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>

#include "aves_telemetry.h"

const char *const aves_tel_parse_names[AVES_PARSE_REASON_MAX] = {
	"ok",
#define AVES_TEL_NAME_(name, str) str,
	AVES_PARSE_REASONS(AVES_TEL_NAME_)
};

const char *const aves_tel_icmp_refusal_names[AVES_ICMP_REFUSE_MAX] = {
	"none",
	AVES_ICMP_REFUSALS(AVES_TEL_NAME_)
#undef AVES_TEL_NAME_
};

void
aves_ctr_sum(uint64_t *out, unsigned int n, const uint64_t *const *bases,
	     unsigned int n_lcores)
{
	unsigned int i, l;

	for (i = 0; i < n; i++) {
		uint64_t sum = 0;

		for (l = 0; l < n_lcores; l++)
			sum += aves_ctr_read(&bases[l][i]);
		out[i] = sum;
	}
}

int
aves_tel_add_counters(struct rte_tel_data *d, const char *name, const char *const *names,
		      const uint64_t *values, unsigned int n)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	unsigned int i;
	int ret;

	if (c == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(c);
	for (i = 0; i < n; i++) {
		ret = rte_tel_data_add_dict_u64(c, names[i], values[i]);
		if (ret != 0) {
			rte_tel_data_free(c);
			return ret;
		}
	}
	ret = rte_tel_data_add_dict_container(d, name, c, 0);
	if (ret != 0)
		rte_tel_data_free(c);
	return ret;
}

int
aves_tel_add_ports(struct rte_tel_data *d, const char *name, const uint16_t *ports,
		   unsigned int n_ports, const struct aves_port_ctr *const *per_lcore,
		   unsigned int n_lcores)
{
	static const char *const ctr_names[AVES_PORT_CTR_N] = AVES_PORT_CTR_NAMES;
	static const char *const dev_names[] = { "dev_ipackets", "dev_opackets", "dev_imissed",
						 "dev_ierrors", "dev_oerrors", "dev_rx_nombuf" };
	struct rte_tel_data *all = rte_tel_data_alloc();
	unsigned int p, l, i;
	int ret = 0;

	static_assert(sizeof(struct aves_port_ctr) == AVES_PORT_CTR_N * sizeof(uint64_t),
		      "port counters are plain uint64_t");
	if (all == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(all);
	for (p = 0; p < n_ports && ret == 0; p++) {
		uint64_t v[AVES_PORT_CTR_N + RTE_DIM(dev_names)];
		const char *names[RTE_DIM(v)];
		struct rte_eth_stats st;
		char port_name[RTE_ETH_NAME_MAX_LEN];

		memset(v, 0, sizeof(v));
		for (l = 0; l < n_lcores; l++) {
			const uint64_t *c = (const uint64_t *)&per_lcore[l][ports[p]];

			for (i = 0; i < AVES_PORT_CTR_N; i++)
				v[i] += aves_ctr_read(&c[i]);
		}
		memset(&st, 0, sizeof(st));
		rte_eth_stats_get(ports[p], &st);
		v[AVES_PORT_CTR_N + 0] = st.ipackets;
		v[AVES_PORT_CTR_N + 1] = st.opackets;
		v[AVES_PORT_CTR_N + 2] = st.imissed;
		v[AVES_PORT_CTR_N + 3] = st.ierrors;
		v[AVES_PORT_CTR_N + 4] = st.oerrors;
		v[AVES_PORT_CTR_N + 5] = st.rx_nombuf;
		for (i = 0; i < AVES_PORT_CTR_N; i++)
			names[i] = ctr_names[i];
		for (i = 0; i < RTE_DIM(dev_names); i++)
			names[AVES_PORT_CTR_N + i] = dev_names[i];
		if (rte_eth_dev_get_name_by_port(ports[p], port_name) != 0)
			snprintf(port_name, sizeof(port_name), "port%u", ports[p]);
		ret = aves_tel_add_counters(all, port_name, names, v, RTE_DIM(v));
	}
	if (ret == 0)
		ret = rte_tel_data_add_dict_container(d, name, all, 0);
	if (ret != 0)
		rte_tel_data_free(all);
	return ret;
}

int
aves_tel_add_table(struct rte_tel_data *d, const char *name, const struct aves_table *t)
{
	static const char *const names[] = { "count", "capacity", "published", "deleted",
					     "reclaimed", "full", "hash_full", "exists",
					     "retiring" };
	struct aves_table_stats s;
	uint64_t v[RTE_DIM(names)];

	aves_table_stats_get(t, &s);
	v[0] = s.live;
	v[1] = aves_table_capacity(t);
	v[2] = s.published;
	v[3] = s.deleted;
	v[4] = s.reclaimed;
	v[5] = s.full;
	v[6] = s.hash_full;
	v[7] = s.exists;
	v[8] = s.retiring;
	return aves_tel_add_counters(d, name, names, v, RTE_DIM(names));
}

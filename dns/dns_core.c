/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front end's decisions between the sockets and the engine, and the control protocol.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aves_ctrl.h"
#include "dns_core.h"
#include "dns_defence.h"
#include "dns_query.h"

struct dns_core {
	struct dns_config *cfg;
	struct aves_auth_ctx *auth;
	struct dns_core_io io;
	void *io_arg;
	struct dns_query_params qp;
	struct dns_pending *pending;
	struct dns_penalty *penalty;
	uint64_t error_tat;
	struct aves_replay *replay_waypoints;
	struct aves_replay *replay_gateways;
	struct aves_ctrl_keyset keysets[2];
	struct aves_ctrl_rx rx;
	uint64_t now;     /* of the call in progress */
	uint64_t wall_ms; /* of the call in progress: the SETUP timestamp */
	bool replied;     /* the query in progress was answered at once */
	struct dns_stats stats;
	/* SETUPs queued for dns_core_flush(), untagged. */
	unsigned int n_setups;
	struct aves_ctrl_msg setups[DNS_CORE_SETUP_BURST];
	struct sockaddr_in setup_to[DNS_CORE_SETUP_BURST];
	uint8_t setup_wire[DNS_CORE_SETUP_BURST][AVES_CTRL_MAX_LEN];
	uint8_t out[DNS_MSG_MAX];
};

static void send_setups(struct dns_core *core);
static void core_send_setup(void *arg, const struct dns_setup *setup);
static void core_reply(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len);
static void core_abandon(void *arg, const struct dns_client *client);
static void core_fail(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len);

static const struct dns_pending_ops pending_ops = {
	.send_setup = core_send_setup,
	.reply = core_reply,
	.abandon = core_abandon,
	.fail = core_fail,
};

static void
apply_config(struct dns_core *core, struct dns_config *cfg)
{
	const struct dns_settings *s = &cfg->s;

	core->cfg = cfg;
	core->qp.zone = cfg->zone;
	core->qp.edns_max = (uint16_t)s->edns_max_payload;
	core->keysets[0] = (struct aves_ctrl_keyset){
		cfg->service_keys,
		AVES_CTRL_TYPE_BIT(AVES_CTRL_ACCEPT) | AVES_CTRL_TYPE_BIT(AVES_CTRL_REJECT),
		core->replay_waypoints};
	core->keysets[1] = (struct aves_ctrl_keyset){
		cfg->gateway_keys, AVES_CTRL_TYPE_BIT(AVES_CTRL_REGISTER), core->replay_gateways};
	core->rx.keysets = core->keysets;
	core->rx.n_keysets = 2;
	core->rx.max_skew_ms = s->control_max_skew;
}

struct dns_core *
dns_core_create(struct dns_config *cfg, const struct dns_core_params *params)
{
	const struct dns_settings *s;
	struct dns_core *core;

	if (cfg == NULL || params == NULL || params->auth == NULL || params->io == NULL ||
	    params->io->send_reply == NULL || params->io->abandon == NULL ||
	    params->io->send_control == NULL || params->rnd == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = &cfg->s;
	core = calloc(1, sizeof(*core));
	if (core == NULL)
		return NULL;
	core->auth = params->auth;
	core->io = *params->io;
	core->io_arg = params->io_arg;
	core->rx.auth = params->auth;
	core->rx.start_ms = params->wall_us / 1000;
	core->replay_waypoints = aves_replay_create(DNS_REPLAY_WINDOWS);
	core->replay_gateways = aves_replay_create(DNS_REPLAY_WINDOWS);
	core->penalty = dns_penalty_create(&(struct dns_penalty_params){
		.capacity = s->penalty_table_size,
		.threshold = s->penalty_threshold,
		.time_us = (uint64_t)s->penalty_time * DNS_US_PER_S,
		.seed = params->seed,
	});
	core->pending = dns_pending_create(&(struct dns_pending_params){
		.capacity = s->pending_max,
		.max_attempts = s->setup_attempts,
		.attempt_timeout_us = (uint64_t)s->setup_timeout * 1000,
		.hold_time_us = (uint64_t)s->hold_time * 1000,
		.first_serial = params->wall_us,
		.seed = params->seed ^ 0x5bd1e995u,
		.rnd = params->rnd,
		.rnd_arg = params->rnd_arg,
		.ops = &pending_ops,
		.ops_arg = core,
		.stats = &core->stats,
	});
	if (core->replay_waypoints == NULL || core->replay_gateways == NULL ||
	    core->penalty == NULL || core->pending == NULL) {
		core->cfg = NULL; /* not ours yet */
		dns_core_free(core);
		errno = ENOMEM;
		return NULL;
	}
	apply_config(core, cfg);
	return core;
}

void
dns_core_free(struct dns_core *core)
{
	if (core == NULL)
		return;
	dns_pending_free(core->pending);
	dns_penalty_free(core->penalty);
	aves_replay_free(core->replay_waypoints);
	aves_replay_free(core->replay_gateways);
	dns_config_free(core->cfg);
	free(core);
}

const char *
dns_core_reload(struct dns_core *core, struct dns_config *next)
{
	const char *restart = dns_config_restart_needed(core->cfg, next);
	const struct dns_settings *s = &next->s;

	if (restart != NULL)
		return restart;
	/* SETUPs started under the old configuration leave under it, tagged with its key. */
	send_setups(core);
	dns_zone_carry_state(next->zone, core->cfg->zone);
	/* Host indexes changed: held queries finish, but must not absorb queries for new ones. */
	dns_pending_forget_hosts(core->pending);
	dns_pending_retune(core->pending, s->setup_attempts, (uint64_t)s->setup_timeout * 1000,
			   (uint64_t)s->hold_time * 1000);
	dns_penalty_retune(core->penalty, s->penalty_threshold,
			   (uint64_t)s->penalty_time * DNS_US_PER_S);
	dns_config_free(core->cfg);
	apply_config(core, next);
	return NULL;
}

const struct dns_config *
dns_core_config(const struct dns_core *core)
{
	return core->cfg;
}

struct dns_stats *
dns_core_stats(struct dns_core *core)
{
	return &core->stats;
}

uint64_t
dns_core_next_event(const struct dns_core *core)
{
	return dns_pending_next_event(core->pending);
}

void
dns_core_run(struct dns_core *core, uint64_t now, uint64_t wall_ms)
{
	core->now = now;
	core->wall_ms = wall_ms;
	dns_pending_run(core->pending, core->cfg->waypoints, now);
}

/*
 * Tag the queued SETUPs in one burst, with the service key in force now, and hand them to the
 * I/O. Those that could not be encoded or sent are reported to the held queries, which carry
 * on at their next run (dns_pending_unsent() starts nothing itself, so this may run in the
 * middle of a query or a run when the queue fills).
 */
static void
send_setups(struct dns_core *core)
{
	const struct aves_key *keys[DNS_CORE_SETUP_BURST];
	struct dns_ctrl_out out[DNS_CORE_SETUP_BURST];
	uint64_t serials[DNS_CORE_SETUP_BURST];
	int lens[DNS_CORE_SETUP_BURST];
	unsigned int i, n = core->n_setups, m = 0;

	if (n == 0)
		return;
	core->n_setups = 0;
	for (i = 0; i < n; i++)
		keys[i] = &core->cfg->service_send_key;
	aves_ctrl_encode_burst(core->auth, keys, core->setups, n, core->setup_wire, lens);
	for (i = 0; i < n; i++) {
		if (lens[i] < 0) {
			dns_pending_unsent(core->pending, core->cfg->waypoints, core->setups[i].serial,
					   core->now);
			continue;
		}
		out[m] = (struct dns_ctrl_out){core->setup_to[i], core->setup_wire[i],
					       (size_t)lens[i], 0};
		serials[m++] = core->setups[i].serial;
	}
	if (m > 0)
		core->io.send_control(core->io_arg, out, m);
	for (i = 0; i < m; i++) {
		if (out[i].error == 0)
			dns_count(&core->stats, DNS_CTR_SETUP_SENT);
		else
			dns_pending_unsent(core->pending, core->cfg->waypoints, serials[i], core->now);
	}
}

void
dns_core_flush(struct dns_core *core, uint64_t now, uint64_t wall_ms)
{
	core->now = now;
	core->wall_ms = wall_ms;
	/* The run starts the next attempts of SETUPs that could not be sent; those go out too. */
	do {
		send_setups(core);
		dns_pending_run(core->pending, core->cfg->waypoints, now);
	} while (core->n_setups > 0);
}

static void
core_send_setup(void *arg, const struct dns_setup *setup)
{
	struct dns_core *core = arg;

	if (core->n_setups == DNS_CORE_SETUP_BURST)
		send_setups(core);
	core->setup_to[core->n_setups] = *setup->to;
	core->setups[core->n_setups++] = (struct aves_ctrl_msg){
		.type = AVES_CTRL_SETUP,
		.origin = htonl(core->cfg->control_addr),
		.serial = setup->serial,
		.timestamp_ms = core->wall_ms,
		.body.setup = {
			.mode = (uint8_t)setup->mode,
			.gw_port = setup->gateway_port,
			.waypoint = htonl(setup->waypoint),
			.initiator = htonl(setup->initiator),
			.gateway = htonl(setup->gateway),
			.responder = htonl(setup->responder),
			.gw_key_id = setup->gateway_key,
		},
	};
}

static void
core_reply(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	struct dns_core *core = arg;

	dns_count(&core->stats, DNS_CTR_REPLY_NOERROR);
	core->io.send_reply(core->io_arg, client, msg, len);
}

static void
core_abandon(void *arg, const struct dns_client *client)
{
	struct dns_core *core = arg;

	core->io.abandon(core->io_arg, client);
}

static void
count_query(struct dns_stats *st, const struct dns_client *client, uint16_t qtype)
{
	enum dns_counter c;

	dns_count(st, client->tcp ? DNS_CTR_QUERY_TCP : DNS_CTR_QUERY_UDP);
	switch (qtype) {
	case 0:
		return; /* no question parsed */
	case DNS_TYPE_A:
		c = DNS_CTR_QTYPE_A;
		break;
	case DNS_TYPE_AAAA:
		c = DNS_CTR_QTYPE_AAAA;
		break;
	case DNS_TYPE_SOA:
		c = DNS_CTR_QTYPE_SOA;
		break;
	case DNS_TYPE_NS:
		c = DNS_CTR_QTYPE_NS;
		break;
	case DNS_TYPE_ANY:
		c = DNS_CTR_QTYPE_ANY;
		break;
	case DNS_TYPE_AXFR:
	case DNS_TYPE_IXFR:
		c = DNS_CTR_QTYPE_XFR;
		break;
	default:
		c = DNS_CTR_QTYPE_OTHER;
		break;
	}
	dns_count(st, c);
}

static enum dns_counter
reply_counter(enum dns_outcome outcome)
{
	switch (outcome) {
	case DNS_OUTCOME_NODATA:
		return DNS_CTR_REPLY_NODATA;
	case DNS_OUTCOME_NXDOMAIN:
		return DNS_CTR_REPLY_NXDOMAIN;
	case DNS_OUTCOME_REFUSED:
		return DNS_CTR_REPLY_REFUSED;
	case DNS_OUTCOME_FORMERR:
		return DNS_CTR_REPLY_FORMERR;
	case DNS_OUTCOME_NOTIMP:
		return DNS_CTR_REPLY_NOTIMP;
	case DNS_OUTCOME_SERVFAIL:
		return DNS_CTR_REPLY_SERVFAIL;
	case DNS_OUTCOME_BADVERS:
		return DNS_CTR_REPLY_BADVERS;
	default:
		return DNS_CTR_REPLY_NOERROR;
	}
}

/* Send a reply the engine (or the hold logic) decided on, counting it by kind. */
static void
respond(struct dns_core *core, const struct dns_client *client, const struct dns_reply *r,
	uint64_t now)
{
	const struct dns_settings *s = &core->cfg->s;
	bool error = r->outcome >= DNS_OUTCOME_REFUSED && r->outcome <= DNS_OUTCOME_BADVERS;

	/* Over UDP the source may be forged: error replies must not make us a reflector. */
	if (error && !client->tcp &&
	    !dns_rate_take(&core->error_tat,
			   &(struct dns_rate){s->error_rate, s->error_burst}, now)) {
		dns_count(&core->stats, DNS_CTR_DROP_ERROR_RATE);
		return;
	}
	dns_count(&core->stats, reply_counter(r->outcome));
	if (r->truncated)
		dns_count(&core->stats, DNS_CTR_REPLY_TRUNCATED);
	core->replied = true;
	core->io.send_reply(core->io_arg, client, core->out, r->len);
}

static void
servfail(struct dns_core *core, const struct dns_client *client, struct dns_reply *r,
	 enum dns_counter why, uint64_t now)
{
	dns_count(&core->stats, why);
	dns_query_error(core->out, sizeof(core->out), r, DNS_RCODE_SERVFAIL);
	respond(core, client, r, now);
}

/* The SERVFAIL dns_pending_hold() would have caused, had it known that no SETUP would leave. */
static void
core_fail(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	struct dns_core *core = arg;
	struct dns_reply r;

	memcpy(core->out, msg, len);
	dns_query_describe_held(core->out, len, &r);
	if (r.question_end == 0) {
		core->io.abandon(core->io_arg, client); /* never: a held reply has its question */
		return;
	}
	servfail(core, client, &r, DNS_CTR_SERVFAIL_NO_WAYPOINT, core->now);
}

/* Returns true when the query is now held (or coalesced with a held twin). */
static bool
hold(struct dns_core *core, const struct dns_client *client, struct dns_reply *r, uint64_t now)
{
	struct dns_config *cfg = core->cfg;
	struct dns_host *host = &cfg->zone->hosts[r->host];
	const struct dns_subscriber *sub = &cfg->zone->subs[host->sub];
	struct dns_hold h;

	/* No registration: the name exists but cannot be reached now. SERVFAIL, not NODATA:
	 * a negative answer would be cached as "this host has no address" (RFC 2308). */
	if (!dns_zone_registered(sub, now)) {
		servfail(core, client, r, DNS_CTR_SERVFAIL_UNREGISTERED, now);
		return false;
	}
	h = (struct dns_hold){
		.client = *client,
		.host = r->host,
		.mode = dns_config_is_local(cfg, client->addr) ? DNS_MODE_INTRANET : DNS_MODE_DELAYED,
		.responder = host->addr,
		.gateway = sub->reg.gateway,
		.gateway_port = sub->reg.port,
		.gateway_key = sub->reg.key_id,
		.reply = core->out,
		.reply_len = r->len,
		.rdata_off = r->rdata_off,
	};
	if (dns_pending_refresh(core->pending, &h))
		return true;
	if (!dns_rate_take(&host->session_tat,
			   &(struct dns_rate){cfg->s.session_rate, cfg->s.session_burst}, now)) {
		/* Dropped like a give-up: the resolver retries, and no error is cached. */
		dns_count(&core->stats, DNS_CTR_DROP_SESSION_RATE);
		return false;
	}
	switch (dns_pending_hold(core->pending, cfg->waypoints, &h, now)) {
	case DNS_HOLD_STARTED:
		return true;
	case DNS_HOLD_FULL:
		servfail(core, client, r, DNS_CTR_SERVFAIL_PENDING_FULL, now);
		break;
	case DNS_HOLD_NO_WAYPOINT:
		servfail(core, client, r, DNS_CTR_SERVFAIL_NO_WAYPOINT, now);
		break;
	}
	return false;
}

enum dns_verdict
dns_core_query(struct dns_core *core, const uint8_t *msg, size_t len,
	       const struct dns_client *client, uint64_t now, uint64_t wall_ms)
{
	struct dns_reply r;

	core->now = now;
	core->wall_ms = wall_ms;
	core->replied = false;
	if (dns_penalty_active(core->penalty, client->addr, now)) {
		dns_count(&core->stats, client->tcp ? DNS_CTR_QUERY_TCP : DNS_CTR_QUERY_UDP);
		dns_count(&core->stats, DNS_CTR_DROP_PENALISED);
		return DNS_VERDICT_DISCARD;
	}
	dns_query_answer(&core->qp, msg, len, client->tcp, core->out,
			 client->tcp ? DNS_TCP_REPLY_MAX : sizeof(core->out), &r);
	count_query(&core->stats, client, r.qtype);
	if (r.malformed != DNS_MALFORMED_NONE)
		core->stats.malformed[r.malformed]++;
	switch (r.verdict) {
	case DNS_VERDICT_DISCARD:
		if (r.response)
			dns_count(&core->stats, DNS_CTR_DROP_RESPONSE);
		return DNS_VERDICT_DISCARD;
	case DNS_VERDICT_RESPOND:
		if (r.outcome == DNS_OUTCOME_NXDOMAIN &&
		    dns_penalty_strike(core->penalty, client->addr, now))
			dns_count(&core->stats, DNS_CTR_PENALTY_STARTED);
		respond(core, client, &r, now);
		break;
	case DNS_VERDICT_HOLD:
		if (hold(core, client, &r, now))
			return DNS_VERDICT_HOLD;
		break;
	}
	return core->replied ? DNS_VERDICT_RESPOND : DNS_VERDICT_DISCARD;
}

static void
on_register(struct dns_core *core, const struct aves_ctrl_msg *msg, uint64_t now)
{
	struct dns_zone *zone = core->cfg->zone;
	int sub = dns_zone_sub_by_key(zone, msg->key_id);
	struct dns_registration *reg;
	uint32_t addr = ntohl(msg->body.reg.public_addr);

	/* The keyring holds exactly the subscribers' keys, so a verified key has a subscriber.
	 * A loopback, multicast or reserved address cannot be a gateway's: a waypoint would
	 * tunnel to itself or to nobody. */
	if (sub < 0 || (addr >> 24) == 127 || (addr >> 28) >= 14) {
		dns_count(&core->stats, DNS_CTR_REGISTER_BAD);
		return;
	}
	reg = &zone->subs[sub].reg;
	if (reg->expires != 0 && (reg->gateway != addr || reg->port != msg->body.reg.tunnel_port))
		dns_count(&core->stats, DNS_CTR_REGISTER_CHANGED);
	reg->gateway = addr;
	reg->port = msg->body.reg.tunnel_port;
	reg->key_id = msg->key_id;
	reg->expires = now + (uint64_t)core->cfg->s.registration_lifetime * DNS_US_PER_S;
	dns_count(&core->stats, DNS_CTR_REGISTER_OK);
}

/* Act on one verified (or refused) control message. */
static void
control_apply(struct dns_core *core, enum aves_ctrl_verdict v, const struct aves_ctrl_msg *msg,
	      uint64_t now)
{
	struct dns_waypoints *wp = core->cfg->waypoints;

	dns_count(&core->stats, DNS_CTR_CTRL_RECEIVED);
	if (v != AVES_CTRL_RX_OK) {
		dns_count(&core->stats, DNS_CTR_CTRL_INVALID);
		if ((unsigned int)v < DNS_CTRL_REASONS_MAX)
			core->stats.ctrl_reason[v]++;
		return;
	}
	switch (msg->type) {
	case AVES_CTRL_ACCEPT:
		dns_pending_accept(core->pending, wp, msg->body.accept.request_serial,
				   ntohl(msg->body.accept.waypoint), msg->body.accept.wait_ms, now);
		break;
	case AVES_CTRL_REJECT:
		if (dns_pending_reject(core->pending, wp, msg->body.reject.request_serial,
				       ntohl(msg->body.reject.waypoint), now))
			core->stats.reject_reason[msg->body.reject.reason < 8 ? msg->body.reject.reason
									      : 0]++;
		break;
	case AVES_CTRL_REGISTER:
		on_register(core, msg, now);
		break;
	default:
		/* The keysets admit only the three types above. */
		dns_count(&core->stats, DNS_CTR_CTRL_UNEXPECTED);
		break;
	}
}

void
dns_core_control_burst(struct dns_core *core, const struct aves_ctrl_dgram *in, unsigned int n,
		       uint64_t now, uint64_t wall_ms)
{
	struct aves_ctrl_msg msgs[AVES_TAG_BURST_MAX];
	enum aves_ctrl_verdict verdicts[AVES_TAG_BURST_MAX];
	unsigned int base, chunk, i;

	core->now = now;
	core->wall_ms = wall_ms;
	for (base = 0; base < n; base += chunk) {
		chunk = n - base < AVES_TAG_BURST_MAX ? n - base : AVES_TAG_BURST_MAX;
		/* Acting on a message changes nothing the verification of the next depends on
		 * (keys, replay windows, clocks), so verifying them all first is equivalent. */
		aves_ctrl_decode_burst(&core->rx, in + base, chunk, wall_ms, msgs, verdicts);
		for (i = 0; i < chunk; i++)
			control_apply(core, verdicts[i], &msgs[i], now);
	}
}

void
dns_core_control(struct dns_core *core, const uint8_t *buf, size_t len, uint64_t now,
		 uint64_t wall_ms)
{
	const struct aves_ctrl_dgram in = {buf, len};

	dns_core_control_burst(core, &in, 1, now, wall_ms);
}

static const char *
ctrl_reason_name(unsigned int reason)
{
	return aves_ctrl_verdict_name((enum aves_ctrl_verdict)reason);
}

size_t
dns_core_format_stats(const struct dns_core *core, uint64_t now, char *buf, size_t cap)
{
	const struct dns_zone *zone = core->cfg->zone;
	unsigned int i, registered = 0;
	size_t n;

	for (i = 0; i < zone->n_subs; i++)
		registered += dns_zone_registered(&zone->subs[i], now);
	n = dns_stats_format(&core->stats, ctrl_reason_name, buf, cap);
	if (n + 1 < cap)
		n += (size_t)snprintf(buf + n, cap - n,
				      "\nstate: held=%u penalised=%u gateways_registered=%u/%u",
				      dns_pending_count(core->pending),
				      dns_penalty_count(core->penalty, now), registered,
				      zone->n_subs);
	return n < cap ? n : cap - 1;
}

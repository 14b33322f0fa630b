/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sockets and the epoll loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_log.h"
#include "dns_server.h"

#define EVENTS_PER_WAIT 64
/*
 * Datagrams taken from one socket per readiness, in one recvmmsg(), so one busy socket cannot
 * starve the rest; and most UDP replies sent per sendmmsg(). The kernel's part of each
 * datagram, not aves-dns's own work, is most of a lookup's cost (docs/DNS.md, § The event loop).
 */
#define UDP_BATCH 64
#define TCP_BACKLOG 64
#define CTRL_BUF_LEN 512
/* Bytes of UDP replies queued per listener: any reply (at most DNS_MSG_MAX) fits once flushed. */
#define REPLY_BYTES 65536

union pktinfo_cmsg {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* One received datagram and where it came from (recvmmsg() fills a batch of them). */
struct rx_slot {
	struct sockaddr_in peer;
	union pktinfo_cmsg control;
	uint8_t buf[DNS_MSG_MAX];
};

/* A listener's UDP replies of the current round, sent at its end, in order. */
struct reply_queue {
	unsigned int n;
	size_t used;
	struct mmsghdr hdr[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_in to[UDP_BATCH];
	union pktinfo_cmsg control[UDP_BATCH];
	uint8_t bytes[REPLY_BYTES];
};
/*
 * Receive buffer of every UDP socket. The kernel's default (rmem_default, 208 KiB) holds a
 * few hundred small datagrams, each counted at its skb's true size: with hundreds of lookups
 * outstanding their ACCEPTs arrive in one burst and the excess was dropped (UdpRcvbufErrors),
 * each drop a lookup lost. 4 MiB holds several thousand.
 */
#define UDP_RCVBUF (4 << 20)

enum source_kind {
	SRC_UDP = 1,
	SRC_TCP_LISTEN,
	SRC_TCP_CONN,
	SRC_CONTROL,
	SRC_SIGNAL,
};

struct listener {
	uint32_t addr; /* host order; 0: every address */
	int udp_fd;
	int tcp_fd;
	struct reply_queue *replies;
};

struct conn {
	int fd;          /* -1: free */
	uint32_t gen;
	bool waiting;    /* a query is being answered; later ones wait in the buffer */
	bool processing; /* inside process_conn(): a reply must not re-enter it */
	uint32_t events; /* epoll interest */
	uint32_t addr;
	uint16_t port;
	uint64_t last_active;
	size_t in_len;
	size_t out_len;
	size_t out_off;
	uint8_t in[2 + DNS_TCP_QUERY_MAX];
	uint8_t out[2 + DNS_TCP_REPLY_MAX];
};

struct dns_server {
	int epfd;
	int sigfd;
	int ctrl_fd;
	unsigned int n_listeners;
	struct listener *listeners;
	unsigned int n_conns;
	struct conn *conns;
	struct dns_core *core;
	bool stop;
	/* Receive batches: UDP queries (each slot a whole datagram's room, which is only
	 * touched as far as datagrams reach) and control messages. */
	struct rx_slot *rx;
	struct mmsghdr rx_hdr[UDP_BATCH];
	struct iovec rx_iov[UDP_BATCH];
	struct mmsghdr ctrl_hdr[UDP_BATCH];
	struct iovec ctrl_iov[UDP_BATCH];
	uint8_t ctrl_buf[UDP_BATCH][CTRL_BUF_LEN];
};

uint64_t
dns_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
dns_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* epoll data: kind, a connection's generation (so an event queued for a connection that was
 * closed, and whose slot was reused within the same batch, is recognised), index. */
static uint64_t
tag(enum source_kind kind, uint32_t gen, uint32_t index)
{
	return (uint64_t)kind << 48 | (uint64_t)(gen & 0xffff) << 32 | index;
}

static int
watch(struct dns_server *srv, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static const char *
ip_text(uint32_t addr, char *buf)
{
	struct in_addr a = {htonl(addr)};

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int
min_int(int a, int b)
{
	return a < b ? a : b;
}

/*
 * Ask for UDP_RCVBUF and return what was granted. SO_RCVBUFFORCE first: with CAP_NET_ADMIN
 * (aves-dns started as root) it is not capped by net.core.rmem_max, as unbound and systemd
 * do it; without, SO_RCVBUF, capped. Getting less is not fatal: the server works, and drops
 * datagrams only in bursts.
 */
static int
grow_rcvbuf(int fd)
{
	int want = UDP_RCVBUF, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
		return 0;
	return got / 2; /* Linux reports twice the size set, its bookkeeping overhead included */
}

static int
open_socket(int type, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(addr)};
	int one = 1;
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char ip[INET_ADDRSTRLEN];

	if (fd < 0) {
		dns_log(LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Replies to a wildcard-bound UDP socket must leave from the address asked. */
	if (type == SOCK_DGRAM)
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (type == SOCK_STREAM && listen(fd, TCP_BACKLOG) != 0)) {
		dns_log(LOG_ERR, "bind %s %s:%u: %s", type == SOCK_STREAM ? "tcp" : "udp",
			ip_text(addr, ip), port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Make the first @p n query slots ready for recvmmsg() again (it overwrites these lengths). */
static void
rx_rearm(struct dns_server *srv, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		srv->rx_hdr[i].msg_hdr = (struct msghdr){
			.msg_name = &srv->rx[i].peer, .msg_namelen = sizeof(srv->rx[i].peer),
			.msg_iov = &srv->rx_iov[i], .msg_iovlen = 1,
			.msg_control = srv->rx[i].control.buf,
			.msg_controllen = sizeof(srv->rx[i].control.buf)};
}

struct dns_server *
dns_server_create(const struct dns_config *cfg)
{
	struct dns_server *srv = calloc(1, sizeof(*srv));
	int rcvbuf = UDP_RCVBUF;
	sigset_t sigs;
	unsigned int i;

	if (srv == NULL)
		return NULL;
	srv->epfd = srv->sigfd = srv->ctrl_fd = -1;
	srv->listeners = calloc(cfg->n_listen, sizeof(*srv->listeners));
	srv->conns = calloc(cfg->s.tcp_max_connections, sizeof(*srv->conns));
	srv->rx = calloc(UDP_BATCH, sizeof(*srv->rx));
	if (srv->listeners == NULL || srv->conns == NULL || srv->rx == NULL) {
		dns_log(LOG_ERR, "out of memory for %u TCP connections and the receive batch",
			cfg->s.tcp_max_connections);
		goto fail;
	}
	for (i = 0; i < UDP_BATCH; i++) {
		srv->rx_iov[i] = (struct iovec){srv->rx[i].buf, sizeof(srv->rx[i].buf)};
		srv->ctrl_iov[i] = (struct iovec){srv->ctrl_buf[i], sizeof(srv->ctrl_buf[i])};
		srv->ctrl_hdr[i].msg_hdr = (struct msghdr){.msg_iov = &srv->ctrl_iov[i], .msg_iovlen = 1};
	}
	rx_rearm(srv, UDP_BATCH);
	srv->n_conns = cfg->s.tcp_max_connections;
	for (i = 0; i < srv->n_conns; i++)
		srv->conns[i].fd = -1;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	srv->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (srv->epfd < 0 || srv->sigfd < 0 || watch(srv, srv->sigfd, EPOLLIN, tag(SRC_SIGNAL, 0, 0))) {
		dns_log(LOG_ERR, "epoll/signalfd: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < cfg->n_listen; i++) {
		struct listener *l = &srv->listeners[i];

		l->addr = cfg->listen[i];
		l->replies = calloc(1, sizeof(*l->replies));
		if (l->replies == NULL) {
			dns_log(LOG_ERR, "out of memory for the reply queues");
			goto fail;
		}
		l->udp_fd = open_socket(SOCK_DGRAM, l->addr, (uint16_t)cfg->s.port);
		l->tcp_fd = l->udp_fd < 0 ? -1 : open_socket(SOCK_STREAM, l->addr, (uint16_t)cfg->s.port);
		srv->n_listeners++;
		if (l->tcp_fd < 0 || watch(srv, l->udp_fd, EPOLLIN, tag(SRC_UDP, 0, i)) ||
		    watch(srv, l->tcp_fd, EPOLLIN, tag(SRC_TCP_LISTEN, 0, i)))
			goto fail;
		rcvbuf = min_int(rcvbuf, grow_rcvbuf(l->udp_fd));
	}
	srv->ctrl_fd = open_socket(SOCK_DGRAM, cfg->control_addr, (uint16_t)cfg->s.control_port);
	if (srv->ctrl_fd < 0 || watch(srv, srv->ctrl_fd, EPOLLIN, tag(SRC_CONTROL, 0, 0)))
		goto fail;
	rcvbuf = min_int(rcvbuf, grow_rcvbuf(srv->ctrl_fd));
	if (rcvbuf < UDP_RCVBUF)
		dns_log(LOG_NOTICE,
			"UDP receive buffers: %d KiB granted of %d KiB asked (net.core.rmem_max "
			"caps it without CAP_NET_ADMIN); bursts of replies may be dropped",
			rcvbuf >> 10, UDP_RCVBUF >> 10);
	return srv;
fail:
	dns_server_free(srv);
	return NULL;
}

void
dns_server_attach(struct dns_server *srv, struct dns_core *core)
{
	srv->core = core;
}

static void
conn_close(struct conn *c)
{
	close(c->fd); /* also removes it from the epoll set */
	c->fd = -1;
	c->gen++;
	c->waiting = false;
	c->in_len = c->out_len = c->out_off = 0;
}

void
dns_server_free(struct dns_server *srv)
{
	unsigned int i;

	if (srv == NULL)
		return;
	for (i = 0; i < srv->n_conns; i++)
		if (srv->conns[i].fd >= 0)
			conn_close(&srv->conns[i]);
	for (i = 0; i < srv->n_listeners; i++) {
		if (srv->listeners[i].udp_fd >= 0)
			close(srv->listeners[i].udp_fd);
		if (srv->listeners[i].tcp_fd >= 0)
			close(srv->listeners[i].tcp_fd);
		free(srv->listeners[i].replies);
	}
	if (srv->ctrl_fd >= 0)
		close(srv->ctrl_fd);
	if (srv->sigfd >= 0)
		close(srv->sigfd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	free(srv->listeners);
	free(srv->conns);
	free(srv->rx);
	free(srv);
}

static void
conn_interest(struct dns_server *srv, struct conn *c)
{
	uint32_t want = c->out_off < c->out_len ? EPOLLOUT : c->waiting ? 0 : EPOLLIN;
	struct epoll_event ev = {.events = want,
				 .data.u64 = tag(SRC_TCP_CONN, c->gen, (uint32_t)(c - srv->conns))};

	if (want != c->events && epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

/* Write what is buffered. Returns false if the connection failed (and was closed). */
static bool
conn_flush(struct dns_server *srv, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			dns_count(dns_core_stats(srv->core), DNS_CTR_TCP_RESET);
			conn_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		c->last_active = dns_now_us();
	}
	return true;
}

/* Answer the complete queries in the buffer, one at a time. */
static void
conn_process(struct dns_server *srv, struct conn *c)
{
	struct dns_stats *st = dns_core_stats(srv->core);

	c->processing = true;
	while (!c->waiting && c->out_len == 0 && c->in_len >= 2) {
		size_t len = (size_t)c->in[0] << 8 | c->in[1];
		struct dns_client client = {
			.tcp = true,
			.addr = c->addr,
			.port = c->port,
			.socket = (uint32_t)(c - srv->conns),
			.conn_gen = c->gen,
		};
		enum dns_verdict v;

		if (len == 0 || len > DNS_TCP_QUERY_MAX) {
			st->malformed[DNS_MALFORMED_TCP_LENGTH]++;
			conn_close(c);
			return;
		}
		if (c->in_len < 2 + len)
			break;
		c->waiting = true;
		c->last_active = dns_now_us();
		v = dns_core_query(srv->core, c->in + 2, len, &client, dns_now_us(), dns_wall_ms());
		if (c->fd < 0 || c->gen != client.conn_gen)
			return; /* closed while answering */
		memmove(c->in, c->in + 2 + len, c->in_len - 2 - len);
		c->in_len -= 2 + len;
		if (v == DNS_VERDICT_DISCARD) {
			/* Nothing will be sent: tell the client rather than leave it waiting. */
			conn_close(c);
			return;
		}
	}
	c->processing = false;
	conn_interest(srv, c);
}

static void
conn_read(struct dns_server *srv, struct conn *c)
{
	ssize_t n;

	/* A full buffer holds a complete query, which is answered before reading more; a
	 * zero-length recv would look like the peer closing. */
	if (c->in_len == sizeof(c->in))
		return;
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			dns_count(dns_core_stats(srv->core), DNS_CTR_TCP_RESET);
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_process(srv, c);
}

static void
tcp_accept(struct dns_server *srv, int lfd)
{
	struct dns_stats *st = dns_core_stats(srv->core);

	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned int i;
		struct conn *c;

		if (fd < 0)
			return;
		for (i = 0; i < srv->n_conns && srv->conns[i].fd >= 0; i++)
			;
		if (i == srv->n_conns) {
			dns_count(st, DNS_CTR_TCP_REFUSED_FULL);
			close(fd);
			continue;
		}
		c = &srv->conns[i];
		c->fd = fd;
		c->addr = ntohl(peer.sin_addr.s_addr);
		c->port = ntohs(peer.sin_port);
		c->waiting = false;
		c->processing = false;
		c->in_len = c->out_len = c->out_off = 0;
		c->last_active = dns_now_us();
		c->events = EPOLLIN;
		if (watch(srv, fd, EPOLLIN, tag(SRC_TCP_CONN, c->gen, i)) != 0) {
			conn_close(c);
			continue;
		}
		dns_count(st, DNS_CTR_TCP_ACCEPTED);
	}
}

/* Close idle connections; return when the next one would become idle. */
static uint64_t
tcp_sweep(struct dns_server *srv, uint64_t now)
{
	uint64_t idle = (uint64_t)dns_core_config(srv->core)->s.tcp_idle_timeout * 1000;
	uint64_t next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < srv->n_conns; i++) {
		struct conn *c = &srv->conns[i];

		/* A held query ends within hold-time: it is not idleness. */
		if (c->fd < 0 || c->waiting)
			continue;
		if (now - c->last_active >= idle) {
			dns_count(dns_core_stats(srv->core), DNS_CTR_TCP_IDLE_CLOSED);
			conn_close(c);
		} else if (c->last_active + idle < next) {
			next = c->last_active + idle;
		}
	}
	return next;
}

static void
udp_input(struct dns_server *srv, unsigned int index)
{
	const struct listener *l = &srv->listeners[index];
	int n = recvmmsg(l->udp_fd, srv->rx_hdr, UDP_BATCH, MSG_DONTWAIT, NULL);
	uint64_t now = dns_now_us(), wall_ms = dns_wall_ms();
	int i;

	for (i = 0; i < n; i++) {
		struct msghdr *mh = &srv->rx_hdr[i].msg_hdr;
		const struct rx_slot *slot = &srv->rx[i];
		struct dns_client client = {.tcp = false, .local = l->addr, .socket = index,
					    .addr = ntohl(slot->peer.sin_addr.s_addr),
					    .port = ntohs(slot->peer.sin_port)};
		struct cmsghdr *cm;

		for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				client.local = ntohl(pi.ipi_addr.s_addr);
			}
		dns_core_query(srv->core, slot->buf, srv->rx_hdr[i].msg_len, &client, now, wall_ms);
	}
	if (n > 0)
		rx_rearm(srv, (unsigned int)n);
}

static void
control_input(struct dns_server *srv)
{
	struct aves_ctrl_dgram in[UDP_BATCH];
	int n = recvmmsg(srv->ctrl_fd, srv->ctrl_hdr, UDP_BATCH, MSG_DONTWAIT, NULL);
	int i;

	for (i = 0; i < n; i++)
		in[i] = (struct aves_ctrl_dgram){srv->ctrl_buf[i], srv->ctrl_hdr[i].msg_len};
	if (n > 0)
		dns_core_control_burst(srv->core, in, (unsigned int)n, dns_now_us(), dns_wall_ms());
}

static void
signal_input(struct dns_server *srv, const struct dns_server_hooks *hooks)
{
	struct signalfd_siginfo si;

	while (read(srv->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			srv->stop = true;
			break;
		case SIGHUP:
			hooks->reload(hooks->arg);
			break;
		case SIGUSR1:
			hooks->dump(hooks->arg);
			break;
		}
	}
}

/*
 * One datagram (of one buffer) alone, as cheaply as the kernel takes it: sendto() unless it
 * carries ancillary data. Measured here for 72 bytes on loopback, sendmsg() costs some 400
 * cycles more and a sendmmsg() of one some 850; at low load most rounds send one datagram.
 */
static ssize_t
send_one(int fd, const struct msghdr *mh)
{
	if (mh->msg_controllen == 0)
		return sendto(fd, mh->msg_iov[0].iov_base, mh->msg_iov[0].iov_len, MSG_DONTWAIT,
			      mh->msg_name, mh->msg_namelen);
	return sendmsg(fd, mh, MSG_DONTWAIT);
}

/*
 * Send @p n datagrams in order, with as few sendmmsg() calls as they allow (send_one() for one
 * left alone). sendmmsg() stops at a datagram that fails and reports the error only when that
 * datagram came first: so the call after a short one starts with the failed datagram, which
 * then fails alone and is skipped, and the rest still go. Returns the failures; @p errors (if
 * not NULL) gets each one's negative errno.
 */
static unsigned int
send_batch(int fd, struct mmsghdr *hdr, unsigned int n, int *errors)
{
	unsigned int i = 0, failed = 0;

	while (i < n) {
		int sent;

		if (n - i > 1)
			sent = sendmmsg(fd, hdr + i, n - i, MSG_DONTWAIT);
		else
			sent = send_one(fd, &hdr[i].msg_hdr) < 0 ? -1 : 1;
		if (sent > 0) {
			i += (unsigned int)sent;
			continue;
		}
		if (errors != NULL)
			errors[i] = sent < 0 ? -errno : -EIO;
		failed++;
		i++;
	}
	return failed;
}

static void
flush_replies(struct dns_server *srv, struct listener *l)
{
	struct reply_queue *q = l->replies;

	dns_core_stats(srv->core)->c[DNS_CTR_REPLY_SEND_ERROR] +=
		send_batch(l->udp_fd, q->hdr, q->n, NULL);
	q->n = 0;
	q->used = 0;
}

/* Queue a UDP reply until the end of the round (server_flush()). */
static void
queue_reply(struct dns_server *srv, struct listener *l, const struct dns_client *client,
	    const uint8_t *msg, size_t len)
{
	struct reply_queue *q = l->replies;
	struct msghdr *mh;
	unsigned int k;

	if (q->n == UDP_BATCH || sizeof(q->bytes) - q->used < len)
		flush_replies(srv, l);
	k = q->n++;
	memcpy(q->bytes + q->used, msg, len);
	q->iov[k] = (struct iovec){q->bytes + q->used, len};
	q->used += len;
	q->to[k] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(client->port),
					.sin_addr.s_addr = htonl(client->addr)};
	mh = &q->hdr[k].msg_hdr;
	*mh = (struct msghdr){.msg_name = &q->to[k], .msg_namelen = sizeof(q->to[k]),
			      .msg_iov = &q->iov[k], .msg_iovlen = 1};
	/* Replies to a wildcard-bound socket must leave from the address asked. */
	if (l->addr == 0) {
		struct in_pktinfo pi = {.ipi_spec_dst.s_addr = htonl(client->local)};
		struct cmsghdr *cm;

		memset(&q->control[k], 0, sizeof(q->control[k]));
		mh->msg_control = q->control[k].buf;
		mh->msg_controllen = sizeof(q->control[k].buf);
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
}

static void
server_reply(void *arg, const struct dns_client *client, const uint8_t *msg, size_t len)
{
	struct dns_server *srv = arg;
	struct conn *c;

	if (!client->tcp) {
		queue_reply(srv, &srv->listeners[client->socket], client, msg, len);
		return;
	}
	c = &srv->conns[client->socket];
	if (c->fd < 0 || c->gen != client->conn_gen || len > DNS_TCP_REPLY_MAX)
		return; /* the connection went away while the query was held */
	c->out[0] = (uint8_t)(len >> 8);
	c->out[1] = (uint8_t)len;
	memcpy(c->out + 2, msg, len);
	c->out_len = 2 + len;
	c->out_off = 0;
	c->waiting = false;
	if (!conn_flush(srv, c))
		return;
	if (!c->processing)
		conn_process(srv, c); /* a held answer: carry on with queued queries */
}

static void
server_abandon(void *arg, const struct dns_client *client)
{
	struct dns_server *srv = arg;
	struct conn *c;

	if (!client->tcp)
		return;
	c = &srv->conns[client->socket];
	if (c->fd >= 0 && c->gen == client->conn_gen)
		conn_close(c);
}

static void
server_send_control(void *arg, struct dns_ctrl_out *out, unsigned int n)
{
	struct dns_server *srv = arg;
	struct mmsghdr hdr[DNS_CORE_SETUP_BURST];
	struct iovec iov[DNS_CORE_SETUP_BURST];
	int errors[DNS_CORE_SETUP_BURST];
	unsigned int i;

	if (n > DNS_CORE_SETUP_BURST)
		n = DNS_CORE_SETUP_BURST; /* the core never hands more (dns_core.h) */
	for (i = 0; i < n; i++) {
		iov[i] = (struct iovec){(void *)(uintptr_t)out[i].msg, out[i].len};
		hdr[i].msg_hdr = (struct msghdr){.msg_name = &out[i].to,
						 .msg_namelen = sizeof(out[i].to),
						 .msg_iov = &iov[i], .msg_iovlen = 1};
		errors[i] = 0;
	}
	send_batch(srv->ctrl_fd, hdr, n, errors);
	for (i = 0; i < n; i++)
		out[i].error = errors[i];
}

/* Send what the round queued: SETUPs (the core's), then UDP replies. */
static void
server_flush(struct dns_server *srv, uint64_t now, uint64_t wall_ms)
{
	unsigned int i;

	dns_core_flush(srv->core, now, wall_ms);
	for (i = 0; i < srv->n_listeners; i++)
		if (srv->listeners[i].replies->n > 0)
			flush_replies(srv, &srv->listeners[i]);
}

const struct dns_core_io dns_server_io = {
	.send_reply = server_reply,
	.abandon = server_abandon,
	.send_control = server_send_control,
};

int
dns_server_poll(struct dns_server *srv, const struct dns_server_hooks *hooks, int timeout_ms)
{
	struct epoll_event events[EVENTS_PER_WAIT];
	uint64_t now = dns_now_us(), wall_ms = dns_wall_ms(), next, idle;
	int timeout = timeout_ms, n, i;

	dns_core_run(srv->core, now, wall_ms);
	idle = tcp_sweep(srv, now);
	/* Before waiting: the SETUPs of attempts the timers started. */
	server_flush(srv, now, wall_ms);
	next = dns_core_next_event(srv->core);
	if (idle < next)
		next = idle;
	if (next != UINT64_MAX) {
		uint64_t ms = next > now ? (next - now + 999) / 1000 : 0;

		if (timeout < 0 || ms < (uint64_t)timeout)
			timeout = ms > INT_MAX ? INT_MAX : (int)ms;
	}
	n = epoll_wait(srv->epfd, events, EVENTS_PER_WAIT, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		dns_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < n; i++) {
		uint32_t index = (uint32_t)events[i].data.u64;
		uint32_t gen = (uint32_t)(events[i].data.u64 >> 32) & 0xffff;
		struct conn *c;

		switch ((enum source_kind)(events[i].data.u64 >> 48)) {
		case SRC_UDP:
			udp_input(srv, index);
			break;
		case SRC_TCP_LISTEN:
			tcp_accept(srv, srv->listeners[index].tcp_fd);
			break;
		case SRC_TCP_CONN:
			c = &srv->conns[index];
			if (c->fd < 0 || (c->gen & 0xffff) != gen)
				break;
			if (events[i].events & (EPOLLERR | EPOLLHUP)) {
				dns_count(dns_core_stats(srv->core), DNS_CTR_TCP_RESET);
				conn_close(c);
			} else if (events[i].events & EPOLLOUT) {
				if (conn_flush(srv, c))
					conn_process(srv, c);
			} else if (events[i].events & EPOLLIN) {
				conn_read(srv, c);
			}
			break;
		case SRC_CONTROL:
			control_input(srv);
			break;
		case SRC_SIGNAL:
			signal_input(srv, hooks);
			break;
		}
	}
	server_flush(srv, dns_now_us(), dns_wall_ms());
	return n;
}

int
dns_server_run(struct dns_server *srv, const struct dns_server_hooks *hooks)
{
	while (!srv->stop) {
		int rc = dns_server_poll(srv, hooks, -1);

		if (rc < 0)
			return rc;
	}
	return 0;
}

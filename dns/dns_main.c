/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aves-dns: the AVES DNS front end.
 *
 *   aves-dns [-d] [-f FILE]         serve (daemon with syslog; -d: foreground, log to stderr)
 *   aves-dns --check-config [-f FILE]   check the file, print every effective value, exit
 *
 * Signals: SIGTERM/SIGINT exit, SIGHUP reloads the file (everything or nothing), SIGUSR1
 * writes the counters to the log.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aves_auth.h"
#include "dns_core.h"
#include "dns_log.h"
#include "dns_random.h"
#include "dns_server.h"

#define DEFAULT_CONFIG "/etc/aves/dns.conf"
#define STATS_TEXT_MAX 8192

struct app {
	const char *path;
	struct aves_auth_ctx *auth;
	struct dns_random *rng;
	struct dns_core *core;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: aves-dns [-d] [-f FILE]\n"
		"       aves-dns --check-config [-f FILE]\n"
		"  -f, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"  -d, --foreground    stay in the foreground and log to stderr\n"
		"      --check-config  check the configuration, print the effective values, exit\n"
		"  -h, --help          this text\n"
		"signals: SIGHUP reload, SIGUSR1 statistics to the log, SIGTERM/SIGINT exit\n");
}

static void
log_config_error(void *arg, const char *message)
{
	(void)arg;
	dns_log(LOG_ERR, "%s", message);
}

static void
print_config_error(void *arg, const char *message)
{
	(void)arg;
	fprintf(stderr, "%s\n", message);
}

static uint32_t
random_below(void *arg, uint32_t bound)
{
	return dns_random_uniform(arg, bound);
}

static void
reload(void *arg)
{
	struct app *app = arg;
	struct dns_config *next = dns_config_load(app->path, app->auth, log_config_error, NULL);
	const char *restart;

	if (next == NULL) {
		dns_log(LOG_ERR, "reload: %s has errors (above); nothing applied", app->path);
		return;
	}
	restart = dns_core_reload(app->core, next);
	if (restart != NULL) {
		dns_log(LOG_ERR, "reload: %s changed, which needs a restart; nothing applied", restart);
		dns_config_free(next);
		return;
	}
	dns_log(LOG_INFO, "reload: %s applied", app->path);
}

static void
dump(void *arg)
{
	struct app *app = arg;
	char text[STATS_TEXT_MAX];

	dns_core_format_stats(app->core, dns_now_us(), text, sizeof(text));
	dns_log(LOG_INFO, "statistics:");
	dns_log_lines(LOG_INFO, text);
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'f'},
		{"foreground", no_argument, NULL, 'd'},
		{"check-config", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct app app = {.path = DEFAULT_CONFIG};
	bool foreground = false, check = false;
	struct dns_server *srv = NULL;
	struct dns_config *cfg;
	sigset_t sigs;
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "f:dh", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			app.path = optarg;
			break;
		case 'd':
			foreground = true;
			break;
		case 'c':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	dns_log_open(true);
	app.auth = aves_auth_ctx_create();
	if (app.auth == NULL) {
		dns_log(LOG_ERR, "cannot start ipsec-mb (HMAC-MD5)");
		return 1;
	}
	cfg = dns_config_load(app.path, app.auth, print_config_error, NULL);
	if (cfg == NULL) {
		fprintf(stderr, "%s: configuration has errors\n", app.path);
		goto out;
	}
	if (check) {
		dns_config_print(cfg, stdout);
		dns_config_free(cfg);
		rc = 0;
		goto out;
	}

	/* Signals arrive through the server's signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv = dns_server_create(cfg);
	if (srv == NULL) {
		dns_config_free(cfg);
		goto out;
	}
	/* Before daemon(): its parent exits without drawing, so only the child uses the state. */
	app.rng = dns_random_create(NULL, NULL);
	if (app.rng == NULL) {
		dns_log(LOG_ERR, "getrandom: %s", strerror(errno));
		dns_config_free(cfg);
		goto out;
	}
	app.core = dns_core_create(cfg, &(struct dns_core_params){
		.auth = app.auth,
		.io = &dns_server_io,
		.io_arg = srv,
		.wall_us = dns_wall_ms() * 1000,
		.seed = dns_random_u64(app.rng),
		.rnd = random_below,
		.rnd_arg = app.rng,
	});
	if (app.core == NULL) {
		dns_log(LOG_ERR, "cannot allocate the front end's tables: %s", strerror(errno));
		dns_config_free(cfg);
		goto out;
	}
	dns_server_attach(srv, app.core);
	if (!foreground) {
		if (daemon(0, 0) != 0) {
			dns_log(LOG_ERR, "daemon: %s", strerror(errno));
			goto out;
		}
		dns_log_open(false);
	}
	dns_log(LOG_INFO, "serving %s (MAC code path %s)", app.path, aves_auth_ctx_arch(app.auth));
	rc = dns_server_run(srv, &(struct dns_server_hooks){reload, dump, &app}) == 0 ? 0 : 1;
	dns_log(LOG_INFO, "exiting");
out:
	dns_core_free(app.core);
	dns_random_free(app.rng);
	dns_server_free(srv);
	aves_auth_ctx_free(app.auth);
	return rc;
}

/*
 * daemon.h — the long-running poller.
 */
#ifndef CROSSDOCK_DAEMON_H
#define CROSSDOCK_DAEMON_H

#include <stdint.h>

#include "../config/config.h"
#include "../store/store.h"

/*
 * Poll every partner's sources on its interval (SFTP: its poll; local
 * inboxes: the global poll) and deliver its outbox after each batch,
 * until SIGTERM or SIGINT (the file in hand is finished, then exit 0).
 * SIGHUP re-reads config_path; a configuration that fails the checks
 * is logged and the old one kept.  *cfg may be replaced (the caller
 * frees what is left).  Returns an exit code.
 */
int daemon_run(const char *config_path, struct config **cfg,
    struct store *store, int64_t fixed_now);

#endif

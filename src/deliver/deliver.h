/*
 * deliver.h — push a partner's outbox files to its SFTP outbox.
 */
#ifndef CROSSDOCK_DELIVER_H
#define CROSSDOCK_DELIVER_H

#include <stdint.h>

#include "../config/config.h"
#include "../store/store.h"

struct deliver_summary {
	unsigned long	delivered;
	unsigned long	retrying;	/* failed this time, will retry */
	unsigned long	waiting;	/* backing off: not tried now */
	unsigned long	failed;		/* gave up: error folder */
	unsigned long	conflicts;	/* final name exists remotely */
};

/*
 * Deliver every regular file in p->outbox (not hidden, not in sent/ or
 * error/) to p's SFTP outbox, at most once per (name, content).  now:
 * the batch clock.  0, or -1 when the store failed.
 */
int deliver_partner(const struct config *, struct store *,
    const struct partner *p, int64_t now, struct deliver_summary *sum);

#endif

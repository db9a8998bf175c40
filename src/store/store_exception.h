/*
 * store_exception.h — exceptions and their lifecycle in the store
 * (store_exception.c): the condition of each kind as a set-based query,
 * the current set of a kind compared with its open rows (raise what is
 * new, resolve what is gone), the notices due to a recipient and the
 * mark that they went out.
 *
 * An exception row carries what its notice needs: the recipient (a
 * partner id), the order and waybill, the body variant and the
 * placeholder values as "name[:type]=value" lines (args), where type
 * says how the value is shown to a reader (exceptions.c): money
 * ("USD 5998": currency and minor units), time and day (a UTC time,
 * shown in the recipient's zone), status (a canonical tracking status).
 */
#ifndef CROSSDOCK_STORE_EXCEPTION_H
#define CROSSDOCK_STORE_EXCEPTION_H

#include <stdint.h>

struct store;

/* One exception, as a scan finds it, a hold puts it or a listing shows
 * it.  Strings are owned by the store until the callback returns. */
struct store_exc {
	int64_t		 id;		/* listings and notices */
	const char	*kind;
	const char	*subject;	/* what it is about (order, waybill,
					   warehouse/sku, partner/file) */
	const char	*partner;	/* the party it concerns (merchant,
					   warehouse, the file's partner) */
	const char	*recipient;	/* who is told; NULL: nobody */
	const char	*order_no;
	const char	*waybill;
	const char	*variant;	/* body variant ("late"), NULL */
	const char	*detail;	/* one line for listings */
	const char	*deadline_at;	/* UTC, or NULL */
	int		 provisional;	/* the deadline rests on a
					   provisional calendar */
	const char	*buyer_locale;	/* "zh" or "en": a buyer notice
					   too; NULL: none */
	const char	*args;		/* "name[:type]=value\n"... */
	/* scans only */
	const char	*country;	/* the parcel's destination */
	const char	*since;		/* the clock's start (UTC) */
	/* listings and notices only */
	const char	*status;	/* open notified resolved */
	const char	*detected_at;
	const char	*notified_at;
	const char	*resolved_at;
	const char	*notice_file;	/* the file that carried it */
};

/* Walks (due, each): 0 to go on, anything else stops the walk and is
 * returned. */
typedef int (*store_exc_cb)(void *arg, struct store_exc *);

/* The current set of a kind, as a scan builds it. */
struct store_exc_set;
/* A scan's callback: put x (as it left it) into set, or not; 0 to go
 * on, -1 to stop. */
typedef int (*store_exc_scan_cb)(void *arg, struct store_exc_set *set,
    struct store_exc *x);

/*
 * The condition of kind as it holds now, one row per subject, in
 * subject order: delay (every parcel not delivered, returned or lost,
 * with its latest event in since; the caller applies the limit of its
 * country), lost, returned, customs_hold, customs_rejected, the
 * payment anomalies reconciliation found (amount_mismatch,
 * partial_payment, overpayment, duplicate_payment,
 * cancelled_order_payment, unknown_payment), statement_integrity,
 * unpaid_order (reconciliation's unpaid orders), refund_overdue
 * (refunds requested, in since, with no refund reconciled; the caller
 * applies the deadline), negative_stock, stockout_open_orders,
 * feed_timeliness (the carrier feeds tracking found late or silent),
 * delivery_failure.  Each row goes to cb, which decides what enters
 * the kind's current set.  0, or -1 on a store failure (logged) or
 * when cb stopped.
 */
int store_exception_scan(struct store *, const char *kind,
    store_exc_scan_cb cb, void *arg);
/* Is kind one store_exception_scan knows? */
int store_exception_scannable(const char *kind);
/* Put one row into the current set of its kind (x->kind); a second
 * row for the same subject is ignored.  0 or -1. */
int store_exception_put(struct store_exc_set *, const struct store_exc *x);

/*
 * Compare the current set of kind with its open exceptions: raise each
 * subject not open yet (detected now), resolve each open one no longer
 * in the set, give an open one without a recipient the set's (a
 * delivery failure deliver raised), and empty the set.  Counts added
 * to *raised and *resolved.  0 or -1.
 */
int store_exception_settle(struct store *, const char *kind,
    const char *now, unsigned long *raised, unsigned long *resolved);

/* The open exceptions of recipient that no notice has carried yet, in
 * detection order (detected_at, kind, subject).  0, -1, or cb's. */
int store_exception_due(struct store *, const char *recipient,
    store_exc_cb cb, void *arg);
/* Inside the transaction that records outbound file outbound_id: the
 * due exceptions of recipient up to id through are notified.  0 or -1. */
int store_exception_notified(struct store *, const char *recipient,
    int64_t through, int64_t outbound_id, const char *now);

/* Every exception (open_only: not resolved; kind NULL: every kind) in
 * (kind, subject, detected_at) order.  0, -1, or cb's. */
int store_exception_each(struct store *, int open_only, const char *kind,
    store_exc_cb cb, void *arg);

#endif

/*
 * store_tracking.h — what tracking updates (evaluate/tracking.c) and
 * the feed-timeliness exception (evaluate/exceptions.c) need from the
 * store, in rows and values; the SQL is in store_tracking.c, whose
 * opening comment describes the tables and the exactly-once rules.
 *
 * A tracking generation is a counter that tracking_evaluate advances
 * when it finds something new (events, or orders that take or change a
 * waybill).  Events and ownerships are stamped with the generation that
 * first saw them; a merchant's emit mark records the generation its
 * file runs through.
 */
#ifndef CROSSDOCK_STORE_TRACKING_H
#define CROSSDOCK_STORE_TRACKING_H

#include <stdint.h>

#include "../model/entity.h"
#include "store.h"

/* Where tracking evaluation stands (one row, kept by the store). */
struct store_tracking_state {
	int64_t		 gen;		/* the current generation, 0: none */
	int64_t		 last_event;	/* highest tracking_event id seen */
	int64_t		 last_file;	/* highest inbound_file id seen */
};

/* The update lag of one event, in seconds: received_at minus
 * event_time, both "YYYY-MM-DDTHH:MM:SSZ".  Supplied by the caller
 * (durations are computed in C, not in SQL). */
typedef int64_t (*store_tracking_lag_fn)(const char *event_time,
    const char *received_at);

/* What one evaluation changed. */
struct store_tracking_delta {
	unsigned long	 events;	/* new events stamped */
	unsigned long	 owners;	/* ownerships taken or moved */
	unsigned long	 released;	/* ownerships ended (waybill gone) */
	unsigned long	 held;		/* events whose waybill no order
					   carries, after the evaluation */
};

/*
 * Evaluate what is new since the previous call, inside the caller's
 * transaction: stamp every new event with generation gen and its lag,
 * move each waybill's latest status forward, take ownerships from new
 * and amended orders, refresh the carrier feeds.  late_s: an event
 * more than this late makes its feed late; silent_before: a feed with
 * open parcels whose last delivery was received before this time
 * ("YYYY-MM-DDTHH:MM:SSZ") is silent.  The state's generation becomes
 * gen only when events or ownerships changed.  0 or -1.
 */
int store_tracking_evaluate(struct store *, int64_t gen,
    store_tracking_lag_fn lag, int64_t late_s, const char *silent_before,
    struct store_tracking_delta *out);
/* The state: 1 (st filled), 0 never evaluated (st zeroed), -1 error. */
int store_tracking_state(struct store *, struct store_tracking_state *st);

/*
 * Stream merchant's tracking_update rows (dataset.c's column order:
 * merchant, order_no, waybill, carrier, event_code, status, event_time,
 * location, facility, detail, latest_status, lag_minutes, received_at,
 * latest_event_time) of every event and ownership whose generation is
 * in (after, through]: events first seen then, and every event of a
 * waybill the merchant came to own then.  One SELECT, ordered by
 * order_no, waybill, event_time, event_code, carrier.  cb returns
 * non-zero to stop; 0, -1 on a store failure, or what cb returned.
 */
int store_tracking_rows(struct store *, const char *merchant, int64_t after,
    int64_t through, int (*cb)(void *, const struct value *), void *arg);

/* Where merchant's last delta without rows ended (0: never), and
 * record one (kept only when later); see store_tracking.c, invariant
 * 5.  0 or -1. */
int store_tracking_scanned(struct store *, const char *merchant,
    int64_t *through);
int store_tracking_scanned_put(struct store *, const char *merchant,
    int64_t through);

/* One event of a waybill's history (tracking_print). */
struct store_tracking_event {
	const char	*partner;	/* the carrier partner that sent it */
	const char	*carrier;
	const char	*waybill;
	const char	*event_code;
	const char	*status;
	const char	*event_time;
	const char	*location;	/* NULL when absent */
	const char	*facility;
	const char	*detail;
	const char	*received_at;
	int64_t		 lag_s;
};
typedef int (*store_tracking_event_cb)(void *arg,
    const struct store_tracking_event *);

/* A waybill's latest status and owners. */
struct store_tracking_waybill {
	const char	*waybill;
	const char	*carrier;	/* of the latest event; NULL: none */
	const char	*status;
	const char	*event_time;
	const char	*event_code;
};
typedef int (*store_tracking_owner_cb)(void *arg, const char *merchant,
    const char *order_no);

/* The waybill's latest status, through cb (strings valid during the
 * call): 1, 0 no event of it, -1 error. */
int store_tracking_latest(struct store *, const char *waybill,
    void (*cb)(void *, const struct store_tracking_waybill *), void *arg);
/* The orders that carry waybill (merchant, order_no), in that order.
 * The number listed, or -1. */
int store_tracking_owners(struct store *, const char *waybill,
    store_tracking_owner_cb cb, void *arg);
/* The waybill's evaluated events in event_time, event_code order.
 * The number listed, or -1 (or what cb returned, when non-zero). */
int store_tracking_history(struct store *, const char *waybill,
    store_tracking_event_cb cb, void *arg);
/* Held events: evaluated events of waybills no order carries, by
 * waybill and time.  The number listed, or -1. */
int store_tracking_held(struct store *, store_tracking_event_cb cb,
    void *arg);

/* Update lag per carrier over every evaluated event (nearest-rank
 * percentiles, seconds). */
struct store_tracking_lag {
	const char	*carrier;
	int64_t		 events;
	int64_t		 p50_s;
	int64_t		 p95_s;
	int64_t		 max_s;
};
/* One call per carrier, by carrier.  0, -1, or what cb returned. */
int store_tracking_lag_each(struct store *,
    int (*cb)(void *, const struct store_tracking_lag *), void *arg);

/*
 * Carrier feeds, for the feed_timeliness exception (clause 5.3).  A
 * feed is one carrier code as sent by one partner.  As of the last
 * store_tracking_evaluate (so: after tracking_evaluate, inside the same
 * evaluate_run transaction):
 *   late	1 when the feed's latest delivery (its events with the
 *		newest received_at) holds an event more than lag_hours
 *		after its event time (worst_lag_s > lag_hours * 3600);
 *		clears with a later delivery that holds none.
 *   silent	1 when the feed has open parcels (waybills whose latest
 *		event is its own and not delivered, returned or lost) and
 *		its last delivery was received more than silence_hours
 *		before the batch clock; clears with the next delivery or
 *		when no parcel is open.
 */
struct store_tracking_feed {
	const char	*partner;		/* the carrier partner */
	const char	*carrier;		/* the carrier code */
	int64_t		 events;		/* all evaluated so far */
	const char	*last_received_at;	/* its latest delivery */
	const char	*last_event_time;	/* newest event time */
	int64_t		 worst_lag_s;		/* in the latest delivery */
	int64_t		 open_parcels;
	int		 late;
	int		 silent;
};
/* Every feed by partner and carrier.  0, -1, or what cb returned. */
int store_tracking_feed_each(struct store *,
    int (*cb)(void *, const struct store_tracking_feed *), void *arg);

#endif

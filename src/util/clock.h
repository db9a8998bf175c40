/*
 * clock.h — the monotonic clock, for timeouts, pacing and the time a
 * step took (never for what is stored: that is the batch clock).
 */
#ifndef CROSSDOCK_CLOCK_H
#define CROSSDOCK_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t clock_mono_ms(void);

#endif

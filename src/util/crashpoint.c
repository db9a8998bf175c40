/*
 * crashpoint.c — see crashpoint.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "crashpoint.h"

void
crashpoint(const char *where)
{
	static int init, trace;
	static long target, n;
	const char *s;

	if (!init) {
		init = 1;
		if ((s = getenv("CROSSDOCK_CRASHPOINT")) != NULL)
			target = strtol(s, NULL, 10);
		trace = getenv("CROSSDOCK_CRASHPOINT_TRACE") != NULL;
	}
	if (target <= 0 && !trace)
		return;
	n++;
	if (trace)
		fprintf(stderr, "crashpoint %ld %s\n", n, where);
	if (n == target) {
		fprintf(stderr, "crashpoint %ld %s: SIGKILL\n", n, where);
		kill(getpid(), SIGKILL);
	}
}

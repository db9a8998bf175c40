/*
 * crashpoint.h — deterministic crash injection for the crash tests.
 *
 * With CROSSDOCK_CRASHPOINT=N in the environment, the Nth call to
 * crashpoint() kills the process with a real SIGKILL (no cleanup, no
 * atexit, exactly like kill -9).  With CROSSDOCK_CRASHPOINT_TRACE set,
 * every call prints "crashpoint N WHERE" to stderr, so a test can count
 * the points of a clean run and then kill at each of them.  Without
 * either variable a call costs one branch.
 */
#ifndef CROSSDOCK_CRASHPOINT_H
#define CROSSDOCK_CRASHPOINT_H

void crashpoint(const char *where);

#endif

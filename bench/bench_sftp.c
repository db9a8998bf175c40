/*
 * bench_sftp.c — the SFTP transport's side of bench/sftp_bench.sh.
 *
 *   bench_sftp download SRVDIR REMOTE_DIR STAGING
 *	open + list + fetch of the one file in REMOTE_DIR (the real fetch:
 *	streamed into STAGING, fsync'd, re-checked), then close; prints
 *	bytes=N seconds=S (wall time from before connecting to the fd).
 *   bench_sftp poll SRVDIR REMOTE_DIR
 *	one list() of REMOTE_DIR (pickup settle 0: two listings, every
 *	file returned); prints files=N seconds=S.
 *
 * SRVDIR is a tests/sftp/sshd.sh folder (port, user, keys,
 * known_hosts).  Built by bench/sftp_bench.sh against build/'s objects.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "transport/transport.h"
#include "util/log.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
read_word(const char *dir, const char *name, char *buf, size_t n)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL || fscanf(fp, "%255s", buf) != 1) {
		fprintf(stderr, "bench_sftp: cannot read %s\n", path);
		exit(1);
	}
	fclose(fp);
	(void)n;
}

int
main(int argc, char **argv)
{
	char portbuf[256], user[256], key[PATH_MAX], kh[PATH_MAX];
	struct sftp_cfg sf;
	struct file_rule rule;
	struct partner p;
	struct config c;
	struct transport_list l;
	char *inbox[1], *cleanup = NULL, sha[65];
	double t0, t1;
	void *h;
	int fd;

	if (argc < 4 || (strcmp(argv[1], "download") == 0 && argc != 5) ||
	    (strcmp(argv[1], "poll") == 0 && argc != 4)) {
		fprintf(stderr, "usage: bench_sftp download SRVDIR REMOTE_DIR "
		    "STAGING | poll SRVDIR REMOTE_DIR\n");
		return 2;
	}
	log_init(LOG_LVL_WARN);
	read_word(argv[2], "port", portbuf, sizeof portbuf);
	read_word(argv[2], "user", user, sizeof user);
	snprintf(key, sizeof key, "%s/id_ed25519", argv[2]);
	snprintf(kh, sizeof kh, "%s/known_hosts", argv[2]);
	memset(&sf, 0, sizeof sf);
	memset(&rule, 0, sizeof rule);
	memset(&p, 0, sizeof p);
	memset(&c, 0, sizeof c);
	inbox[0] = argv[3];
	sf.host = "127.0.0.1";
	sf.port = atoi(portbuf);
	sf.user = user;
	sf.key = key;
	sf.known_hosts = kh;
	sf.inboxes = inbox;
	sf.ninboxes = 1;
	sf.pickup = PICKUP_SETTLE;
	sf.settle_ms = 0;
	sf.connect_timeout_ms = 10000;
	sf.timeout_ms = 30000;
	sf.min_speed = 1024;
	rule.glob = "*";
	rule.mapping = "bench";
	p.id = "bench";
	p.sftp = &sf;
	p.rules = &rule;
	p.nrules = 1;
	c.staging = argc == 5 ? argv[4] : "/tmp";
	c.partners = &p;
	c.npartners = 1;

	t0 = now();
	if ((h = transport_sftp.open(&p, &c)) == NULL)
		return 1;
	if (strcmp(argv[1], "poll") == 0) {
		t0 = now();	/* the poll alone, not the login */
		if (transport_sftp.list(h, &l) == -1)
			return 1;
		t1 = now();
		printf("files=%zu seconds=%.3f\n", l.nfiles, t1 - t0);
		transport_list_free(&l);
		transport_sftp.close(h);
		return 0;
	}
	if (transport_sftp.list(h, &l) == -1 || l.nfiles != 1) {
		fprintf(stderr, "bench_sftp: expected one file in %s\n",
		    argv[3]);
		return 1;
	}
	if (transport_sftp.fetch(h, &l.files[0], &fd, &cleanup, sha) != 0)
		return 1;
	t1 = now();
	printf("bytes=%lld seconds=%.3f\n", (long long)l.files[0].size,
	    t1 - t0);
	close(fd);
	unlink(cleanup);
	free(cleanup);
	transport_list_free(&l);
	transport_sftp.close(h);
	return 0;
}

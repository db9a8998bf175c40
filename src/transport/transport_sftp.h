/*
 * transport_sftp.h — what `crossdock hostkey add PARTNER` needs from the
 * SFTP transport.  Everything else goes through transport_sftp, the
 * const struct transport_ops declared in transport.h.
 */
#ifndef CROSSDOCK_TRANSPORT_SFTP_H
#define CROSSDOCK_TRANSPORT_SFTP_H

#include <stddef.h>

#include "../config/config.h"

/*
 * Connect once to cfg's server (no host-key check, no login) and fetch
 * its host key: fingerprint gets the OpenSSH form "SHA256:base64",
 * *known_hosts_line (caller frees) a known_hosts line for "[host]:port"
 * (or "host" on port 22).  0, or -1 with err.
 */
int	transport_sftp_hostkey(const struct sftp_cfg *cfg, char *fingerprint,
	    size_t fplen, char **known_hosts_line, char *err, size_t errlen);
/*
 * Add line to the known_hosts file (created, with its folder, if
 * missing) by writing a new copy, fsyncing it and renaming it over the
 * old one.  A line already present is not added twice.  0, or -1 with
 * errno.
 */
int	transport_sftp_pin(const char *known_hosts_path, const char *line);

#endif

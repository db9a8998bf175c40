#!/bin/sh
# tests/sftp/sshd.sh start|stop DIR — a private OpenSSH sshd for tests.
#
# start: generates into DIR host keys (ed25519, ecdsa, rsa) and user
# keys, and runs /usr/sbin/sshd as the current user on 127.0.0.1 on a
# free port with the internal-sftp subsystem and DIR/authorized_keys.
# It leaves in DIR:
#   port         the port
#   pid          the listener's pid
#   user         the login name
#   known_hosts  "[127.0.0.1]:PORT" with the ed25519 host key only
#   id_ed25519   user key, authorized
#   id_other     user key (ed25519), not authorized
#   id_pass      user key (ed25519), authorized, passphrase in
#                id_pass.passphrase
#   id_rsa       user key (rsa), authorized (libssh2 1.10 cannot use it)
#   host_*.pub   the host keys, sshd.log the server's log
# stop: ends the listener and every session under it, by pid, and waits.
#
# SSHD=/path overrides the binary.  Password logins stay off.
set -eu

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
SSHD=${SSHD:-/usr/sbin/sshd}

# every process below pid, deepest first
descendants() {
	for c in $(pgrep -P "$1" 2>/dev/null || true); do
		descendants "$c"
		echo "$c"
	done
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start() {
	if [ ! -x "$SSHD" ]; then
		echo "sshd.sh: $SSHD is missing: install openssh-server" >&2
		exit 1
	fi
	mkdir -p "$dir"
	chmod 700 "$dir"
	dir=$(cd "$dir" && pwd)
	rm -f "$dir"/host_* "$dir"/id_* "$dir/port" "$dir/pid"
	ssh-keygen -q -t ed25519 -N '' -C host -f "$dir/host_ed25519"
	ssh-keygen -q -t ecdsa -b 256 -N '' -C host -f "$dir/host_ecdsa"
	ssh-keygen -q -t rsa -b 2048 -N '' -C host -f "$dir/host_rsa"
	ssh-keygen -q -t ed25519 -N '' -C test -f "$dir/id_ed25519"
	ssh-keygen -q -t ed25519 -N '' -C other -f "$dir/id_other"
	printf 'pass phrase 42\n' >"$dir/id_pass.passphrase"
	chmod 600 "$dir/id_pass.passphrase"
	ssh-keygen -q -t ed25519 -N 'pass phrase 42' -C pass -f "$dir/id_pass"
	ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$dir/id_rsa"
	cat "$dir/id_ed25519.pub" "$dir/id_pass.pub" "$dir/id_rsa.pub" \
	    >"$dir/authorized_keys"
	id -un >"$dir/user"
	# sshd started by root wants its privilege-separation folder
	if [ "$(id -u)" = 0 ]; then
		mkdir -p /run/sshd
		chmod 755 /run/sshd
	fi
	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(free_port)
		cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
HostKey $dir/host_ecdsa
HostKey $dir/host_rsa
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
UseDNS no
MaxStartups 50
MaxSessions 50
Subsystem sftp internal-sftp
LogLevel VERBOSE
EOF
		rm -f "$dir/sshd.pid"
		if "$SSHD" -f "$dir/sshd_config" -E "$dir/sshd.log"; then
			# sshd writes its pid file once it listens
			i=0
			while [ ! -s "$dir/sshd.pid" ] && [ $i -lt 100 ]; do
				sleep 0.05
				i=$((i + 1))
			done
			if [ -s "$dir/sshd.pid" ]; then
				break
			fi
		fi
		if [ $tries -ge 5 ]; then
			echo "sshd.sh: sshd would not start; see $dir/sshd.log" >&2
			tail -5 "$dir/sshd.log" >&2 || true
			exit 1
		fi
	done
	echo "$port" >"$dir/port"
	cp "$dir/sshd.pid" "$dir/pid"
	printf '[127.0.0.1]:%s %s\n' "$port" \
	    "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
}

stop() {
	[ -s "$dir/pid" ] || exit 0
	pid=$(cat "$dir/pid")
	if kill -0 "$pid" 2>/dev/null; then
		kids=$(descendants "$pid")
		kill "$pid" 2>/dev/null || true
		for k in $kids; do
			kill -CONT "$k" 2>/dev/null || true
			kill -KILL "$k" 2>/dev/null || true
		done
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/pid"
}

case $cmd in
start) start ;;
stop) stop ;;
*) usage ;;
esac

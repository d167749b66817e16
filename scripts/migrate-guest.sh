#!/bin/sh
# Guest side of "make check-migrate" (scripts/check-migrate runs it in two
# guests linked by scripts/vm-run --net).
#
#   migrate-guest.sh source MIB RATE [precopy]
#                                       192.0.2.1: runs the container, moves it
#   migrate-guest.sh dest               192.0.2.2: takes it and checks it
#
# The container (migload run, in new pid and network namespaces, in cgroup
# /sys/fs/cgroup/mig) is a counter with MIB MiB of memory it rewrites at
# RATE MiB/s, a TCP server and a client connected to it; its files are in
# /mig. The source freezes it, sends /mig (the container's files, which the
# restored tasks open again by path), then streams the image with
# checkpoint --send into restart --receive on the destination, and kills
# its frozen copy once the destination said it restored it.
#
# Lines "MIG <event>" are what the host timestamps (the downtime is from
# the source's "MIG frozen" to the destination's "MIG resumed"); "MIG ok"
# and "MIG FAIL: why" are the verdicts.
set -u

SRC=192.0.2.1
DST=192.0.2.2
IMG_PORT=7000
FILE_PORT=7001
M=/mig
CG=/sys/fs/cgroup/mig

say() { echo "MIG $*"; }
show() {
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "--- $f"
		tail -n 15 "$f"
	done
}
die() {
	say "FAIL: $*"
	show /tmp/ck.log /tmp/rs.log $M/init.log $M/counter.log $M/server.log \
		$M/client.log
	exit 1
}

link_up() {
	ip link set eth0 up || die "no eth0"
	ip addr add "$1/24" dev eth0 || die "cannot set $1 on eth0"
}

# count_lines FILE WORD: the numbers of the lines "WORD N", checked to go
# 1, 2, 3, ... (client: 10, 20, 30, ...) with no gap and no repeat; prints
# the last one.
count_lines() {
	awk -v w="$2" -v step="$3" '
		$1 == w { n++; if ($2 != n * step) { bad = 1; exit } last = $2 }
		END { if (bad || !n) exit 1; print last }' "$1"
}

source_side() {
	mib=$1
	rate=$2
	precopy=
	[ "$3" = precopy ] && precopy=--precopy
	link_up $SRC
	mkdir -p $M $CG || die "cannot make $M and $CG"
	sh -c "echo \$\$ > $CG/cgroup.procs && exec nsexec -p -n -d -P /tmp/mig.pid -- migload run $M $mib $rate </dev/null >$M/stdout 2>&1" ||
		die "cannot start the container"
	pid=$(cat /tmp/mig.pid)
	i=0
	until [ -e $M/ready ]; do
		i=$((i + 1))
		[ $i -le 1200 ] || die "the container did not start within 120 s"
		sleep 0.1
	done
	# let it run: counting, dirtying, talking
	sleep 3
	[ "$(count_lines $M/counter.log count 1)" -gt 0 ] || die "the counter does not count"
	say "container pid $pid, $(cat $CG/cgroup.procs | wc -l) processes, $mib MiB at $rate MiB/s"

	# The tool freezes the cgroup (after the pre-copy rounds, if any);
	# frozen, the hook says so and sends /mig, which the restored tasks
	# open again by path, before the image.
	hook="echo MIG frozen; tar cf /tmp/mig.tar -C / mig && migload send $DST:$FILE_PORT </tmp/mig.tar"
	checkpoint --send $DST:$IMG_PORT $precopy --freeze-cgroup $CG --kill \
		--exec-frozen "$hook" -l /tmp/ck.log "$pid" || die "checkpoint --send failed"
	say "sent"

	# nothing of the container runs here any more, and nothing ran after
	# the freeze: its files are what was sent
	i=0
	while [ -s $CG/cgroup.procs ]; do
		i=$((i + 1))
		[ $i -le 100 ] || die "the container still has tasks here: $(cat $CG/cgroup.procs)"
		sleep 0.05
	done
	tar cf /tmp/mig.after -C / mig || die "tar"
	cmp -s /tmp/mig.tar /tmp/mig.after ||
		die "the container's files changed here after the freeze"
	grep 'stats:' /tmp/ck.log | sed 's/^/MIG stats source: /'
	say "source ok"
}

dest_side() {
	link_up $DST
	# the image (and the pre-copy before it) comes on one port, the
	# container's files, while it is frozen, on the other: restart opens
	# them only once they are here (the sender waits for the unpacking)
	restart --receive $DST:$IMG_PORT -l /tmp/rs.log --detach >/tmp/rs.out &
	rpid=$!
	migload recv $DST:$FILE_PORT "tar xf - -C /" || die "cannot receive $M"
	before=$(count_lines $M/counter.log count 1) || die "bad counter.log received"
	cbefore=$(count_lines $M/client.log client 10) || die "bad client.log received"
	wait $rpid || die "restart --receive failed"
	pid=$(cat /tmp/rs.out)
	say "resumed pid $pid"
	say "counter was at $before, client at $cbefore"
	# have the counter (the container's first child) verify all its
	# memory now (it also does after a pause it sees, but this guest's
	# clock is not the source's)
	counter=$(cut -d' ' -f1 /proc/"$pid"/task/"$pid"/children)
	kill -USR1 "$counter" || die "no restored counter"

	# it goes on from where it was: every count once, in order
	i=0
	while :; do
		sleep 0.5
		i=$((i + 1))
		after=$(count_lines $M/counter.log count 1) ||
			die "counter.log has a gap or a repeat"
		cafter=$(count_lines $M/client.log client 10) ||
			die "client.log has a gap or a repeat"
		[ "$after" -gt $((before + 20)) ] && [ "$cafter" -gt $((cbefore + 20)) ] &&
			awk -v b="$before" '$1 == "verified" && $5 >= b { ok = 1 } END { exit !ok }' \
				$M/counter.log && break
		[ $i -le 120 ] || die "no progress after the restart (counter $after, client $cafter)"
	done
	grep -q 'ERROR\|CORRUPTED' $M/*.log && die "the container logged an error"
	# SIGUSR1 made the counter verify all of its memory; it exits
	# (logging CORRUPTED) if a block is wrong
	awk -v b="$before" '$1 == "verified" && $5 >= b { ok = 1 } END { exit !ok }' \
		$M/counter.log || die "the counter did not verify its memory after the restart"
	[ -d /proc/"$pid" ] || die "the container's pid 1 is gone"
	grep 'stats:' /tmp/rs.log | sed 's/^/MIG stats dest: /'
	say "counter $before -> $after, client $cbefore -> $cafter, memory verified"
	say "ok"
}

case ${1:-} in
source) [ $# -ge 3 ] || die "usage: $0 source MIB RATE [precopy]"; source_side "$2" "$3" "${4:-}" ;;
dest) dest_side ;;
*) die "usage: $0 source MIB RATE | dest" ;;
esac

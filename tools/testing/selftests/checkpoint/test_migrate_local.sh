#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkpoint --send into restart --receive over the loopback of one guest
# (make check-migrate does it between two guests): a container of migload
# (/usr/bin/migload, a counter with memory it keeps rewriting, a TCP server
# and its client; skipped without it) moves to a new pid and network
# namespace of the same machine.
#
#   1 stop_and_copy   the whole image through the connection
#   2 precopy         --precopy: memory sent while it runs, then only the
#                     pages written since; the receiver merges them in
#   3 failed_restart  the receiver cannot restore it (it runs as a user who
#                     may not make namespaces): checkpoint says why, exits
#                     1, and the original is thawed and goes on, not killed
#   4 refused_image   the same when the receiver's kernel refuses the image
#                     (the container's files are not where it looks)
#
# After a move, the restored counter and client must go on from where they
# were (every count and request exactly once, in order), its memory intact,
# and the original must be gone.
set -u

. "$(dirname "$0")/cr_lib.sh"
cr_require checkpoint restart nsexec migload

PORT=7000
CG=/sys/fs/cgroup/cr_migrate_local
T=/tmp/cr_migrate_local

echo "1..4"
rc=0
ok() { echo "ok $1 $2"; }
notok() {
	echo "not ok $1 $2"
	for f in $T/ck.log $T/rs.log $T/rs.err $T/init.log $T/counter.log \
		$T/server.log $T/client.log; do
		[ -s "$f" ] && { echo "# --- $f"; tail -n 12 "$f" | sed 's/^/# /'; }
	done
	rc=1
}

# count_lines FILE WORD STEP: the last N of the lines "WORD N", which must
# go STEP, 2 STEP, 3 STEP, ... with no gap and no repeat
count_lines() {
	awk -v w="$2" -v step="$3" '
		$1 == w { n++; if ($2 != n * step) { bad = 1; exit } last = $2 }
		END { if (bad || !n) exit 1; print last }' "$1"
}

cleanup() {
	[ -d $CG ] && echo 1 >$CG/cgroup.kill 2>/dev/null
	[ -n "${new:-}" ] && kill -9 "$new" 2>/dev/null
	i=0
	while [ -d $CG ] && ! rmdir $CG 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	new=
}

# start MIB: a fresh container in cgroup $CG; sets $pid
start() {
	cleanup
	rm -rf $T
	mkdir -p $T $CG
	sh -c "echo \$\$ > $CG/cgroup.procs && exec nsexec -p -n -d -P $T/pid -- migload run $T $1 10 </dev/null >$T/out 2>&1" ||
		return 1
	pid=$(cat $T/pid)
	i=0
	until [ -e $T/ready ]; do
		i=$((i + 1))
		[ $i -le 600 ] || return 1
		sleep 0.1
	done
	sleep 1
}

# moved N NAME: check that the container runs restored as $new and that
# the original is gone
moved() {
	# have the restored counter (the root's first child) verify all of
	# its memory: a move this quick does not make it do so by itself
	counter=$(cut -d' ' -f1 /proc/"$new"/task/"$new"/children)
	kill -USR1 "$counter" || { echo "# no restored counter"; return 1; }
	i=0
	while :; do
		sleep 0.3
		i=$((i + 1))
		after=$(count_lines $T/counter.log count 1) ||
			{ echo "# counter.log has a gap or a repeat"; return 1; }
		cafter=$(count_lines $T/client.log client 10) ||
			{ echo "# client.log has a gap or a repeat"; return 1; }
		[ "$after" -gt $((before + 10)) ] && [ "$cafter" -gt $((cbefore + 10)) ] &&
			awk -v b="$before" '$1 == "verified" && $5 >= b { ok = 1 } END { exit !ok }' \
				$T/counter.log && break
		[ $i -le 100 ] || { echo "# no progress: counter $after, client $cafter"; return 1; }
	done
	if grep -q 'ERROR\|CORRUPTED' $T/*.log; then
		echo "# the container logged an error"
		return 1
	fi
	if [ -d /proc/"$pid" ] && [ "$(sed 's/.*) //' /proc/"$pid"/stat | cut -d' ' -f1)" != Z ]; then
		echo "# the original $pid still exists"
		return 1
	fi
	echo "# counter $before -> $after, client $cbefore -> $cafter"
}

# move N NAME [OPTION [CHECK]]: checkpoint --send (with OPTION) into
# restart --receive; CHECK, a shell condition, must hold after it
move() {
	n=$1
	name=$2
	restart --receive 127.0.0.1:$PORT -l $T/rs.log --detach >$T/rs.out 2>$T/rs.err &
	rpid=$!
	checkpoint --send 127.0.0.1:$PORT ${3:-} --freeze-cgroup $CG --kill \
		--exec-frozen "cat $T/counter.log >/dev/null" -l $T/ck.log "$pid" 2>$T/ck.err
	ck=$?
	wait $rpid
	rs=$?
	new=$(cat $T/rs.out)
	if [ $ck != 0 ] || [ $rs != 0 ]; then
		echo "# checkpoint exited $ck, restart $rs: $(cat $T/ck.err $T/rs.err)"
		notok $n $name
		return
	fi
	if [ -n "${4:-}" ] && ! sh -c "$4"; then
		echo "# not true after the move: $4"
		notok $n $name
		return
	fi
	if moved; then ok $n $name; else notok $n $name; fi
}

if start 16; then
	before=$(count_lines $T/counter.log count 1)
	cbefore=$(count_lines $T/client.log client 10)
	move 1 stop_and_copy
else
	echo "# the container did not start"
	notok 1 stop_and_copy
fi

if start 32; then
	before=$(count_lines $T/counter.log count 1)
	cbefore=$(count_lines $T/client.log client 10)
	# the pre-copy must have happened (its figures in both logs)
	move 2 precopy --precopy \
		"grep -q 'stats: precopy rounds=[1-9]' $T/ck.log && grep -q 'stats: precopy pages=[1-9]' $T/rs.log"
else
	echo "# the container did not start"
	notok 2 precopy
fi

# refused N NAME RECEIVER: start a container, send it to RECEIVER (a
# command run in the background, restart --receive in some form) which
# must fail: checkpoint must say the receiver's reason, exit 1, and thaw
# the original (not kill it), which goes on counting
refused() {
	n=$1
	name=$2
	if ! start 16; then
		echo "# the container did not start"
		notok $n $name
		return
	fi
	sh -c "$3" >$T/rs.out 2>$T/rs.err &
	rpid=$!
	checkpoint --send 127.0.0.1:$PORT --freeze-cgroup $CG --kill \
		-l $T/ck.log "$pid" 2>$T/ck.err
	ck=$?
	wait $rpid
	rs=$?
	before=$(count_lines $T/counter.log count 1)
	sleep 1.5
	after=$(count_lines $T/counter.log count 1)
	if [ $ck = 1 ] && [ $rs = 1 ] && grep -q "^checkpoint: 127.0.0.1:$PORT: restart: " $T/ck.err &&
	   grep -q '^0' $CG/cgroup.freeze && [ "$after" -gt "$before" ]; then
		echo "# checkpoint said: $(grep "127.0.0.1:$PORT" $T/ck.err)"
		ok $n $name
	else
		echo "# checkpoint exited $ck, restart $rs; counter $before -> $after"
		echo "# checkpoint said: $(cat $T/ck.err)"
		echo "# restart said: $(cat $T/rs.err)"
		notok $n $name
	fi
}

# 3: an unprivileged user cannot make the container's namespaces
refused 3 failed_restart "su cruser -s /bin/sh -c 'restart --receive 127.0.0.1:$PORT --detach'"
# 4: the receiver's kernel refuses the image (in the receiver's mount
# namespace the container's files are not there); this also fails if the
# sender was told "ok" before the restart was done
refused 4 refused_image "nsexec -m -- sh -c 'mount -t tmpfs none $T && exec restart --receive 127.0.0.1:$PORT --detach'"
cleanup
rm -rf $T
exit $rc

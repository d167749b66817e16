#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Real programs through checkpoint and restart: ordinary busybox programs
# (sh, seq, cat, dd, md5sum, sleep) connected by pipes and a FIFO are
# frozen in the middle of their work, checkpointed, killed, restarted
# detached (restart -d) and must reach the same end result as the same
# programs run without a checkpoint: nothing lost, nothing duplicated.
#
#  1. pipeline_mid_stream: sh -c 'producer | slow consumer > out', the
#     producer emitting seq bursts faster than the consumer copies them,
#     checkpointed (subtree mode) with unread lines in the pipe; out must
#     end up equal to seq 1 N.
#  2. fifo_cat_md5sum: a writer puts a first half of random data into a
#     FIFO, a reader takes a bit of it with dd, then both wait for a GO
#     file while the rest sits in the FIFO; checkpointed there (subtree
#     mode), restarted, GO given: the writer adds the second half, the
#     reader cats it all into md5sum, whose sum must be that of the whole.
#     The writer is part of the tree: an end outside it is not reconnected
#     by restart (see fs/pipe_checkpoint.c).
#  3. container_pipeline: a counter piped into a shell that appends each
#     line to a file, in a container made by nsexec (new pid and mount
#     namespaces), checkpointed in container mode and restarted into a new
#     pid namespace; the file must go on with consecutive numbers.
#
#  4. http_server: busybox httpd serving a file on 127.0.0.1, checkpointed
#     between two requests (subtree mode), killed (nothing answers), and
#     restarted: it serves the same bytes on the same port.
#
#  5. client_server: in a container with its own network namespace
#     (nsexec -p -n), a busybox nc server on 127.0.0.1 writes what it
#     receives to a file, and an nc client sends it numbered lines at a
#     slow pace; checkpointed with the connection open (container mode),
#     killed, restarted into a new network namespace (TCP repair): the
#     file goes on to the last line, every line once and in order.
#
# Each case runs in its own cgroup v2 directory, frozen by hand with
# cgroup.freeze and killed with cgroup.kill; the restart tool is started in
# it too, so the restored tasks land there. The trees' standard streams are
# /dev/null or files: a root's stream leading out of the tree (a pipe to
# this script) would be handed over from the restarter instead of restored.
set -u

. "$(dirname "$0")/cr_lib.sh"
cr_require checkpoint restart nsexec

echo "TAP version 13"
echo "1..5"
top=$(mktemp -d /tmp/test_programs.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
cgbase=/sys/fs/cgroup/test_programs.$$

# everything this script made: run on exit, whatever the path
cleanup_all() {
	for c in "$cgbase".*; do
		[ -d "$c" ] || continue
		cg_kill "$c"
		rmdir "$c" 2>/dev/null
	done
	rm -rf "$top"
}
trap cleanup_all EXIT
trap 'exit 143' TERM INT HUP

# wait_until TENTHS CMD...: poll CMD every 0.1 s, at most TENTHS times
wait_until() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

cg_empty() { [ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ]; }
cg_frozen() { grep -q "^frozen 1" "$1/cgroup.events"; }
gone() { for p in "$@"; do [ ! -d "/proc/$p" ] || return 1; done; }
both_exist() { [ -e "$1" ] && [ -e "$2" ]; }
lines_at_least() { [ -s "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# Kill every task of cgroup $1 (frozen or not) and wait until it is empty.
cg_kill() {
	if [ -e "$1/cgroup.kill" ]; then
		echo 1 >"$1/cgroup.kill" 2>/dev/null
	else
		while read -r p; do
			kill -9 "$p" 2>/dev/null
		done <"$1/cgroup.procs"
	fi
	echo 0 >"$1/cgroup.freeze" 2>/dev/null
	wait_until 100 cg_empty "$1"
}

cg_freeze() {
	echo 1 >"$1/cgroup.freeze" && wait_until 100 cg_frozen "$1"
}

# run_in_cg CG CMD...: CMD in cgroup CG, in the background, with its
# standard streams on /dev/null and $t/err; its pid in $pid
run_in_cg() {
	cg_dir=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' run "$cg_dir" "$@" \
		</dev/null >/dev/null 2>>"$t/err" &
	pid=$!
}

# restart_in_cg CG: restart -d of $t/img from cgroup CG; the restored
# root's pid in $new
restart_in_cg() {
	new=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec restart -d -l "$2" -i "$3"' \
		restart "$1" "$t/rlog" "$t/img" </dev/null 2>>"$t/err") &&
		[ -n "$new" ]
}

# bytes of unread pipe data in image $1, per kind: "anon BYTES fifo BYTES"
pipe_data() {
	ckptinfo "$1" | awk '
		$2 == "PIPE" { kind = ($0 ~ / fifo\(/) ? "fifo" : "anon" }
		$2 == "PIPE_BUF" { b[kind] += $4 }
		END { printf "anon %d fifo %d\n", b["anon"], b["fifo"] }'
}

# Case failure: say why with the logs, clean up, leave the case's subshell.
fail() {
	echo "# $*"
	for f in err log rlog; do
		[ -s "$t/$f" ] && sed "s/^/# $f: /" "$t/$f"
	done
	cg_kill "$cg"
	rmdir "$cg" 2>/dev/null
	exit 1
}

# freeze, checkpoint (options $@) and kill the tree of $pid in $cg
checkpoint_and_kill() {
	cg_freeze "$cg" || fail "the tree did not freeze"
	procs=$(cat "$cg/cgroup.procs")
	checkpoint "$@" -l "$t/log" -o "$t/img" "$pid" || fail "checkpoint failed"
	cg_kill "$cg" || fail "the tree did not die"
	wait "$pid" 2>/dev/null
	# a subtree restart needs the same pids free again: all of them reaped
	# shellcheck disable=SC2086 # a list of pids
	wait_until 100 gone $procs || fail "the killed tasks were not reaped"
	pid=
}

# run_case NUMBER NAME FUNCTION: FUNCTION in a subshell, TAP line for it
fails=0
run_case() {
	start=$(date +%s)
	t=$top/$1
	cg=$cgbase.$1
	(
		mkdir -p "$t" "$cg" || { echo "# setup failed"; exit 1; }
		: >"$t/err"
		"$3"
	)
	rc=$?
	echo "# $2 took $(($(date +%s) - start)) s"
	if [ "$rc" -eq 0 ]; then
		echo "ok $1 $2"
	else
		echo "not ok $1 $2"
		fails=$((fails + 1))
	fi
}

# --- 1. producer | slow consumer > out -----------------------------------

# lines 1 to $1 in bursts of $2, $3 s between bursts and every 10 lines
# copied, to file $4
# shellcheck disable=SC2016 # expanded by the tree's shell
PIPELINE='
i=1
while [ $i -le $1 ]; do
	j=$((i + $2 - 1))
	[ $j -le $1 ] || j=$1
	seq $i $j
	i=$((j + 1))
	sleep $3
done | {
	k=0
	while read -r l; do
		echo "$l"
		k=$((k + 1))
		[ $((k % 10)) -ne 0 ] || sleep $3
	done
} >"$4"'
N1=420

case_pipeline() {
	out=$t/out
	seq 1 "$N1" >"$t/expected"
	# the same programs without throttle nor checkpoint
	sh -c "$PIPELINE" pipeline "$N1" 30 0 "$t/ref" </dev/null >/dev/null 2>&1
	cmp -s "$t/ref" "$t/expected" || fail "the pipeline itself does not give seq 1 $N1"

	run_in_cg "$cg" sh -c "$PIPELINE" pipeline "$N1" 30 0.1 "$out"
	wait_until 150 lines_at_least "$out" 60 || fail "the pipeline did not start"
	checkpoint_and_kill --subtree
	at=$(wc -l <"$out")
	[ "$at" -lt "$N1" ] || fail "the pipeline was over at the checkpoint"
	inflight=$(pipe_data "$t/img")
	echo "# checkpointed with $at lines copied; unread pipe data: $inflight"
	case $inflight in "anon 0 "*) fail "no data in the pipe at the checkpoint" ;; esac

	restart_in_cg "$cg" || fail "restart failed"
	wait_until 450 cg_empty "$cg" || fail "the restored pipeline did not finish"
	cmp -s "$out" "$t/expected" ||
		fail "output differs from seq 1 $N1: $(wc -l <"$out") lines, last $(tail -n 1 "$out")"
	rmdir "$cg"
}

# --- 2. writer > FIFO; (dd; cat) < FIFO | md5sum > out -------------------

# $1 the FIFO, $2 and $3 the halves, $4 the GO file, $5 the sum, $6 a
# directory for the markers "written" (first half in) and "read" (dd done)
# shellcheck disable=SC2016 # expanded by the tree's shell
FIFO_PIPELINE='
{
	cat "$2"
	: >"$6/written"
	while [ ! -e "$4" ]; do sleep 0.05; done
	cat "$3"
} >"$1" &
{
	dd bs=1000 count=10 2>/dev/null
	: >"$6/read"
	while [ ! -e "$4" ]; do sleep 0.05; done
	cat
} <"$1" | md5sum >"$5"
wait'

case_fifo() {
	head -c 40000 /dev/urandom >"$t/half1"
	head -c 150000 /dev/urandom >"$t/half2"
	cat "$t/half1" "$t/half2" | md5sum >"$t/expected"
	mkfifo "$t/fifo" || fail "mkfifo"
	# the same programs without checkpoint, GO given from the start
	mkdir "$t/refmark"
	: >"$t/refgo"
	sh -c "$FIFO_PIPELINE" fifo "$t/fifo" "$t/half1" "$t/half2" "$t/refgo" \
		"$t/ref" "$t/refmark" </dev/null >/dev/null 2>&1
	cmp -s "$t/ref" "$t/expected" || fail "the pipeline itself gives another sum"

	run_in_cg "$cg" sh -c "$FIFO_PIPELINE" fifo "$t/fifo" "$t/half1" "$t/half2" \
		"$t/go" "$t/out" "$t"
	wait_until 150 both_exist "$t/written" "$t/read" ||
		fail "the first half did not go through"
	checkpoint_and_kill --subtree
	[ ! -s "$t/out" ] || fail "md5sum was over at the checkpoint"
	inflight=$(pipe_data "$t/img")
	echo "# checkpointed after the first half; unread pipe data: $inflight"
	case $inflight in *"fifo 0") fail "no data in the FIFO at the checkpoint" ;; esac

	restart_in_cg "$cg" || fail "restart failed"
	: >"$t/go"
	wait_until 450 cg_empty "$cg" || fail "the restored pipeline did not finish"
	cmp -s "$t/out" "$t/expected" ||
		fail "sum $(cat "$t/out"), expected $(cat "$t/expected")"
	rmdir "$cg"
}

# --- 3. a pipeline in a container -----------------------------------------

# numbers from 1 on, three every 0.05 s, piped into a shell that appends
# each line to $1, slower (0.05 s every 2 lines): lines wait in the pipe
# shellcheck disable=SC2016 # expanded by the tree's shell
COUNTER='
i=0
while :; do
	echo $((i + 1)); echo $((i + 2)); echo $((i + 3))
	i=$((i + 3))
	sleep 0.05
done | {
	k=0
	while read -r l; do
		echo "$l" >>"$1"
		k=$((k + 1))
		[ $((k % 2)) -ne 0 ] || sleep 0.05
	done
}'

# the lines of $1 are 1, 2, 3, ...: "" or what is wrong
consecutive() {
	awk '$0 != NR { printf "line %d is \"%s\"", NR, $0; exit }' "$1"
}

case_container() {
	out=$t/out
	run_in_cg "$cg" nsexec -p -m -d -P "$t/pid" -- sh -c "$COUNTER" counter "$out"
	wait "$pid" || fail "nsexec failed"
	wait_until 50 test -s "$t/pid" || fail "no pid file"
	pid=$(cat "$t/pid")
	grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status" ||
		fail "the container's init is not pid 1 in its namespace"
	wait_until 150 lines_at_least "$out" 30 || fail "the counter did not start"
	checkpoint_and_kill
	before=$(wc -l <"$out")
	echo "# checkpointed at $before; unread pipe data: $(pipe_data "$t/img")"
	bad=$(consecutive "$out")
	[ -z "$bad" ] || fail "before the restart, $bad"

	restart_in_cg "$cg" || fail "restart failed"
	grep -q "^NSpid:.*[[:space:]]1$" "/proc/$new/status" ||
		fail "the restored init is not pid 1 in a new pid namespace"
	wait_until 150 lines_at_least "$out" $((before + 30)) ||
		fail "the counter did not go on: $(wc -l <"$out") lines (was $before)"
	cg_freeze "$cg" || fail "the restored container did not freeze"
	bad=$(consecutive "$out")
	[ -z "$bad" ] || fail "after the restart (checkpointed at $before), $bad"
	echo "# counted to $before before the checkpoint, $(wc -l <"$out") after the restart"
	cg_kill "$cg" || fail "the restored container did not die"
	rmdir "$cg"
}

# --- 4. a web server on loopback -----------------------------------------

HTTP_PORT=18089

# fetch $1 (DATA_LEN bytes) from the server into file $2, with nc (the
# static busybox wget may crash); 0 when a whole answer came
DATA_LEN=100000
fetch() {
	printf 'GET /%s HTTP/1.0\r\n\r\n' "$1" |
		timeout 5 nc 127.0.0.1 "$HTTP_PORT" >"$2.http" 2>/dev/null &&
		grep -q "^HTTP/1.[01] 200" "$2.http" &&
		tail -c "$DATA_LEN" "$2.http" >"$2"
}

case_httpd() {
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
	mkdir -p "$t/www"
	head -c "$DATA_LEN" /dev/urandom >"$t/www/data"
	run_in_cg "$cg" httpd -f -p "127.0.0.1:$HTTP_PORT" -h "$t/www"
	wait_until 50 fetch data "$t/got1" || fail "httpd does not answer"
	cmp -s "$t/got1" "$t/www/data" || fail "httpd served other bytes"
	checkpoint_and_kill --subtree
	! fetch data "$t/none" || fail "something still answers after the kill"

	restart_in_cg "$cg" || fail "restart failed"
	fetch data "$t/got2" || fail "the restored httpd does not answer"
	cmp -s "$t/got2" "$t/www/data" || fail "the restored httpd served other bytes"
	fetch data "$t/got3" || fail "the restored httpd does not answer twice"
	cmp -s "$t/got3" "$t/www/data" || fail "the second answer differs"
	echo "# httpd served $(wc -c <"$t/got2") bytes before and after the restart"
	cg_kill "$cg" || fail "the restored httpd did not die"
	rmdir "$cg"
}

# --- 5. a client and a server with a connection open ----------------------

NC_PORT=5555
NC_LINES=300
# lo up, an nc server writing to $1 (its stdin a pipe that stays open:
# on EOF there busybox nc would shut the connection down), an nc client
# sending lines 1 to $2
# shellcheck disable=SC2016 # expanded by the container's shell
NC_PAIR='
ip link set lo up || exit 1
sleep 100000 | nc -l -p '"$NC_PORT"' >"$1" &
sleep 0.5
i=1
while [ $i -le $2 ]; do
	echo $i
	i=$((i + 1))
	sleep 0.03
done | nc 127.0.0.1 '"$NC_PORT"' >/dev/null
wait'

case_client_server() {
	out=$t/out
	run_in_cg "$cg" nsexec -p -n -d -P "$t/pid" -- sh -c "$NC_PAIR" pair "$out" "$NC_LINES"
	wait "$pid" || fail "nsexec failed"
	wait_until 50 test -s "$t/pid" || fail "no pid file"
	pid=$(cat "$t/pid")
	wait_until 200 lines_at_least "$out" 40 || fail "no data came through"
	checkpoint_and_kill
	before=$(wc -l <"$out")
	ckptinfo "$t/img" | grep -q "TCP_PAIR" ||
		fail "the image has no TCP connection"
	echo "# checkpointed at line $before with the connection open"

	restart_in_cg "$cg" || fail "restart failed"
	wait_until 300 lines_at_least "$out" "$NC_LINES" ||
		fail "the stream stopped at $(wc -l <"$out") lines (was $before)"
	sleep 0.5
	bad=$(consecutive "$out")
	[ -z "$bad" ] || fail "after the restart (checkpointed at $before), $bad"
	[ "$(wc -l <"$out")" -eq "$NC_LINES" ] ||
		fail "$(wc -l <"$out") lines, sent $NC_LINES"
	echo "# $before lines before the checkpoint, all $NC_LINES after the restart"
	cg_kill "$cg" || fail "the restored container did not die"
	rmdir "$cg"
}

run_case 1 pipeline_mid_stream case_pipeline
run_case 2 fifo_cat_md5sum case_fifo
run_case 3 container_pipeline case_container
run_case 4 http_server case_httpd
run_case 5 client_server case_client_server
[ "$fails" -eq 0 ]

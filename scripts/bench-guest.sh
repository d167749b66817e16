#!/bin/sh
# Guest side of "make bench" (scripts/bench copies it to /opt/bench with
# makeprocs, crbench and, when the host has it, CRIU; run through vm-run).
#
# usage: bench-guest.sh [-r REPS] [WORKLOAD...]
#   WORKLOAD: NxMIB{dirty,clean}, e.g. 1x64dirty; default: the matrix below
#   REPS: runs of every measurement, whose median is reported (default 3)
#
# For every workload (makeprocs -n N -m MIB --dirty|--clean, started detached
# in the cgroup v2 /sys/fs/cgroup/bench):
#   linux-cr: checkpoint --freeze-cgroup to a tmpfs file and to /dev/null
#             (wall time of the checkpoint tool: freeze, checkpoint, thaw;
#             to /dev/null through a pipe if the kernel refuses /dev/null),
#             image size; the workload must check its memory after that;
#             killed; restart -d from the file (wall time of restart until
#             it printed the restored pid); the restored processes must
#             check their memory.
#   baseline: memcpy of N*MIB MiB, write(2) of N*MIB MiB to a tmpfs file.
#   CRIU:     a fresh workload, criu dump -t PID -D DIR (kills it), image
#             size, criu restore -D DIR -d, memory check.
# Prints one "RESULT key=value..." line per workload (times in seconds,
# the median of REPS runs; sizes in bytes; "-" when not measured), "TIMES
# workload what t1 t2..." lines (every run), "NOTE ..." lines and at the end
# "CLOCK clocksource-at-start clocksource-at-end", which scripts/bench turns
# into tables. Exit status 1 when the machinery broke
# (the workload did not start, a checkpoint or restart failed, a process
# found its memory changed), 0 otherwise; CRIU problems and process trees
# that cannot be checkpointed yet only give "n/a".
set -u

BENCH=/opt/bench
export PATH=$BENCH/bin:$PATH
CG=/sys/fs/cgroup/bench			# the workload
CGR=/sys/fs/cgroup/bench-restored	# what restart / criu restore create
W=/tmp/bench				# tmpfs: images, logs
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-600}	# s, workload setup under TCG
REPS=3
if [ "${1:-}" = -r ]; then
	REPS=${2:-}
	shift 2 || { echo "BENCH ERROR: -r needs a number"; exit 2; }
fi
case $REPS in '' | *[!0-9]* | 0) echo "BENCH ERROR: bad -r '$REPS'"; exit 2 ;; esac
MATRIX=${*:-"1x16dirty 1x64dirty 1x256dirty 1x64clean 10x16dirty 100x1dirty"}

failed=0
bgpid=
null_via=devnull
criu_na=
trees_na=

note() { echo "NOTE $*"; }
err() {
	echo "BENCH ERROR: $*"
	failed=1
}
show_log() {	# FILE: its last lines, indented
	[ -s "$1" ] && tail -n "${2:-15}" "$1" | sed 's/^/    | /'
	return 0
}

# ---- helpers ---------------------------------------------------------------
alive() {	# PID: running (a zombie counts as gone)
	[ -r "/proc/$1/stat" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
nlines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
cg_count() { nlines "$1/cgroup.procs"; }
cg_kill() {	# DIR: kill everything in it and wait until it is empty
	[ -d "$1" ] || return 0
	echo 1 >"$1/cgroup.kill" 2>/dev/null
	i=0
	while [ "$(cg_count "$1")" -gt 0 ]; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			err "$1 not empty 30 s after cgroup.kill"
			return 1
		fi
		sleep 0.1
	done
	if [ "$1" = "$CG" ] && [ -n "$bgpid" ]; then
		wait "$bgpid" 2>/dev/null	# reap the workload we started
		bgpid=
	fi
	return 0
}
wait_file() {	# FILE SECONDS: until FILE exists (and is not empty)
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
readtime() { cat "$1" 2>/dev/null || echo -; }
size_of() { wc -c <"$1" | tr -d ' '; }
dir_size() { ls -ln "$1" | awk '{ s += $5 } END { print s + 0 }'; }

# start_workload N MIB MODE: a fresh makeprocs in $CG; sets $pid
start_workload() {
	cg_kill "$CG" || return 1
	mkdir -p "$CG"
	rm -f "$W/ready" "$W/verify"
	# Detached: its own session, stdio /dev/null, no shell job.
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec setsid "$@"' sh "$CG" \
		makeprocs -n "$1" -m "$2" "--$3" -r "$W/ready" -v "$W/verify" \
		</dev/null >/dev/null 2>"$W/makeprocs.err" &
	bgpid=$!
	if ! wait_file "$W/ready" "$READY_TIMEOUT"; then
		err "workload $1x$2 $3 did not become ready within $READY_TIMEOUT s"
		show_log "$W/makeprocs.err"
		return 1
	fi
	pid=$(cat "$W/ready")
	if [ "$(cg_count "$CG")" != "$1" ]; then
		err "workload: $(cg_count "$CG") processes in $CG, expected $1"
		return 1
	fi
	return 0
}

# verify PID N: every process of the tree rooted at PID checks its memory;
# on failure, $vmsg says why
verify() {
	rm -f "$W/verify"
	kill -USR1 "$1" 2>/dev/null || { vmsg="pid $1 is gone"; return 1; }
	i=0
	while [ "$(nlines "$W/verify")" -lt "$2" ]; do
		i=$((i + 1))
		if [ $i -gt 1200 ]; then
			vmsg="only $(nlines "$W/verify") of $2 processes answered the memory check within 120 s"
			return 1
		fi
		sleep 0.1
	done
	if grep -q -v '^ok ' "$W/verify"; then
		vmsg="memory corrupted: $(grep -v '^ok ' "$W/verify" | head -n 3 | tr '\n' ';')"
		return 1
	fi
	return 0
}

# ---- linux-cr ----------------------------------------------------------------
# ckpt_null PID: time a checkpoint to /dev/null into $W/t. Kernels whose
# checkpoint() writes with kernel_write() get EINVAL on /dev/null (it has
# both ->write and ->write_iter: "kernel write not supported for file /null"
# in dmesg); then, and from then on, through a pipe to "crbench sink".
ckpt_null() {
	if [ "$null_via" = devnull ]; then
		crbench time "$W/t" checkpoint -s --freeze-cgroup "$CG" \
			-l "$W/ckpt.log" -o /dev/null "$1" 2>"$W/ckpt.err" && return 0
		grep -q 'Invalid argument' "$W/ckpt.err" &&
			dmesg | grep -q 'kernel write not supported for file /null' ||
			return 1
		null_via=pipe
		note "checkpoint -o /dev/null fails with EINVAL (dmesg: kernel write not supported for file /null);" \
			"ckpt>null is measured as checkpoint -o - | crbench sink (a 1 MiB pipe, read and discarded)"
	fi
	crbench time "$W/t" sh -c 'set -o pipefail
		checkpoint -s --freeze-cgroup "$1" -l "$2" -o - "$3" | crbench sink' \
		sh "$CG" "$W/ckpt.log" "$1" 2>"$W/ckpt.err"
}

# ckpt_fail WHAT: report a failed checkpoint
ckpt_fail() {
	err "$1 failed"
	show_log "$W/ckpt.err"
	show_log "$W/ckpt.log"
}

# cr_run N MIB MODE: sets cr_img cr_file cr_null cr_restart cr_status
# (times: the median of $REPS runs)
cr_run() {
	cr_img=- cr_file=- cr_null=- cr_restart=- cr_status=FAIL
	if [ "$1" -gt 1 ] && [ -n "$trees_na" ]; then
		cr_status="n/a"
		return 0
	fi
	start_workload "$1" "$2" "$3" || return 1

	# Process trees: one try tells whether they are supported yet.
	if [ "$1" -gt 1 ] && ! checkpoint -s --freeze-cgroup "$CG" \
		-l "$W/ckpt.log" -o "$W/img" "$pid" 2>"$W/ckpt.err" &&
		grep -q 'Device or resource busy' "$W/ckpt.err" &&
		grep -q 'has children' "$W/ckpt.log"; then
		trees_na="EBUSY, $(grep 'has children' "$W/ckpt.log" | head -n 1 | sed 's/^.*error: //')"
		rm -f "$W/img"
		note "linux-cr process trees n/a: $trees_na"
		cr_status="n/a"
		cg_kill "$CG"
		return 0
	fi

	tf= tn=
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		rm -f "$W/img"
		crbench time "$W/t" checkpoint -s --freeze-cgroup "$CG" \
			-l "$W/ckpt.log" -o "$W/img" "$pid" 2>"$W/ckpt.err" ||
			{ ckpt_fail "checkpoint of $1x$2 $3 to $W/img"; return 1; }
		tf="$tf $(readtime "$W/t")"
		ckpt_null "$pid" ||
			{ ckpt_fail "checkpoint of $1x$2 $3 to /dev/null"; return 1; }
		tn="$tn $(readtime "$W/t")"
	done
	echo "TIMES $1x$2$3 ckpt_file$tf"
	echo "TIMES $1x$2$3 ckpt_null$tn"
	cr_file=$(median $tf)
	cr_null=$(median $tn)
	cr_img=$(size_of "$W/img")
	# The checkpointed workload goes on, unchanged.
	if ! verify "$pid" "$1"; then
		err "workload $1x$2 $3 after checkpoint: $vmsg"
		return 1
	fi
	cg_kill "$CG" || return 1

	tr_=
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		cg_kill "$CGR" || return 1
		mkdir -p "$CGR"
		if ! sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CGR" \
			crbench time "$W/t" restart -d -l "$W/restart.log" -i "$W/img" \
			</dev/null >"$W/restart.out" 2>"$W/restart.err"; then
			err "restart of $1x$2 $3 failed"
			show_log "$W/restart.err"
			show_log "$W/restart.log"
			return 1
		fi
		tr_="$tr_ $(readtime "$W/t")"
		newpid=$(tr -d ' \n' <"$W/restart.out")
		case $newpid in
		'' | *[!0-9]*)
			err "restart -d printed '$(cat "$W/restart.out")', not a pid"
			return 1 ;;
		esac
		if ! verify "$newpid" "$1"; then
			err "restored $1x$2 $3 (pid $newpid): $vmsg"
			show_log "$W/restart.log" 5
			cg_kill "$CGR"
			return 1
		fi
	done
	cg_kill "$CGR" || return 1
	rm -f "$W/img"
	echo "TIMES $1x$2$3 restart$tr_"
	cr_restart=$(median $tr_)
	cr_status=ok
	return 0
}

# ---- CRIU --------------------------------------------------------------------
criu_setup() {
	if ! command -v criu >/dev/null 2>&1; then
		criu_na="criu not installed on the host (apt-get install criu)"
		return
	fi
	if ! criu --version >"$W/criu.out" 2>&1; then
		criu_na="criu does not run in the guest: $(tail -n 1 "$W/criu.out")"
		return
	fi
	note "criu: $(head -n 1 "$W/criu.out")"
	criu check >"$W/criu.out" 2>&1 ||
		note "criu check: $(tail -n 1 "$W/criu.out") (trying anyway)"
}

# criu_na_now WHAT LOG: CRIU does not work here; say why, go on without it
criu_na_now() {
	criu_na="$1 failed: $(grep -i error "$2" | tail -n 1)"
	note "criu n/a: $criu_na"
	show_log "$2"
	criu_status="n/a"
}

# criu_run N MIB MODE: sets criu_img criu_dump criu_restore criu_status
# $REPS cycles of dump (which kills the tree) and restore: the first dumps
# a fresh workload, the next ones what the previous restore restored.
criu_run() {
	criu_img=- criu_dump=- criu_restore=- criu_status=ok
	if [ -n "$criu_na" ]; then
		criu_status="n/a"
		return 0
	fi
	start_workload "$1" "$2" "$3" || { criu_status=FAIL; return 1; }
	td= tr_=
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		rm -rf "$W/criu"
		mkdir -p "$W/criu"
		if ! crbench time "$W/t" criu dump -t "$pid" -D "$W/criu" \
			-o "$W/criu-dump.log" </dev/null >/dev/null 2>&1; then
			criu_na_now "criu dump" "$W/criu-dump.log"
			break
		fi
		td="$td $(readtime "$W/t")"
		criu_img=$(dir_size "$W/criu")
		i=0
		while alive "$pid"; do	# criu dump kills the tree
			i=$((i + 1))
			if [ $i -gt 100 ]; then
				criu_na="pid $pid still alive 10 s after criu dump"
				note "criu n/a: $criu_na"
				criu_status="n/a"
				break 2
			fi
			sleep 0.1
		done
		cg_kill "$CG"	# reaps the first one
		if ! crbench time "$W/t" criu restore -D "$W/criu" -d \
			-o "$W/criu-restore.log" </dev/null >/dev/null 2>&1; then
			criu_na_now "criu restore" "$W/criu-restore.log"
			break
		fi
		tr_="$tr_ $(readtime "$W/t")"
		# CRIU restores the pids, in $CG.
		if ! verify "$pid" "$1"; then
			criu_status=FAIL	# a CRIU problem, not ours: no error
			note "criu: restored $1x$2 $3 (pid $pid): $vmsg"
			break
		fi
	done
	rm -rf "$W/criu"
	kill -KILL "$pid" 2>/dev/null	# in case CRIU restored it elsewhere
	cg_kill "$CG"
	cg_kill "$CGR"
	if [ "$criu_status" = ok ]; then
		echo "TIMES $1x$2$3 criu_dump$td"
		echo "TIMES $1x$2$3 criu_restore$tr_"
		criu_dump=$(median $td)
		criu_restore=$(median $tr_)
	fi
	return 0
}

# ---- main ----------------------------------------------------------------------
rm -rf "$W"
mkdir -p "$W"
for t in checkpoint restart makeprocs crbench; do
	command -v "$t" >/dev/null 2>&1 || { echo "BENCH ERROR: $t is not installed in this VM"; exit 1; }
done
note "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
# With tsc=reliable the kernel moves from tsc-early to tsc about a second
# after boot; jiffies would mean 4 ms steps.
CS=/sys/devices/system/clocksource/clocksource0/current_clocksource
i=0
while [ "$(cat $CS 2>/dev/null)" != tsc ] && [ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
cs_start=$(cat $CS 2>/dev/null)
criu_setup
[ -n "$criu_na" ] && note "criu n/a: $criu_na"

for w in $MATRIX; do
	n=${w%%x*}
	rest=${w#*x}
	mode=${rest##*[0-9]}
	mib=${rest%"$mode"}
	case $n in '' | *[!0-9]*) n= ;; esac
	case $mib in '' | *[!0-9]*) mib= ;; esac
	case $mode in dirty | clean) ;; *) mode= ;; esac
	if [ -z "$n" ] || [ -z "$mib" ] || [ -z "$mode" ] || [ "$n" = 0 ]; then
		echo "BENCH ERROR: bad workload $w (NxMIBdirty or NxMIBclean)"
		exit 1
	fi
	echo "# workload $n x $mib MiB $mode"
	total=$((n * mib))
	cr_run "$n" "$mib" "$mode"
	cg_kill "$CG"
	cg_kill "$CGR"
	rm -f "$W/img"
	tm= tw=
	r=0
	while [ $r -lt "$REPS" ]; do
		r=$((r + 1))
		tm="$tm $(crbench memcpy "$total" || echo FAIL)"
		tw="$tw $(crbench write "$W/wr" "$total" || echo FAIL)"
		rm -f "$W/wr"
	done
	case "$tm$tw" in *FAIL*) err "crbench memcpy/write $total MiB failed" ;; esac
	echo "TIMES $w memcpy$tm"
	echo "TIMES $w tmpfs_write$tw"
	memcpy=$(median $tm)
	wr=$(median $tw)
	criu_run "$n" "$mib" "$mode"
	echo "RESULT workload=$w n=$n mib=$mib mode=$mode cr=$cr_status" \
		"img=$cr_img ckpt_file=$cr_file ckpt_null=$cr_null null_via=$null_via restart=$cr_restart" \
		"memcpy=$memcpy tmpfs_write=$wr" \
		"criu=$criu_status criu_img=$criu_img criu_dump=$criu_dump criu_restore=$criu_restore"
done
echo "CLOCK $cs_start $(cat $CS 2>/dev/null)"
[ -n "$trees_na" ] && echo "TREES_NA $trees_na"
[ -n "$criu_na" ] && echo "CRIU_NA $criu_na"
cg_kill "$CG"
cg_kill "$CGR"
rmdir "$CG" "$CGR" 2>/dev/null
exit $failed

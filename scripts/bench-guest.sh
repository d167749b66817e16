#!/bin/sh
# Guest side of "make bench" (scripts/bench copies it to /opt/bench with
# makeprocs, crbench and, when the host has it, CRIU; run through vm-run).
#
# usage: bench-guest.sh [-r REPS] [-c CRIU_WORKLOADS] [WORKLOAD...]
#   WORKLOAD: NxMIBKIND[COUNT][@REPS], e.g. 1x64dirty, 1x0fds10000,
#             11x256inherit@1; default: the matrix below. KIND:
#     dirty, clean    every page written (a pattern) / read only (zero page)
#     sparse          1% of the pages written
#     inherit         written by process 0 before it forks the others,
#                     which never write to it (shared copy on write)
#     chain           dirty, the processes a chain N deep, not a flat tree
#     reserve         dirty, plus COUNT GiB (default 64) of PROT_NONE
#                     MAP_NORESERVE address space in process 0
#     filecow         a sparse MIB MiB tmpfs file mapped private, one page
#                     written, instead of anonymous memory
#     vmas, fds, threads   dirty, plus COUNT one-page mappings / open fds /
#                     sleeping threads in process 0 (default 10000, 10000, 100)
#   REPS: runs of every measurement (default 5): the median and the minimum
#         are reported
#
# For every workload (makeprocs, started detached in the cgroup v2
# /sys/fs/cgroup/bench):
#   linux-cr: checkpoint --freeze-cgroup to a tmpfs file and to /dev/null
#             (wall time of the checkpoint tool: freeze, checkpoint, thaw;
#             to /dev/null through a pipe if the kernel refuses /dev/null),
#             image size; the workload must check its memory after that;
#             killed; restart -d from the file (wall time of restart until
#             it printed the restored pid); the restored processes must
#             check their memory. The kernel's and the tools' statistics
#             ("stats:" lines of the log) of every run are kept.
#   baselines: memcpy and write(2) to a tmpfs file of N*MIB MiB, read(2) of
#             the image into fresh memory, and for fds and vmas the time to
#             make them.
#   CRIU:     on the workloads of -c only (default: 1x64dirty 1x256dirty
#             10x16dirty 100x1dirty 1000x1dirty): a fresh workload,
#             criu dump -t PID -D DIR (kills it), image size, criu restore
#             -D DIR -d, memory check; at most 3 runs (1 for 1000 or more
#             processes: minutes each).
# Once: fork+exit+wait of a small process (per process), the floor of a
# process's fixed cost.
# Prints one "RESULT key=value..." line per workload (times in seconds,
# the median of REPS runs, and *_min the minimum; sizes in bytes; "-" when
# not measured), "TIMES workload what t1 t2..." lines (every run),
# "STATS workload what key=value..." lines (the statistics of every run),
# "BASE key=value" lines, "NOTE ..." lines and at the end "CLOCK
# clocksource-at-start clocksource-at-end", which scripts/bench turns into
# tables. Exit status 1 when the machinery broke (the workload did not
# start, a checkpoint or restart failed, a process found its memory
# changed), 0 otherwise; CRIU problems only give "n/a".
set -u

BENCH=/opt/bench
export PATH=$BENCH/bin:$PATH
CG=/sys/fs/cgroup/bench			# the workload
CGR=/sys/fs/cgroup/bench-restored	# what restart / criu restore create
W=/tmp/bench				# tmpfs: images, logs
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-600}	# s, workload setup under TCG
REPS=5
CRIU_MATRIX="1x64dirty 1x256dirty 10x16dirty 100x1dirty 1000x1dirty"
while :; do
	case ${1:-} in
	-r)
		REPS=${2:-}
		shift 2 || { echo "BENCH ERROR: -r needs a number"; exit 2; } ;;
	-c)
		CRIU_MATRIX=${2:-}
		shift 2 || { echo "BENCH ERROR: -c needs workloads"; exit 2; } ;;
	*) break ;;
	esac
done
case $REPS in '' | *[!0-9]* | 0) echo "BENCH ERROR: bad -r '$REPS'"; exit 2 ;; esac
MATRIX=${*:-"1x16dirty 1x64dirty 1x256dirty 1x1024dirty 1x64clean 1x10dirty
	1x1024sparse 1x16reserve 1x1024filecow 1x0vmas10000 1x0fds10000
	1x0dirty 1x1threads100 1x1threads1000 10x16dirty 100x1dirty 1000x1dirty
	1000x0dirty 1000x1chain 11x256inherit@1"}

failed=0
bgpid=
null_via=devnull
criu_na=

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
minimum() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 { print $1 } END { if (!NR) print "-" }'; }
# stats WHAT LOG: the "stats:" key=value pairs of a log, on one STATS line
stats() {
	echo "STATS $wl $1 $(grep -h 'stats:' "$2" 2>/dev/null | sed 's/^.*stats: [a-z]*\( (us)\)\{0,1\}//' | tr '\n' ' ')"
}
readtime() { cat "$1" 2>/dev/null || echo -; }
size_of() { wc -c <"$1" | tr -d ' '; }
dir_size() { ls -ln "$1" | awk '{ s += $5 } END { print s + 0 }'; }

# start_workload: a fresh makeprocs ($n processes, $mib MiB, $margs) in
# $CG; sets $pid
start_workload() {
	cg_kill "$CG" || return 1
	mkdir -p "$CG"
	rm -f "$W/ready" "$W/verify"
	# Detached: its own session, stdio /dev/null, no shell job.
	# shellcheck disable=SC2086
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec setsid "$@"' sh "$CG" \
		makeprocs -n "$n" -m "$mib" $margs -r "$W/ready" -v "$W/verify" \
		</dev/null >/dev/null 2>"$W/makeprocs.err" &
	bgpid=$!
	if ! wait_file "$W/ready" "$READY_TIMEOUT"; then
		err "workload $wl did not become ready within $READY_TIMEOUT s"
		show_log "$W/makeprocs.err"
		return 1
	fi
	pid=$(cat "$W/ready")
	if [ "$(cg_count "$CG")" != "$n" ]; then
		err "workload: $(cg_count "$CG") processes in $CG, expected $n"
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

# cr_run: sets cr_img cr_file cr_null cr_restart (medians), their *_min,
# cr_rf (the image read into fresh memory) and cr_status
cr_run() {
	cr_img=- cr_file=- cr_null=- cr_restart=- cr_status=FAIL
	cr_file_min=- cr_null_min=- cr_restart_min=- cr_rf=-
	start_workload || return 1

	tf= tn= trf=
	r=0
	while [ $r -lt "$reps" ]; do
		r=$((r + 1))
		rm -f "$W/img"
		crbench time "$W/t" checkpoint -s --freeze-cgroup "$CG" \
			-l "$W/ckpt.log" -o "$W/img" "$pid" 2>"$W/ckpt.err" ||
			{ ckpt_fail "checkpoint of $wl to $W/img"; return 1; }
		tf="$tf $(readtime "$W/t")"
		stats ckpt_file "$W/ckpt.log"
		# the floor of a restart that reads: the image into fresh memory
		trf="$trf $(crbench readfresh "$W/img" || echo FAIL)"
		ckpt_null "$pid" ||
			{ ckpt_fail "checkpoint of $wl to /dev/null"; return 1; }
		tn="$tn $(readtime "$W/t")"
		stats ckpt_null "$W/ckpt.log"
	done
	case $trf in *FAIL*) err "crbench readfresh of the image failed"; return 1 ;; esac
	echo "TIMES $wl ckpt_file$tf"
	echo "TIMES $wl ckpt_null$tn"
	echo "TIMES $wl read_fresh$trf"
	cr_file=$(median $tf) cr_file_min=$(minimum $tf)
	cr_null=$(median $tn) cr_null_min=$(minimum $tn)
	cr_rf=$(median $trf)
	cr_img=$(size_of "$W/img")
	# The checkpointed workload goes on, unchanged.
	if ! verify "$pid" "$n"; then
		err "workload $wl after checkpoint: $vmsg"
		return 1
	fi
	cg_kill "$CG" || return 1

	tr_=
	r=0
	while [ $r -lt "$reps" ]; do
		r=$((r + 1))
		cg_kill "$CGR" || return 1
		mkdir -p "$CGR"
		if ! sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CGR" \
			crbench time "$W/t" restart -d -l "$W/restart.log" -i "$W/img" \
			</dev/null >"$W/restart.out" 2>"$W/restart.err"; then
			err "restart of $wl failed"
			show_log "$W/restart.err"
			show_log "$W/restart.log"
			return 1
		fi
		tr_="$tr_ $(readtime "$W/t")"
		stats restart "$W/restart.log"
		newpid=$(tr -d ' \n' <"$W/restart.out")
		case $newpid in
		'' | *[!0-9]*)
			err "restart -d printed '$(cat "$W/restart.out")', not a pid"
			return 1 ;;
		esac
		if ! verify "$newpid" "$n"; then
			err "restored $wl (pid $newpid): $vmsg"
			show_log "$W/restart.log" 5
			cg_kill "$CGR"
			return 1
		fi
	done
	cg_kill "$CGR" || return 1
	rm -f "$W/img"
	echo "TIMES $wl restart$tr_"
	cr_restart=$(median $tr_) cr_restart_min=$(minimum $tr_)
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

# criu_run: sets criu_img criu_dump criu_restore criu_status
# cycles of dump (which kills the tree) and restore: the first dumps a
# fresh workload, the next ones what the previous restore restored.
criu_run() {
	criu_img=- criu_dump=- criu_restore=- criu_status=ok
	if [ -n "$criu_na" ]; then
		criu_status="n/a"
		return 0
	fi
	case " $(echo $CRIU_MATRIX) " in
	*" $wl "*) ;;
	*) criu_status="-"; return 0 ;;
	esac
	creps=$reps
	[ "$creps" -gt 3 ] && creps=3
	[ "$n" -ge 1000 ] && creps=1
	start_workload || { criu_status=FAIL; return 1; }
	td= tr_=
	r=0
	while [ $r -lt "$creps" ]; do
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
		if ! verify "$pid" "$n"; then
			criu_status=FAIL	# a CRIU problem, not ours: no error
			note "criu: restored $wl (pid $pid): $vmsg"
			break
		fi
	done
	rm -rf "$W/criu"
	kill -KILL "$pid" 2>/dev/null	# in case CRIU restored it elsewhere
	cg_kill "$CG"
	cg_kill "$CGR"
	if [ "$criu_status" = ok ]; then
		echo "TIMES $wl criu_dump$td"
		echo "TIMES $wl criu_restore$tr_"
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

# the floor of a process's fixed cost: fork, exit and wait, per process
tp=
r=0
while [ $r -lt "$REPS" ]; do
	r=$((r + 1))
	tp="$tp $(crbench forkexit 1000 || echo FAIL)"
done
case $tp in *FAIL*) err "crbench forkexit failed" ;; esac
echo "TIMES base forkexit$tp"
echo "BASE forkexit=$(median $tp) forkexit_min=$(minimum $tp)"
echo "BASE cpuflags=$(grep -m 1 '^flags' /proc/cpuinfo | grep -o -w -E 'erms|fsrm|avx2|avx512f' | tr '\n' ',')"

for w in $MATRIX; do
	wl=${w%@*}
	reps=$REPS
	[ "$wl" != "$w" ] && reps=${w#*@}
	n=${wl%%x*}
	rest=${wl#*x}
	mib=${rest%%[!0-9]*}
	kind=${rest#"$mib"}
	count=${kind##*[!0-9]}
	kind=${kind%"$count"}
	case $n in '' | *[!0-9]*) n= ;; esac
	case $reps in '' | *[!0-9]* | 0) n= ;; esac
	case $kind in
	dirty | clean | sparse | inherit) margs="--$kind" ;;
	chain) margs="--dirty --chain" ;;
	reserve) margs="--dirty --reserve ${count:-64}" ;;
	filecow) margs="--filecow $W/filecow" ;;
	vmas) count=${count:-10000}; margs="--dirty --vmas $count" ;;
	fds) count=${count:-10000}; margs="--dirty --fds $count" ;;
	threads) margs="--dirty --threads ${count:-100}" ;;
	*) n= ;;
	esac
	if [ -z "$n" ] || [ -z "$mib" ] || [ "$n" = 0 ]; then
		echo "BENCH ERROR: bad workload $w (NxMIBKIND[COUNT][@REPS], e.g. 1x64dirty)"
		exit 1
	fi
	echo "# workload $wl: $n x $mib MiB, makeprocs $margs, $reps runs"
	total=$((n * mib))
	cr_run
	cg_kill "$CG"
	cg_kill "$CGR"
	rm -f "$W/img" "$W/filecow"
	tm= tw= tmk=
	r=0
	while [ $r -lt "$reps" ]; do
		r=$((r + 1))
		if [ "$total" -gt 0 ]; then
			tm="$tm $(crbench memcpy "$total" || echo FAIL)"
			tw="$tw $(crbench write "$W/wr" "$total" || echo FAIL)"
			rm -f "$W/wr"
		fi
		# making the fds or mappings, in a process of their own
		case $kind in
		fds) tmk="$tmk $(crbench openfds "$count" || echo FAIL)" ;;
		vmas) tmk="$tmk $(crbench mkvmas "$count" || echo FAIL)" ;;
		esac
	done
	case "$tm$tw$tmk" in *FAIL*) err "crbench baselines of $wl failed" ;; esac
	echo "TIMES $wl memcpy$tm"
	echo "TIMES $wl tmpfs_write$tw"
	[ -n "$tmk" ] && echo "TIMES $wl make$tmk"
	memcpy=$(median $tm)
	wr=$(median $tw)
	mk=$(median $tmk)
	criu_run
	echo "RESULT workload=$wl n=$n mib=$mib kind=$kind count=${count:--} reps=$reps cr=$cr_status" \
		"img=$cr_img ckpt_file=$cr_file ckpt_null=$cr_null null_via=$null_via restart=$cr_restart" \
		"ckpt_file_min=$cr_file_min ckpt_null_min=$cr_null_min restart_min=$cr_restart_min" \
		"memcpy=$memcpy tmpfs_write=$wr read_fresh=$cr_rf make=$mk" \
		"criu=$criu_status criu_img=$criu_img criu_dump=$criu_dump criu_restore=$criu_restore"
done
echo "CLOCK $cs_start $(cat $CS 2>/dev/null)"
[ -n "$criu_na" ] && echo "CRIU_NA $criu_na"
cg_kill "$CG"
cg_kill "$CGR"
rmdir "$CG" "$CGR" 2>/dev/null
exit $failed

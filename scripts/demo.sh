#!/bin/sh
# The linux-cr demo (what "make demo" runs inside the VM; installed in the
# guest as /usr/share/linux-cr/demo.sh).
#
# A counting program is frozen, checkpointed to a file, killed, and restarted
# from the file; it goes on counting where it was, with its memory intact.
# Exit status 0 when all of that worked, 1 otherwise.
set -eu

LOG=/tmp/counter.log		# the counter's own log ("count N" every second)
IMG=/tmp/counter.img		# the checkpoint image
CG=/sys/fs/cgroup/demo		# cgroup v2 used to freeze the counter
pid=
newpid=

step() { printf '\n=== %s\n' "$*"; }
say() { printf '  %s\n' "$@"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() {
	printf '\nDEMO FAILED: %s\n' "$*"
	for f in /tmp/checkpoint.log /tmp/restart.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
	done
	[ -f "$LOG" ] && { echo "--- $LOG"; tail -n 10 "$LOG"; }
	exit 1
}
last_count() { sed -n 's/^count \([0-9][0-9]*\)$/\1/p' "$LOG" | tail -n 1; }
# Running (a zombie counts as gone).
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

for t in checkpoint restart ckptinfo counter; do
	command -v "$t" >/dev/null 2>&1 || fail "$t is not installed in this VM"
done
rm -f "$LOG" "$IMG" /tmp/checkpoint.log /tmp/restart.log

step "linux-cr demo: checkpoint a running program, kill it, restart it from the image"
say "Kernel $(uname -r) in QEMU. The checkpoint/restart support is in the kernel:" \
    "two system calls, checkpoint() and restart(), driven by the tools" \
    "checkpoint, restart and ckptinfo."

step "1. Start the counter"
say "counter counts once every 0.2 s and writes \"count N\" to $LOG every" \
    "second. It also keeps a 4 MiB buffer that it keeps rewriting, with a" \
    "checksum that it verifies at every count: if its memory were not restored" \
    "exactly, it would notice, log MEMORY CORRUPTED and exit."
counter "$LOG" </dev/null >/dev/null 2>&1 &
pid=$!
say "counter runs as pid $pid."
sleep 3
run cat "$LOG"
alive "$pid" || fail "the counter did not start"

step "2. Freeze it (cgroup v2 freezer)"
say "A process must be frozen while it is checkpointed, so that it does not" \
    "change under our feet. We move it into a new cgroup and freeze that cgroup."
run mkdir -p "$CG"
printf '$ echo %s > %s\n' "$pid" "$CG/cgroup.procs"
echo "$pid" >"$CG/cgroup.procs"
printf '$ echo 1 > %s\n' "$CG/cgroup.freeze"
echo 1 >"$CG/cgroup.freeze"
i=0
until grep -q '^frozen 1' "$CG/cgroup.events"; do
	i=$((i + 1))
	[ "$i" -le 100 ] || fail "the cgroup did not freeze within 10 s"
	sleep 0.1
done
run cat "$CG/cgroup.events"
before=$(last_count)
lines=$(wc -l <"$LOG")
sleep 1.5
[ "$(last_count)" = "$before" ] || fail "the counter kept counting while frozen"
say "The log still ends with \"count $before\" 1.5 s later: the counter is frozen."

step "3. Checkpoint it"
say "checkpoint writes the image of the process tree rooted at pid $pid:" \
    "registers, FPU state, memory, open files, signal state, ..." \
    "-s (subtree): counter is not an isolated container (it shares namespaces" \
    "and the log file with this shell), so skip the container leak checks."
run checkpoint -s -l /tmp/checkpoint.log -o "$IMG" "$pid" ||
	fail "checkpoint failed"
run ls -l "$IMG"
say "That is $(($(wc -c <"$IMG") / 1024)) KiB, mostly the counter's 4 MiB buffer."

step "4. Kill it"
run kill -9 "$pid"
wait "$pid" 2>/dev/null || true
alive "$pid" && fail "pid $pid is still alive after kill -9"
say "pid $pid is gone: /proc/$pid does not exist any more."
rmdir "$CG" 2>/dev/null || true
old=$pid
pid=

step "5. Restart it from the image"
say "restart creates a process and the kernel restores the image into it:" \
    "its memory, registers, open files (the log file, at its offset), signal" \
    "state. -d: do not wait for it, print its pid."
printf '$ restart -l /tmp/restart.log -d -i %s\n' "$IMG"
restart -l /tmp/restart.log -d -i "$IMG" >/tmp/restart.out ||
	fail "restart failed"
newpid=$(tr -d ' \n' </tmp/restart.out)
case $newpid in
'' | *[!0-9]*) fail "restart -d printed '$(cat /tmp/restart.out)', not a pid" ;;
esac
cat /tmp/restart.out
if [ "$newpid" = "$old" ]; then
	say "The counter runs again, as pid $newpid, its original pid."
else
	say "The counter runs again, as pid $newpid (it was $old)."
fi
sleep 2.5

step "6. It goes on counting where it was"
run tail -n 6 "$LOG"
grep -q 'MEMORY CORRUPTED' "$LOG" && fail "the restored counter found its memory corrupted"
alive "$newpid" || fail "the restored counter (pid $newpid) is not running"
next=$(sed -n "$((lines + 1))s/^count \([0-9][0-9]*\)$/\1/p" "$LOG")
[ -n "$next" ] || fail "the restored counter did not log a count"
[ "$next" -eq $((before + 5)) ] ||
	fail "after the restart the log went on with count $next, expected $((before + 5))"
say "Before the checkpoint the log ended with \"count $before\"; the restored" \
    "process logged \"count $next\" next: it kept its count, and its 4 MiB" \
    "buffer passed the checksum at every count since the restart."

step "7. What is in the image (ckptinfo, first 40 lines)"
printf '$ ckptinfo %s | head -40\n' "$IMG"
ckptinfo "$IMG" | head -n 40 || true

step "8. Stop the counter"
run kill "$newpid"
i=0
while alive "$newpid"; do
	i=$((i + 1))
	[ "$i" -le 50 ] || fail "the counter (pid $newpid) does not stop"
	sleep 0.1
done
say "Done: the counter was checkpointed, killed and restarted, and it went on" \
    "from count $before as if nothing had happened."
echo
echo "DEMO PASSED"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A container made with nsexec (new pid and mount namespaces): an init
# shell counting in a loop with a sleep child at any time. It is frozen
# and checkpointed by the checkpoint tool (container mode: leak checks
# on), killed, and restarted by the restart tool into a new pid
# namespace, where it must be pid 1 again and go on counting from where
# it was. The shell appends each count (a reader of a file rewritten in
# place could find it empty), the last line is the count.
set -u

. "$(dirname "$0")/cr_lib.sh"
cr_require checkpoint restart nsexec

echo "TAP version 13"
echo "1..1"
t=/tmp/nsexec-test.$$
cg=/sys/fs/cgroup/nsexec-test.$$
mkdir -p "$t" "$cg" || { echo "not ok 1 container_via_nsexec # setup"; exit 1; }
out=$t/count

fail() {
	echo "# $*"
	[ -f "$t/log" ] && sed 's/^/# log: /' "$t/log"
	echo "not ok 1 container_via_nsexec"
	[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null
	[ -n "${new:-}" ] && kill -9 "$new" 2>/dev/null
	echo 0 > "$cg/cgroup.freeze" 2>/dev/null
	rmdir "$cg" 2>/dev/null
	exit 1
}

# nsexec and everything it starts live in the cgroup from the start
sh -c "echo \$\$ > $cg/cgroup.procs && exec nsexec -p -m -d -P $t/pid -- \
	/bin/sh -c 'i=0; while :; do i=\$((i+1)); echo \$i >> $out; sleep 0.1; done'" \
	</dev/null >/dev/null 2>&1 || fail "nsexec failed"
for i in $(seq 50); do [ -s "$t/pid" ] && [ -s "$out" ] && break; sleep 0.1; done
pid=$(cat "$t/pid") || fail "no pid file"
grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status" || fail "container init is not pid 1 in its namespace"
sleep 0.5

# frozen by hand (checkpoint --freeze-cgroup would thaw it afterwards)
echo 1 > "$cg/cgroup.freeze"
for i in $(seq 100); do grep -q "frozen 1" "$cg/cgroup.events" && break; sleep 0.1; done
grep -q "frozen 1" "$cg/cgroup.events" || fail "the container did not freeze"
checkpoint -l "$t/log" -o "$t/img" "$pid" || fail "checkpoint failed"
before=$(tail -n 1 "$out")
kill -9 "$pid"
echo 0 > "$cg/cgroup.freeze"
for i in $(seq 50); do [ -z "$(cat "$cg/cgroup.procs")" ] && break; sleep 0.1; done
[ -z "$(cat "$cg/cgroup.procs")" ] || fail "the container did not die"
pid=

new=$(restart -d -l "$t/log" -i "$t/img") || fail "restart failed"
grep -q "^NSpid:.*[[:space:]]1$" "/proc/$new/status" ||
	fail "restored init is not pid 1 in a new pid namespace"
sleep 1
after=$(tail -n 1 "$out")
[ "$after" -gt "$before" ] || fail "counter stuck at $after (was $before)"
echo "# counted $before before the checkpoint, $after after the restart"
kill -9 "$new"
new=
rmdir "$cg" 2>/dev/null
rm -rf "$t"
echo "ok 1 container_via_nsexec"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A short round of the restart image fuzzer with a fixed seed: cr_fuzz
# checkpoints its own workloads, mutates the images record by record and
# restarts them as root and as uid 1000 (see the top of cr_fuzz.c). The
# test fails when the kernel logged a problem (oops, WARN, hung task,
# KASAN, ...), a restart left tasks behind or timed out, a restored task
# had more privilege than the user who restarted it, or the fuzzer could
# not make its images. "make fuzz ITER=N SEED=S" runs longer rounds.
#
# CR_FUZZ_ITER and CR_FUZZ_SEED override the number of cases (100) and
# the seed (1000).
set -u

. "$(dirname "$0")/cr_lib.sh"

dir=$(cd "$(dirname "$0")" && pwd)
iter=${CR_FUZZ_ITER:-100}
seed=${CR_FUZZ_SEED:-1000}
name="fuzz_${iter}_cases_seed_${seed}"

echo "TAP version 13"
echo "1..1"
t=$(mktemp -d /tmp/test_fuzz.XXXXXX) || { echo "not ok 1 $name # setup"; exit 1; }
chmod 755 "$t"	# uid 1000's workloads and restarts open files in it

# the fuzzer's output as TAP comments, as it comes
{
	"$dir/cr_fuzz" --iter "$iter" --seed "$seed" --workdir "$t/work" 2>&1
	echo $? >"$t/rc"
} | tee "$t/out" | sed 's/^/# /'
rc=$(cat "$t/rc" 2>/dev/null || echo 1)
last=$(tail -n 1 "$t/out")
rm -rf "$t"

case $last in
"fuzz: "*) ;;
*)
	echo "# the fuzzer did not finish (no summary line)"
	rc=1
	;;
esac
if [ "$rc" -ne 0 ]; then
	echo "not ok 1 $name"
	exit 1
fi
echo "ok 1 $name"

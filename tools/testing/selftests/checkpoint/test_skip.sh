#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The suite skips, as kselftests do, where it cannot run: a test binary
# run by a user who is not root (the tests make cgroups, freeze them and
# take other users' ids) reports every test as SKIP and exits 0 or 4
# (KSFT_SKIP), having touched nothing. cr_errors stands for all of them:
# they share the fixture (cr_setup() in cr_util.h). The case of a kernel
# without the system calls takes another kernel; it was checked by hand
# on the host's (README: Tests).
set -u

. "$(dirname "$0")/cr_lib.sh"

echo "TAP version 13"
echo "1..1"
bin=$(dirname "$0")/cr_errors
out=/tmp/test_skip.$$
su cruser -s /bin/sh -c "$bin" >"$out" 2>&1
st=$?
nok=$(grep -c "^not ok" "$out")
skips=$(grep -c "^ok .* # SKIP needs root" "$out")
tests=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out")
if { [ "$st" = 0 ] || [ "$st" = 4 ]; } && [ "$nok" = 0 ] &&
   [ -n "$tests" ] && [ "$tests" -gt 0 ] && [ "$skips" = "$tests" ]; then
	echo "ok 1 unprivileged_run_skips # $skips of $tests skipped"
	rm -f "$out"
	exit 0
fi
sed 's/^/# /' "$out"
echo "# exit $st, $nok failed, $skips of ${tests:-?} skipped for want of root"
echo "not ok 1 unprivileged_run_skips"
rm -f "$out"
exit 1

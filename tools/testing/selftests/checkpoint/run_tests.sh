#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side runner of the checkpoint kselftests (installed in
# /usr/libexec/selftests/checkpoint/ by scripts/mkinitramfs, run by
# scripts/run-check through scripts/vm-run).
#
# Runs every executable test in its own directory, one after the other, each
# under "timeout $CR_TEST_TIMEOUT" (default 300 s), from a scratch directory,
# and passes their TAP output through. Tests are the executable files that are
# not shell scripts, plus shell scripts named test*.sh; other *.sh files are
# helpers, and so are makeprocs (the "make bench" workload) and cr_fuzz
# (the "make fuzz" fuzzer; test_fuzz.sh runs a short round). Arguments, if
# given, select tests by name.
#
# Around each test it prints (comment lines, so the TAP stays valid):
#   # running <test>
#   # <test> exited <code>        (124 or 143: killed by the timeout)
# Exit status: 0 if every test exited 0 or 4 (KSFT_SKIP), else 1.
set -u

dir=$(cd "$(dirname "$0")" && pwd)
limit=${CR_TEST_TIMEOUT:-300}

is_test() {
	[ -f "$1" ] && [ -x "$1" ] || return 1
	case ${1##*/} in
	run_tests.sh | makeprocs | cr_fuzz) return 1 ;;
	test*.sh) return 0 ;;
	*.sh) return 1 ;;
	esac
	return 0
}

if [ $# -gt 0 ]; then
	tests=
	for t in "$@"; do
		is_test "$dir/$t" || { echo "# no such test: $t"; exit 1; }
		tests="$tests $dir/$t"
	done
else
	tests=
	for t in "$dir"/*; do
		is_test "$t" && tests="$tests $t"
	done
fi

if [ -z "$tests" ]; then
	echo "# no tests found in $dir"
	exit 1
fi

echo "# kernel $(uname -r), $(nproc) CPUs, tests: $(for t in $tests; do printf '%s ' "${t##*/}"; done)"
rc=0
for t in $tests; do
	name=${t##*/}
	work=$(mktemp -d /tmp/selftest.XXXXXX)
	chmod 755 "$work"
	echo "# running $name"
	start=$(date +%s)
	(cd "$work" && exec timeout "$limit" "$t") </dev/null 2>&1
	code=$?
	end=$(date +%s)
	if [ "$code" -ne 0 ] && [ $((end - start)) -ge "$limit" ]; then
		echo "# $name: killed after the $limit s timeout"
	fi
	echo "# $name exited $code"
	case $code in 0 | 4) ;; *) rc=1 ;; esac
	cd / && rm -rf "$work"
done
exit $rc

# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell tests of this directory (not a test itself):
#
#   . "$(dirname "$0")/cr_lib.sh"
#   cr_require checkpoint restart ...
#
# Sourcing it closes the fds kselftest's runner leaves open in its tests
# (3, 4, ...): the workloads must not inherit them (a container would
# share them with the runner, and its checkpoint be refused).
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-

# cr_require TOOL...: skip the test (KSFT_SKIP, exit 4) unless every TOOL
# is in $PATH and we are root with cgroup v2 at /sys/fs/cgroup
cr_require() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "1..0 # SKIP $tool is not installed"
			exit 4
		fi
	done
	if [ "$(id -u)" != 0 ] || [ ! -w /sys/fs/cgroup/cgroup.procs ]; then
		echo "1..0 # SKIP needs root and cgroup v2 at /sys/fs/cgroup"
		exit 4
	fi
}

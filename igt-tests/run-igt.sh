#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run-igt.sh OUTDIR BINARY...
#
# Runs IGT-style test binaries one subtest per process, as igt_runner would:
# BINARY --list-subtests, then BINARY --run-subtest NAME under timeout(1).
# Exit status of a subtest: 0 pass, 77 skip, 98 fail; anything else
# (crash, 79 unknown subtest, timeout) is a fail.
#
# Writes only under OUTDIR:
#   OUTDIR/results.tsv              binary<TAB>subtest<TAB>pass|fail|skip<TAB>seconds
#   OUTDIR/logs/BINARY@SUBTEST.log  stdout+stderr of that subtest
# A binary whose --list-subtests fails or lists nothing is one failure,
# recorded as subtest "list-subtests" with its log in BINARY@list-subtests.log.
#
# Environment: IGT_SUBTEST_TIMEOUT, seconds per subtest (default 120).
# Exit status: 0 no failures, 1 at least one failure, 2 usage error.
#
# Needs only bash, coreutils, sed: no /dev/fd (no process substitution) and
# no temporary files, so it runs from a read-only root with a bare devtmpfs.

set -u -o pipefail

readonly TAIL_LINES=20

outdir=
results=
timeout_s=
npass=0
nskip=0
nfail=0

usage() {
	echo "usage: ${0##*/} OUTDIR BINARY..." >&2
	exit 2
}

# microseconds since the epoch; EPOCHREALTIME's separator follows the locale
now_us() {
	local t=${EPOCHREALTIME:-$(date +%s%6N)}

	t=${t//[!0-9]/}
	echo "$((10#$t))"
}

# seconds with one decimal from a microsecond interval
fmt_secs() {
	echo "$(($1 / 1000000)).$(($1 % 1000000 / 100000))"
}

# the end of a failure's log, without IGT's debug replay and stack traces
excerpt() {
	sed -e '/^\*\*\*\* DEBUG \*\*\*\*$/,/^\*\*\*\*  END  \*\*\*\*$/d' \
		-e '/^Stack trace:$/d' -e '/^  #[0-9]/d' -- "$1" |
		tail -n "$TAIL_LINES" | sed 's/^/    /'
	echo "    (full log: $1)"
}

# record BINARY SUBTEST RESULT MICROSECONDS LOG
record() {
	local secs

	secs=$(fmt_secs "$4")
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$secs" >>"$results"
	printf '%s %s@%s %ss\n' "$3" "$1" "$2" "$secs"
	case $3 in
	pass) npass=$((npass + 1)) ;;
	skip) nskip=$((nskip + 1)) ;;
	*)
		nfail=$((nfail + 1))
		excerpt "$5"
		;;
	esac
}

# run_subtest BINARY NAME SUBTEST
run_subtest() {
	local bin=$1 name=$2 sub=$3
	local log=$outdir/logs/$name@${sub//\//_}.log
	local start elapsed rc result

	start=$(now_us)
	# the group's redirection also catches bash's "Segmentation fault"
	{
		timeout --kill-after=10 "$timeout_s" \
			"$bin" --run-subtest "$sub" </dev/null
	} >"$log" 2>&1
	rc=$?
	elapsed=$(($(now_us) - start))

	case $rc in
	0) result=pass ;;
	77) result=skip ;;
	98) result=fail ;;
	*)
		result=fail
		# 124: timeout sent SIGTERM; 137: SIGKILL 10 s later
		if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] &&
			[ "$elapsed" -ge $((timeout_s * 1000000)) ]; }; then
			echo "run-igt: timed out after ${timeout_s}s" >>"$log"
		elif [ "$rc" -gt 128 ]; then
			echo "run-igt: killed by signal $((rc - 128))" >>"$log"
		else
			echo "run-igt: exited with $rc" >>"$log"
		fi
		;;
	esac
	record "$name" "$sub" "$result" "$elapsed" "$log"
}

# run_binary BINARY
run_binary() {
	local bin=$1 name=${1##*/}
	local log=$outdir/logs/$name@list-subtests.log
	local -a subtests=()
	local start list line rc

	start=$(now_us)
	list=$("$bin" --list-subtests 2>"$log" </dev/null)
	rc=$?

	local IFS=$'\n'
	set -f
	for line in $list; do
		[[ $line == *[![:space:]]* ]] && subtests+=("$line")
	done
	set +f
	unset IFS

	if [ "$rc" -ne 0 ] || [ "${#subtests[@]}" -eq 0 ]; then
		{
			[ -z "$list" ] || printf '%s\n' "$list"
			echo "run-igt: '$bin --list-subtests' exited with $rc and listed ${#subtests[@]} subtests"
		} >>"$log"
		record "$name" list-subtests fail "$(($(now_us) - start))" "$log"
		return
	fi
	[ -s "$log" ] || rm -f -- "$log"

	for line in "${subtests[@]}"; do
		run_subtest "$bin" "$name" "$line"
	done
}

# In a function, an unexpected error (e.g. set -u) exits with 1, never 0.
main() {
	local bin

	[ $# -ge 2 ] || usage
	outdir=$1
	shift

	timeout_s=${IGT_SUBTEST_TIMEOUT:-120}
	case $timeout_s in
	'' | *[!0-9]* | 0)
		echo "${0##*/}: IGT_SUBTEST_TIMEOUT must be a positive number of seconds, not '$timeout_s'" >&2
		exit 2
		;;
	*) ;;
	esac

	mkdir -p -- "$outdir/logs" || exit 2
	results=$outdir/results.tsv
	: >"$results" || exit 2

	for bin in "$@"; do
		run_binary "$bin"
	done

	echo "run-igt: $npass pass, $nskip skip, $nfail fail; results in $results"
	[ "$nfail" -eq 0 ]
}

main "$@"

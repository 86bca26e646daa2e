#!/bin/sh
# End to end: `rankpool squares 300000000` inside a 1 GiB memory cgroup is refused (exit 2, a
# line naming the cgroup limit) instead of being killed by the kernel (137); what fits still
# runs. Makes a child of this process's own cgroup (v2 if its memory controller is enabled
# there, else v1), removes it on any exit. Exit 77 (ctest: skipped) with the reason on a machine
# that cannot make one.
# Usage: squares_cgroup.sh RANKPOOL MPIEXEC [MPIEXEC_FLAGS...]
set -u
exe=$1
mpiexec=$2
shift 2
mpiflags="$*"
limit=1073741824
dir=
files=$(mktemp -d)

skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    failed=1
}

# Ends what is left in the cgroup (only what this script put there), then removes it.
cleanup() {
    if [ -n "$dir" ] && [ -d "$dir" ]; then
        i=0
        while ! rmdir "$dir" 2>/dev/null && [ $i -lt 100 ]; do
            for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do
                kill -9 "$pid" 2>/dev/null
            done
            sleep 0.2
            i=$((i + 1))
        done
        [ -d "$dir" ] && echo "WARNING: could not remove $dir"
    fi
    rm -rf "$files"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || skip "not root: cannot make a cgroup"

# The mount point of the cgroup2 hierarchy, or of the v1 one with the memory controller.
mount_of() {
    if [ "$1" = v2 ]; then
        awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
            /proc/self/mountinfo | head -n 1
    else
        awk '{ for (i = 1; i <= NF; i++) if ($i == "-") {
                   if ($(i + 1) == "cgroup" && ("," $(i + 3) ",") ~ /,memory,/) print $5; break } }' \
            /proc/self/mountinfo | head -n 1
    fi
}

make_v2() {
    point=$(mount_of v2)
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    [ -n "$point" ] && [ -n "$own" ] || return 1
    parent="$point${own%/}"
    # A child has memory.max only when the parent hands the memory controller down; enabling it
    # would change the parent for everything else in it, so only use it when it is already on.
    grep -qw memory "$parent/cgroup.subtree_control" 2>/dev/null || return 1
    dir="$parent/rankpool-test-$$"
    mkdir "$dir" 2>/dev/null || { dir=; return 1; }
    echo "$limit" > "$dir/memory.max" 2>/dev/null || return 1
    kind="cgroup v2 at $dir"
}

make_v1() {
    point=$(mount_of v1)
    own=$(awk -F: '("," $2 ",") ~ /,memory,/ { print $3 }' /proc/self/cgroup)
    [ -n "$point" ] && [ -n "$own" ] || return 1
    dir="$point${own%/}/rankpool-test-$$"
    mkdir "$dir" 2>/dev/null || { dir=; return 1; }
    echo "$limit" > "$dir/memory.limit_in_bytes" 2>/dev/null || return 1
    kind="cgroup v1 at $dir"
}

if ! make_v2; then
    [ -n "$dir" ] && rmdir "$dir" 2>/dev/null
    dir=
    make_v1 || skip "cannot make a memory cgroup here: no cgroup v2 with the memory controller \
enabled below this process's cgroup, and no writable cgroup v1 memory hierarchy"
fi
echo "in a 1 GiB $kind"

# Runs rankpool ARGS... inside the cgroup (the shell moves itself in, then becomes the command).
run_in() {
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$dir" \
        timeout -k 5 120 "$@" >"$files/out" 2>"$files/err" </dev/null
}

failed=0
# rankpool alone, or under mpiexec -n 2, with ARGS...
squares() {
    if [ "$launcher" = alone ]; then
        run_in "$exe" squares "$@"
    else
        # shellcheck disable=SC2086
        run_in "$mpiexec" -n 2 $mpiflags "$exe" squares "$@"
    fi
}

for launcher in alone mpiexec; do
    squares 300000000
    code=$?
    echo "$launcher: exit $code"
    cat "$files/err"
    [ $code = 2 ] || fail "$launcher: exit code $code, not 2 (137: killed by the kernel)"
    [ ! -s "$files/out" ] || fail "$launcher: printed on stdout"
    [ "$(grep -c 'rankpool: error:' "$files/err")" = 1 ] || fail "$launcher: not one error line"
    grep -q 'rankpool: error: squares 300000000 needs 2.24 GiB on rank 0 for the gathered results but 0\.[0-9][0-9] GiB is available (cgroup memory\.' \
        "$files/err" || fail "$launcher: no line naming the cgroup limit"
    squares 10000000
    code=$?
    [ $code = 0 ] || fail "$launcher: squares 10000000 (80 MB) inside the cgroup: exit $code"
done
[ $failed = 0 ] && echo "PASS"
exit $failed

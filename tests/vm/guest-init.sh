#!/bin/busybox sh
# /init of the tests/vm guest: record the workload matrix in every tier the
# kernel offers, then write /out to the NVMe disk as a tar and power off.
# Each run leaves NAME.dat, NAME.json (the workload's truth), NAME.err and
# NAME.rc in /out.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs nodev /sys/kernel/tracing
mount -t debugfs nodev /sys/kernel/debug
O=/out
mkdir -p $O
uname -r > $O/release
forklock check > $O/check.txt 2> $O/check.err
echo $? > $O/check.rc

tiers=tracepoint
grep -q '^kprobe tier: available$' $O/check.txt && tiers="tracepoint kprobe"
echo $tiers > $O/tiers

run() {	# NAME TIER WORKLOAD-ARGS...
	name=$1 tier=$2
	shift 2
	forklock record --tier $tier -o $O/$name.dat -- \
		forklock-workload "$@" --json $O/$name.json > $O/$name.out 2> $O/$name.err
	echo $? > $O/$name.rc
	echo "vm: $name rc $(cat $O/$name.rc)"
}

for tier in $tiers; do
	while read name args; do
		run $tier-$name $tier $args
	done < /matrix
done

# a kernel with no anchor: both read points hidden from the plan
grep -v -e ' dup_mmap$' -e ' uprobe_dup_mmap$' /proc/kallsyms > /tmp/kallsyms
FORKLOCK_KALLSYMS=/tmp/kallsyms forklock check > $O/noanchor-check.txt 2>&1
FORKLOCK_KALLSYMS=/tmp/kallsyms forklock record --tier auto -o $O/noanchor.dat -- true \
	> $O/noanchor.out 2> $O/noanchor.err
echo $? > $O/noanchor.rc
# what record leaves behind: no instance, no kprobe
ls /sys/kernel/tracing/instances > $O/instances-left
cat /sys/kernel/tracing/kprobe_events > $O/kprobes-left 2>/dev/null
cd $O && tar cf /dev/nvme0n1 .
sync
echo VM-MATRIX-DONE
poweroff -f

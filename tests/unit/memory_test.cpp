// Tests of the memory limits a process runs under, over made-up /proc and cgroup files.
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "rankpool/memory.hpp"

using rankpool::memory_limits;
using rankpool::MemoryLimit;
using rankpool::Rlimits;
using rankpool::tightest;

namespace {

constexpr std::uint64_t GiB = std::uint64_t{1} << 30;
constexpr std::uint64_t MiB = std::uint64_t{1} << 20;

using Files = std::map<std::string, std::string>;

rankpool::FileReader reader(const Files& files) {
    return [&files](const std::string& path) -> std::optional<std::string> {
        const auto it = files.find(path);
        return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

const char* meminfo_16g = "MemTotal:       24000000 kB\n"
                          "MemFree:        20000000 kB\n"
                          "MemAvailable:   16777216 kB\n"
                          "Buffers:           10000 kB\n";

/// A pure cgroup v2 machine (systemd, Slurm's cgroup/v2 plugin): one cgroup2 mount.
Files v2_machine() {
    return {
        {"/proc/meminfo", meminfo_16g},
        {"/proc/self/cgroup", "0::/system.slice/slurmstepd.scope/job_42/step_0/user/task_0\n"},
        {"/proc/self/mountinfo",
         "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
         "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
         "cgroup2 rw,nsdelegate,memory_recursiveprot\n"},
    };
}

/// A v1 machine with a hybrid v2 mount that has no memory controller (this project's VM).
Files v1_machine() {
    return {
        {"/proc/meminfo", meminfo_16g},
        {"/proc/self/cgroup", "9:name=systemd:/\n4:memory:/slurm/uid_0/job_7/step_0\n"
                              "2:cpu,cpuacct:/slurm/uid_0/job_7/step_0\n0::/\n"},
        {"/proc/self/mountinfo",
         "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
         "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
         "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
         "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"},
        // v1 says "no limit" with the largest page count.
        {"/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n"},
        {"/sys/fs/cgroup/memory/slurm/memory.limit_in_bytes", "9223372036854771712\n"},
        {"/sys/fs/cgroup/memory/slurm/uid_0/memory.limit_in_bytes", "9223372036854771712\n"},
    };
}

const std::string v2_job = "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42";
const std::string v1_job = "/sys/fs/cgroup/memory/slurm/uid_0/job_7";

} // namespace

TEST_CASE("MemAvailable alone: the machine's figure, named") {
    const Files files = {{"/proc/meminfo", meminfo_16g}};
    const auto all = memory_limits(reader(files), {});
    REQUIRE(all.size() == 1);
    CHECK(all[0] == MemoryLimit{16 * GiB, "MemAvailable", ""});
    CHECK(tightest(all) == all[0]);
}

TEST_CASE("cgroup v2: memory.max minus memory.current, file cache not counted as used") {
    Files files = v2_machine();
    files[v2_job + "/memory.max"] = "1073741824\n";
    files[v2_job + "/memory.current"] = "104857600\n"; // 100 MiB, 30 MiB of it file cache
    files[v2_job + "/memory.stat"] =
        "anon 73400320\nfile 31457280\nkernel 0\nactive_file 10485760\ninactive_file 20971520\n";
    for (const std::string level : {"/step_0", "/step_0/user", "/step_0/user/task_0"}) {
        files[v2_job + level + "/memory.max"] = "max\n"; // no limit of their own
        files[v2_job + level + "/memory.current"] = "1000\n";
    }
    const auto t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(t->bytes == GiB - 70 * MiB);
    CHECK(t->source == "cgroup memory.max");
    CHECK(t->where == "/system.slice/slurmstepd.scope/job_42");
}

TEST_CASE("cgroup v2: the tightest level of the hierarchy wins, wherever it is") {
    Files files = v2_machine();
    // The job allows 4 GiB and uses 3.5; its step allows 2 GiB and uses 0.25: 0.5 GiB left.
    files[v2_job + "/memory.max"] = std::to_string(4 * GiB);
    files[v2_job + "/memory.current"] = std::to_string(3 * GiB + GiB / 2);
    files[v2_job + "/step_0/memory.max"] = std::to_string(2 * GiB);
    files[v2_job + "/step_0/memory.current"] = std::to_string(GiB / 4);
    auto t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(t->bytes == GiB / 2);
    CHECK(t->where == "/system.slice/slurmstepd.scope/job_42");
    // Now the step is the tighter one.
    files[v2_job + "/step_0/memory.current"] = std::to_string(2 * GiB - 100 * MiB);
    t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(t->bytes == 100 * MiB);
    CHECK(t->where == "/system.slice/slurmstepd.scope/job_42/step_0");
    // Used past the limit (it happens for a moment): nothing left, not a wrapped-around number.
    files[v2_job + "/step_0/memory.current"] = std::to_string(3 * GiB);
    t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(t->bytes == 0);
}

TEST_CASE("cgroup v2 inside a container: the namespace's root (0::/) has the limit") {
    const Files files = {
        {"/proc/self/cgroup", "0::/\n"},
        {"/proc/self/mountinfo", "700 650 0:30 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n"},
        {"/sys/fs/cgroup/memory.max", "536870912\n"},
        {"/sys/fs/cgroup/memory.current", "0\n"},
    };
    const auto t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(*t == MemoryLimit{GiB / 2, "cgroup memory.max", "/"});
}

TEST_CASE("cgroup v2 mounted from a subtree, at an escaped path") {
    const Files files = {
        {"/proc/self/cgroup", "0::/kubepods/pod1/ctr\n"},
        {"/proc/self/mountinfo",
         "99 1 0:30 /kubepods/pod1 /run/my\\040cgroup rw - cgroup2 none rw\n"},
        {"/run/my cgroup/ctr/memory.max", "268435456\n"},
        {"/run/my cgroup/ctr/memory.current", "0\n"},
        {"/run/my cgroup/memory.max", "max\n"},
    };
    const auto t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(*t == MemoryLimit{GiB / 4, "cgroup memory.max", "/kubepods/pod1/ctr"});
}

TEST_CASE(
    "cgroup v1: memory.limit_in_bytes minus memory.usage_in_bytes, unlimited levels skipped") {
    Files files = v1_machine();
    files[v1_job + "/memory.limit_in_bytes"] = "1073741824\n";
    files[v1_job + "/memory.usage_in_bytes"] = "104857600\n";
    files[v1_job + "/memory.stat"] = "cache 52428800\nrss 52428800\ninactive_file 1\n"
                                     "total_inactive_file 41943040\ntotal_active_file 10485760\n";
    files[v1_job + "/step_0/memory.limit_in_bytes"] = "9223372036854771712\n";
    files[v1_job + "/step_0/memory.usage_in_bytes"] = "104857600\n";
    const auto all = memory_limits(reader(files), {});
    REQUIRE(all.size() == 2); // MemAvailable and the job's limit; nothing from v2 (no memory.max)
    const auto t = tightest(all);
    REQUIRE(t);
    CHECK(*t == MemoryLimit{GiB - 50 * MiB, "cgroup memory.limit_in_bytes", "/slurm/uid_0/job_7"});
}

TEST_CASE("cgroup v1 with every level unlimited: MemAvailable decides") {
    Files files = v1_machine();
    files[v1_job + "/memory.limit_in_bytes"] = "9223372036854771712\n";
    files[v1_job + "/step_0/memory.limit_in_bytes"] = "9223372036854771712\n";
    const auto t = tightest(memory_limits(reader(files), {}));
    REQUIRE(t);
    CHECK(t->source == "MemAvailable");
}

TEST_CASE("RLIMIT_AS minus VmSize and RLIMIT_DATA minus VmData; the smallest of all wins") {
    Files files = v1_machine();
    files[v1_job + "/memory.limit_in_bytes"] = std::to_string(8 * GiB);
    files[v1_job + "/memory.usage_in_bytes"] = "0";
    files["/proc/self/status"] = "Name:\trankpool\nVmPeak:\t  500000 kB\nVmSize:\t  409600 kB\n"
                                 "VmData:\t  102400 kB\nVmRSS:\t   20000 kB\n";
    Rlimits r;
    r.as = 2 * GiB; // ulimit -v 2097152
    auto all = memory_limits(reader(files), r);
    REQUIRE(all.size() == 3);
    auto t = tightest(all);
    REQUIRE(t);
    CHECK(*t == MemoryLimit{2 * GiB - 400 * MiB, "RLIMIT_AS, ulimit -v", ""});
    r.data = GiB;
    t = tightest(memory_limits(reader(files), r));
    REQUIRE(t);
    CHECK(*t == MemoryLimit{GiB - 100 * MiB, "RLIMIT_DATA, ulimit -d", ""});
    r.data = 50 * MiB; // below what is already in use: nothing left
    t = tightest(memory_limits(reader(files), r));
    REQUIRE(t);
    CHECK(t->bytes == 0);
    CHECK(t->source == "RLIMIT_DATA, ulimit -d");
}

TEST_CASE("nothing readable: no limit known; equal limits: the first listed") {
    CHECK(memory_limits(reader({}), {}).empty());
    CHECK_FALSE(tightest({}));
    const Files files = {{"/proc/meminfo", "MemAvailable: 1048576 kB\n"}};
    Rlimits r;
    r.as = GiB; // VmSize unknown: counted as 0
    const auto t = tightest(memory_limits(reader(files), r));
    REQUIRE(t);
    CHECK(t->source == "MemAvailable");
}

TEST_CASE("/proc and memory.stat fields") {
    using rankpool::proc_field_bytes;
    using rankpool::stat_field;
    CHECK(proc_field_bytes("MemAvailable:   16 kB\n", "MemAvailable") == 16384);
    CHECK(proc_field_bytes("VmSize:\t  1 kB\nVmData:\t 2 kB\n", "VmData") == 2048);
    CHECK(proc_field_bytes("HugePages_Total:       7\n", "HugePages_Total") == 7);
    CHECK_FALSE(proc_field_bytes("MemFree: 1 kB\n", "MemAvailable"));
    CHECK_FALSE(proc_field_bytes("MemAvailable: lots\n", "MemAvailable"));
    CHECK(stat_field("anon 5\nfile 7\n", "file") == 7);
    CHECK_FALSE(stat_field("anon 5\nfile_mapped 7\n", "file"));
}

TEST_CASE("this process: some limit is known, and it is positive") {
    const auto t = rankpool::available_memory();
    REQUIRE(t);
    CHECK(t->bytes > 0);
    CHECK_FALSE(t->source.empty());
}

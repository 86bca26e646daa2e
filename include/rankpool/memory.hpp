// How much memory this process can still get: the machine's, its cgroup's and its rlimits'.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool {

/// One bound on the memory this process can still allocate: the bytes left under it and which
/// limit it is, in words a user knows ("MemAvailable", "cgroup memory.max", "RLIMIT_AS,
/// ulimit -v", ...); `where` names the cgroup directory for cgroup limits.
struct MemoryLimit {
    std::uint64_t bytes = 0;
    std::string source;
    std::string where;

    friend bool operator==(const MemoryLimit&, const MemoryLimit&) = default;
};

/// Soft resource limits in bytes; nothing when unlimited.
struct Rlimits {
    std::optional<std::uint64_t> as;   ///< RLIMIT_AS: the whole virtual address space
    std::optional<std::uint64_t> data; ///< RLIMIT_DATA: private writable mappings (heap, mmap)
};

/// Reads a file's whole text, or nothing when it cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

/// Every bound that applies to this process, from the files `read` gives (/proc/meminfo,
/// /proc/self/status, /proc/self/cgroup, /proc/self/mountinfo and the cgroup files they lead
/// to) and its soft rlimits. Pure: tests pass made-up files. The bounds, in this order:
///  - MemAvailable (/proc/meminfo): what the machine can hand out without swapping;
///  - cgroup v2: at the process's own cgroup and each ancestor up to the mount's root that has
///    one, memory.max minus memory.current, the file cache (memory.stat active_file +
///    inactive_file, which the kernel reclaims before it kills) not counted as used;
///  - cgroup v1 (memory controller): the same with memory.limit_in_bytes and
///    memory.usage_in_bytes (and total_active_file + total_inactive_file);
///  - RLIMIT_AS minus VmSize and RLIMIT_DATA minus VmData (/proc/self/status).
/// The cgroup's directory is found from /proc/self/cgroup and the cgroup mounts in
/// /proc/self/mountinfo (v2: "0::/path"; v1: the line whose controllers include memory).
[[nodiscard]] std::vector<MemoryLimit> memory_limits(const FileReader& read, const Rlimits& limits);

/// The tightest of memory_limits (the first of equals), or nothing when none could be read.
[[nodiscard]] std::optional<MemoryLimit> tightest(const std::vector<MemoryLimit>& limits);

/// This process's own files and rlimits: the least memory any limit leaves it, and which limit
/// that is; nothing when none can be read.
[[nodiscard]] std::optional<MemoryLimit> available_memory();

/// The number in a "Key: value [kB]" line of /proc/meminfo or /proc/self/status, in bytes (kB
/// counted as KiB); nothing when the key is missing.
[[nodiscard]] std::optional<std::uint64_t> proc_field_bytes(std::string_view text,
                                                            std::string_view key);

/// The number after `key` in a cgroup memory.stat ("key value" lines); nothing when missing.
[[nodiscard]] std::optional<std::uint64_t> stat_field(std::string_view text, std::string_view key);

} // namespace rankpool

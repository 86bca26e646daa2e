// The memory this process can still get: MemAvailable, cgroup v1/v2 limits, RLIMIT_AS/DATA.
#include "rankpool/memory.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <sys/resource.h>

namespace rankpool {

namespace {

/// v1 writes "no limit" as the largest page count (9223372036854771712 with 4 KiB pages).
constexpr std::uint64_t v1_unlimited = std::uint64_t{1} << 62;

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    while (!text.empty()) {
        const auto at = text.find(sep);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) {
            break;
        }
        text.remove_prefix(at + 1);
    }
    return parts;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t\n") - first + 1);
}

/// A whole decimal number, surrounding blanks allowed ("max" and the like give nothing).
std::optional<std::uint64_t> number(std::string_view s) {
    s = trim(s);
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

/// mountinfo escapes blanks and backslashes in paths as \ooo (three octal digits).
std::string unescape(std::string_view s) {
    const auto octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) &&
            octal(s[i + 3])) {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

struct Mount {
    std::string root;  ///< the cgroup path the mount shows at its mount point
    std::string point; ///< where it is mounted
};

/// The cgroup mounts in /proc/self/mountinfo: cgroup2 ones, or v1 ones with the memory
/// controller. Fields: id parent major:minor root point options [optional...] - type source super.
std::vector<Mount> cgroup_mounts(std::string_view mountinfo, bool v2) {
    std::vector<Mount> mounts;
    for (const auto line : split(mountinfo, '\n')) {
        const auto dash = line.find(" - ");
        if (dash == std::string_view::npos) {
            continue;
        }
        const auto left = split(line.substr(0, dash), ' ');
        const auto right = split(line.substr(dash + 3), ' ');
        if (left.size() < 5 || right.size() < 3) {
            continue;
        }
        const bool wanted =
            v2 ? right[0] == "cgroup2"
               : right[0] == "cgroup" &&
                     std::ranges::count(split(trim(right[2]), ','), std::string_view("memory")) > 0;
        if (wanted) {
            mounts.push_back({unescape(left[3]), unescape(left[4])});
        }
    }
    return mounts;
}

/// This process's cgroup path in /proc/self/cgroup ("id:controllers:path"): the v2 one
/// ("0::/path"), or the v1 one whose controllers include memory.
std::optional<std::string> own_cgroup(std::string_view self_cgroup, bool v2) {
    for (const auto line : split(self_cgroup, '\n')) {
        const auto first = line.find(':');
        if (first == std::string_view::npos) {
            continue;
        }
        const auto second = line.find(':', first + 1);
        if (second == std::string_view::npos) {
            continue;
        }
        const auto controllers = line.substr(first + 1, second - first - 1);
        const bool wanted =
            v2 ? line.substr(0, first) == "0" && controllers.empty()
               : std::ranges::count(split(controllers, ','), std::string_view("memory")) > 0;
        if (wanted) {
            return std::string(trim(line.substr(second + 1)));
        }
    }
    return std::nullopt;
}

/// The cgroup `path` and each ancestor up to `mount`'s root, innermost first, each as (its
/// directory under the mount point, its cgroup path). Nothing when the mount does not show it.
std::vector<std::pair<std::string, std::string>> levels(const Mount& mount,
                                                        const std::string& path) {
    std::string rel;
    if (mount.root == "/") {
        rel = path;
    } else if (path == mount.root || path.rfind(mount.root + "/", 0) == 0) {
        rel = path.substr(mount.root.size());
    } else {
        return {};
    }
    std::vector<std::pair<std::string, std::string>> out;
    while (true) {
        while (rel.size() > 1 && rel.back() == '/') {
            rel.pop_back();
        }
        const std::string shown = mount.root == "/" ? rel : mount.root + (rel == "/" ? "" : rel);
        out.emplace_back(mount.point + (rel == "/" || rel.empty() ? "" : rel),
                         shown.empty() ? "/" : shown);
        if (rel.empty() || rel == "/") {
            return out;
        }
        rel.erase(rel.rfind('/'));
    }
}

/// The file cache in a memory.stat: reclaimed before the cgroup's limit kills anything.
std::uint64_t file_cache(const std::optional<std::string>& stat, bool v2) {
    if (!stat) {
        return 0;
    }
    const char* active = v2 ? "active_file" : "total_active_file";
    const char* inactive = v2 ? "inactive_file" : "total_inactive_file";
    return stat_field(*stat, active).value_or(0) + stat_field(*stat, inactive).value_or(0);
}

/// The bounds that the cgroup (v1 or v2) of this process and its ancestors set.
void cgroup_limits(const FileReader& read, bool v2, std::vector<MemoryLimit>& out) {
    const auto self = read("/proc/self/cgroup");
    const auto mountinfo = read("/proc/self/mountinfo");
    if (!self || !mountinfo) {
        return;
    }
    const auto path = own_cgroup(*self, v2);
    if (!path) {
        return;
    }
    const char* max_file = v2 ? "/memory.max" : "/memory.limit_in_bytes";
    const char* usage_file = v2 ? "/memory.current" : "/memory.usage_in_bytes";
    for (const auto& mount : cgroup_mounts(*mountinfo, v2)) {
        const auto dirs = levels(mount, *path);
        for (const auto& [dir, shown] : dirs) {
            const auto max_text = read(dir + max_file);
            const auto limit = max_text ? number(*max_text) : std::nullopt; // "max": none
            if (!limit || (!v2 && *limit >= v1_unlimited)) {
                continue;
            }
            const auto usage_text = read(dir + usage_file);
            const std::uint64_t usage = usage_text ? number(*usage_text).value_or(0) : 0;
            const std::uint64_t used =
                usage - std::min(usage, file_cache(read(dir + "/memory.stat"), v2));
            out.push_back({*limit > used ? *limit - used : 0,
                           std::string("cgroup ") + (max_file + 1), shown});
        }
        if (!dirs.empty()) {
            return; // one mount of the hierarchy is enough
        }
    }
}

/// The bound an rlimit sets: the limit minus what the process already has under it.
void rlimit_limit(const std::optional<std::uint64_t>& limit, std::uint64_t in_use,
                  const char* source, std::vector<MemoryLimit>& out) {
    if (limit) {
        out.push_back({*limit > in_use ? *limit - in_use : 0, source, ""});
    }
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<std::uint64_t> soft_limit(int resource) {
    rlimit r{};
    if (getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(r.rlim_cur);
}

} // namespace

std::optional<std::uint64_t> proc_field_bytes(std::string_view text, std::string_view key) {
    for (const auto line : split(text, '\n')) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || line.substr(0, colon) != key) {
            continue;
        }
        auto value = trim(line.substr(colon + 1));
        const bool kib = value.size() >= 2 && value.substr(value.size() - 2) == "kB";
        if (kib) {
            value = trim(value.substr(0, value.size() - 2));
        }
        const auto v = number(value);
        if (!v) {
            return std::nullopt;
        }
        return kib ? *v * 1024 : *v;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> stat_field(std::string_view text, std::string_view key) {
    for (const auto line : split(text, '\n')) {
        const auto space = line.find(' ');
        if (space != std::string_view::npos && line.substr(0, space) == key) {
            return number(line.substr(space + 1));
        }
    }
    return std::nullopt;
}

std::vector<MemoryLimit> memory_limits(const FileReader& read, const Rlimits& limits) {
    std::vector<MemoryLimit> out;
    if (const auto meminfo = read("/proc/meminfo")) {
        if (const auto v = proc_field_bytes(*meminfo, "MemAvailable")) {
            out.push_back({*v, "MemAvailable", ""});
        }
    }
    cgroup_limits(read, true, out);
    cgroup_limits(read, false, out);
    const auto status = read("/proc/self/status");
    const auto in_use = [&](const char* key) {
        return status ? proc_field_bytes(*status, key).value_or(0) : 0;
    };
    rlimit_limit(limits.as, in_use("VmSize"), "RLIMIT_AS, ulimit -v", out);
    rlimit_limit(limits.data, in_use("VmData"), "RLIMIT_DATA, ulimit -d", out);
    return out;
}

std::optional<MemoryLimit> tightest(const std::vector<MemoryLimit>& limits) {
    if (limits.empty()) {
        return std::nullopt;
    }
    return *std::ranges::min_element(limits, {}, &MemoryLimit::bytes); // the first of equals
}

std::optional<MemoryLimit> available_memory() {
    return tightest(memory_limits(read_file, {soft_limit(RLIMIT_AS), soft_limit(RLIMIT_DATA)}));
}

} // namespace rankpool

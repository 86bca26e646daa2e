// The JSON envelope every command's report has: who ran it, with what, where, and its own part.
#include <mpi.h>

#include "rankpool/mpi_env.hpp"
#include "rankpool/run_info.hpp"

#include "output.hpp"

namespace rankpool::cli {

namespace {

/// Bumped when a key moves or changes meaning; new keys may appear without a bump.
constexpr int schema_version = 1;

std::string mpi_library_version() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(text, &len);
    std::string s(text, static_cast<std::size_t>(len));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// The MPI library, and the thread level each rank got: rank 0's, then every rank's (ranks differ:
/// see thread_level_to_request).
nlohmann::ordered_json mpi_info(const std::vector<RankInfo>& info) {
    int major = 0;
    int minor = 0;
    MPI_Get_version(&major, &minor);
    auto levels = nlohmann::ordered_json::array();
    for (const auto& r : info) {
        levels.push_back(r.host.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(r.thread_level));
    }
    return {{"library", mpi_library_version()},
            {"standard", std::to_string(major) + "." + std::to_string(minor)},
            {"thread_level", std::string(to_string(provided_thread_level()))},
            {"thread_levels", std::move(levels)}};
}

} // namespace

nlohmann::ordered_json envelope(const boost::mpi::communicator& comm, nlohmann::ordered_json body,
                                nlohmann::ordered_json values) {
    const auto info = gather_rank_info(comm);
    if (comm.rank() != 0) {
        return nullptr;
    }
    return envelope_of(comm.size(), info, std::move(body), std::move(values));
}

nlohmann::ordered_json envelope_of(int ranks, const std::vector<RankInfo>& info,
                                   nlohmann::ordered_json body, nlohmann::ordered_json values) {
    nlohmann::ordered_json j = {
        {"schema_version", schema_version},
        {"command", body["command"]},
        {"ok", body["ok"]},
        {"rankpool", {{"version", RANKPOOL_VERSION}, {"git", RANKPOOL_GIT_REVISION}}},
        {"mpi", mpi_info(info)},
        {"options", body["options"]},
        {"ranks", ranks},
    };
    // Arrays by rank, built before they are inserted: an ordered_json object is a vector, so a
    // reference to one member does not survive inserting the next. A rank with no host did not
    // answer (doctor): null in every array.
    auto hosts = nlohmann::ordered_json::array();
    auto pids = nlohmann::ordered_json::array();
    auto rss = nlohmann::ordered_json::array();
    auto cpus = nlohmann::ordered_json::array();
    auto allowed = nlohmann::ordered_json::array();
    for (const auto& r : info) {
        const bool known = !r.host.empty();
        hosts.push_back(known ? nlohmann::ordered_json(r.host) : nullptr);
        pids.push_back(known ? nlohmann::ordered_json(r.pid) : nullptr);
        rss.push_back(known ? nlohmann::ordered_json(r.max_rss_bytes) : nullptr);
        cpus.push_back(known ? nlohmann::ordered_json(r.host_cpus) : nullptr);
        allowed.push_back(known ? nlohmann::ordered_json(r.cpus_allowed) : nullptr);
    }
    j["hosts"] = std::move(hosts);
    j["pids"] = std::move(pids);
    j["max_rss_bytes"] = std::move(rss);
    j["host_cpus"] = std::move(cpus);
    j["cpus_allowed"] = std::move(allowed);
    j["seconds"] = body["seconds"];
    if (body.contains("rank_seconds")) {
        j["rank_seconds"] = body["rank_seconds"];
    }
    j["results"] = body["results"];
    if (!values.is_null()) {
        j["results"]["values"] = std::move(values);
    }
    j["detail"] = body.value("detail", nlohmann::ordered_json::object());
    return j;
}

} // namespace rankpool::cli

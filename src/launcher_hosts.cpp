// Each rank's host as the launcher's PMIx server knows it, for ranks that cannot say it themselves.
#include <cstring>
#include <dlfcn.h>

#include "rankpool/probe.hpp"

#if defined(RANKPOOL_HAVE_PMIX_H)
#include <pmix.h>
#endif

namespace rankpool {

#if defined(RANKPOOL_HAVE_PMIX_H)

namespace {

/// The PMIx functions of the libpmix that Open MPI already loaded (dlopen with RTLD_NOLOAD:
/// rankpool neither links nor loads a PMIx of its own, which would be a second, separate client).
struct Pmix {
    decltype(&PMIx_Init) init = nullptr;
    decltype(&PMIx_Get) get = nullptr;
    decltype(&PMIx_Finalize) finalize = nullptr;

    Pmix() {
        void* lib = dlopen("libpmix.so.2", RTLD_LAZY | RTLD_NOLOAD);
        if (lib == nullptr) {
            return;
        }
        init = reinterpret_cast<decltype(&PMIx_Init)>(dlsym(lib, "PMIx_Init"));
        get = reinterpret_cast<decltype(&PMIx_Get)>(dlsym(lib, "PMIx_Get"));
        finalize = reinterpret_cast<decltype(&PMIx_Finalize)>(dlsym(lib, "PMIx_Finalize"));
    }
    [[nodiscard]] bool usable() const {
        return init != nullptr && get != nullptr && finalize != nullptr;
    }
};

/// PMIX_HOSTNAME of one rank of our namespace, looked up in what the client already holds
/// (PMIX_OPTIONAL: no request to the server), or "".
std::string host_of(const Pmix& pmix, const pmix_proc_t& me, int rank) {
    pmix_proc_t proc;
    std::memset(&proc, 0, sizeof proc);
    std::memcpy(proc.nspace, me.nspace, sizeof proc.nspace);
    proc.rank = static_cast<pmix_rank_t>(rank);
    pmix_info_t optional;
    std::memset(&optional, 0, sizeof optional);
    std::strncpy(optional.key, PMIX_OPTIONAL, PMIX_MAX_KEYLEN);
    optional.value.type = PMIX_BOOL;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access): PMIx's tagged C union, type set
    optional.value.data.flag = true;
    pmix_value_t* value = nullptr;
    if (pmix.get(&proc, PMIX_HOSTNAME, &optional, 1, &value) != PMIX_SUCCESS || value == nullptr) {
        return {};
    }
    // The value is left to the process's end: a few bytes, once, on a path that ends the job.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access): PMIx's tagged C union, type checked
    return value->type == PMIX_STRING && value->data.string != nullptr ? value->data.string : "";
}

} // namespace

std::vector<std::string> launcher_hosts(const std::vector<int>& ranks) {
    std::vector<std::string> hosts(ranks.size());
    static const Pmix pmix;
    pmix_proc_t me;
    if (!pmix.usable() || pmix.init(&me, nullptr, 0) != PMIX_SUCCESS) {
        return hosts;
    }
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        hosts[i] = host_of(pmix, me, ranks[i]);
    }
    pmix.finalize(nullptr, 0); // PMIx counts its users: Open MPI's stays
    return hosts;
}

#else

std::vector<std::string> launcher_hosts(const std::vector<int>& ranks) {
    return std::vector<std::string>(ranks.size());
}

#endif

} // namespace rankpool

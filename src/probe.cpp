// Messages with deadlines and a ping-pong between pairs of ranks: nothing here waits forever.
#include "rankpool/probe.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sched.h>
#include <thread>

#include <mpi.h>

#include "rankpool/mpi_env.hpp"
#include "rankpool/spawn.hpp"

namespace rankpool {

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::shared_ptr<std::vector<char>>;

constexpr int tag_reach = probe_tag_first + 2;
constexpr int tag_latency = probe_tag_first + 3;
constexpr int tag_bandwidth = probe_tag_first + 4;

/// How long waiting ranks sleep between polls, and how long a measuring rank polls without
/// progress before it starts sleeping too.
constexpr auto quiet_poll = std::chrono::microseconds(200);
constexpr auto spin_for = std::chrono::milliseconds(1);

/// Buffers of requests given up on or let go: MPI may still write into them or read from them,
/// so they live as long as the process. Never freed.
std::vector<Bytes>& abandoned() {
    static auto* kept = new std::vector<Bytes>;
    return *kept;
}

Bytes bytes(std::size_t n) {
    return std::make_shared<std::vector<char>>(n, '\0');
}

/// One request and the buffer it uses.
struct Pending {
    MPI_Request req = MPI_REQUEST_NULL;
    Bytes buf;
    int error = MPI_SUCCESS; ///< the error it failed with, if any
    [[nodiscard]] bool done() const { return req == MPI_REQUEST_NULL; }
};

/// Tests a request once; a completed or failed request becomes MPI_REQUEST_NULL. Returns whether
/// it is finished (done or failed).
bool test(Pending& p) {
    if (p.done()) {
        return true;
    }
    int flag = 0;
    MPI_Status status;
    const int rc = MPI_Test(&p.req, &flag, &status);
    if (rc != MPI_SUCCESS) {
        p.error = rc;
        p.req = MPI_REQUEST_NULL; // failed: nothing more will come of it
        return true;
    }
    return flag != 0;
}

void abandon(Pending& p) {
    if (!p.done() && p.buf) {
        abandoned().push_back(p.buf);
    }
}

Pending isend(const Bytes& buf, std::size_t n, int dest, int tag, MPI_Comm comm) {
    Pending p{MPI_REQUEST_NULL, buf, MPI_SUCCESS};
    const int rc = MPI_Isend(buf->data(), static_cast<int>(n), MPI_CHAR, dest, tag, comm, &p.req);
    if (rc != MPI_SUCCESS) {
        p.error = rc;
        p.req = MPI_REQUEST_NULL;
    }
    return p;
}

Pending irecv(const Bytes& buf, std::size_t n, int source, int tag, MPI_Comm comm) {
    Pending p{MPI_REQUEST_NULL, buf, MPI_SUCCESS};
    const int rc = MPI_Irecv(buf->data(), static_cast<int>(n), MPI_CHAR, source, tag, comm, &p.req);
    if (rc != MPI_SUCCESS) {
        p.error = rc;
        p.req = MPI_REQUEST_NULL;
    }
    return p;
}

enum class Waited { done, failed, timed_out };

/// Tests the requests until all are finished or `deadline` passes (never, if it is max()). With
/// `spin` it polls without pause for a while before it sleeps between polls.
Waited wait_all(std::span<Pending*> ps, Clock::time_point deadline, bool spin) {
    auto last_progress = Clock::now();
    for (;;) {
        bool all = true;
        for (Pending* p : ps) {
            const bool was = p->done();
            all = test(*p) && all;
            if (!was && p->done()) {
                last_progress = Clock::now();
            }
        }
        if (all) {
            const bool failed =
                std::any_of(ps.begin(), ps.end(), [](const Pending* p) { return p->error != 0; });
            return failed ? Waited::failed : Waited::done;
        }
        const auto now = Clock::now();
        if (now >= deadline) {
            for (Pending* p : ps) {
                abandon(*p);
            }
            return Waited::timed_out;
        }
        if (!spin || now - last_progress > spin_for) {
            std::this_thread::sleep_for(quiet_poll);
        }
    }
}

int first_error(std::span<Pending*> ps) {
    for (const Pending* p : ps) {
        if (p->error != MPI_SUCCESS) {
            return p->error;
        }
    }
    return MPI_SUCCESS;
}

std::string seconds_text(std::chrono::milliseconds t) {
    const double s = static_cast<double>(t.count()) / 1000.0;
    char text[32];
    std::snprintf(text, sizeof text, "%g", s);
    return text;
}

/// Why a wait ended badly, for a pair's outcome.
std::string why(Waited w, std::span<Pending*> ps, const PingPongOptions& o, const char* stage) {
    if (w == Waited::timed_out) {
        return std::string("no answer within ") + seconds_text(o.timeout) + " s (" + stage + ")";
    }
    return std::string("MPI error (") + stage + "): " + mpi_error_string(first_error(ps));
}

/// Receives the next message with `tag` from `source` (MPI_ANY_SOURCE allowed) into a new
/// buffer, if one has arrived; sets `from` to its sender.
std::optional<Pending> receive_if_there(MPI_Comm comm, int source, int tag, int& from) {
    int flag = 0;
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status status;
    if (MPI_Improbe(source, tag, comm, &flag, &msg, &status) != MPI_SUCCESS || flag == 0) {
        return std::nullopt;
    }
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    Pending p{MPI_REQUEST_NULL, bytes(static_cast<std::size_t>(count)), MPI_SUCCESS};
    p.error = MPI_Imrecv(p.buf->data(), count, MPI_CHAR, &msg, &p.req);
    from = status.MPI_SOURCE;
    return p;
}

/// Whether `rank` is in the set (an empty set holds every rank).
bool in(const RankSet& set, int rank) {
    return set.empty() || set[static_cast<std::size_t>(rank)];
}

/// How many ranks other than `root` the set holds.
int count_in(const RankSet& set, int size, int root) {
    int n = 0;
    for (int r = 0; r < size; ++r) {
        n += r != root && in(set, r) ? 1 : 0;
    }
    return n;
}

std::string text_of(const Pending& p) {
    return {p.buf->begin(), p.buf->end()};
}

/// One exchange of `n` bytes each way between a pair; `starts` is the pair's first rank, which
/// sends first. Measuring ranks poll without pause.
Waited exchange(MPI_Comm comm, int partner, bool starts, const Bytes& out, const Bytes& in,
                std::size_t n, int tag, Clock::time_point deadline, std::vector<Pending>& used) {
    used.clear();
    used.reserve(2);
    if (starts) {
        used.push_back(irecv(in, n, partner, tag, comm));
        used.push_back(isend(out, n, partner, tag, comm));
        Pending* both[] = {&used.front(), &used.back()};
        return wait_all(both, deadline, true);
    }
    used.push_back(irecv(in, n, partner, tag, comm));
    Pending* first[] = {&used.front()};
    if (const Waited w = wait_all(first, deadline, true); w != Waited::done) {
        return w;
    }
    used.push_back(isend(out, n, partner, tag, comm));
    Pending* second[] = {&used.back()};
    return wait_all(second, deadline, true);
}

/// `count` timed exchanges after one warm-up; seconds of the timed ones, or why they failed.
struct Timed {
    Waited waited = Waited::done;
    std::vector<Pending> used;
    double seconds = 0;
    std::uint64_t count = 0; ///< timed exchanges done
};

/// The first rank's side: a warm-up, then up to `count` timed exchanges, fewer if `budget` runs
/// out first. The first byte of each message says whether another follows (1) or not (0).
Timed lead_exchanges(MPI_Comm comm, int partner, std::size_t n, std::uint64_t count,
                     std::chrono::milliseconds budget, int tag, Clock::time_point deadline) {
    const Bytes out = bytes(n);
    const Bytes in = bytes(n);
    Timed t;
    (*out)[0] = count > 0 ? 1 : 0;
    t.waited = exchange(comm, partner, true, out, in, n, tag, deadline, t.used);
    const auto t0 = Clock::now();
    while (t.waited == Waited::done && t.count < count) {
        const bool last = t.count + 1 == count || Clock::now() - t0 >= budget;
        (*out)[0] = last ? 0 : 1;
        t.waited = exchange(comm, partner, true, out, in, n, tag, deadline, t.used);
        ++t.count;
        if (last) {
            break;
        }
    }
    t.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return t;
}

/// The second rank's side: answers each message until one says it is the last.
Timed answer_exchanges(MPI_Comm comm, int partner, std::size_t n, int tag,
                       Clock::time_point deadline) {
    const Bytes out = bytes(n);
    const Bytes in = bytes(n);
    Timed t;
    do {
        t.waited = exchange(comm, partner, false, out, in, n, tag, deadline, t.used);
    } while (t.waited == Waited::done && (*in)[0] != 0);
    return t;
}

Timed timed_exchanges(MPI_Comm comm, int partner, bool starts, std::size_t n, std::uint64_t count,
                      std::chrono::milliseconds budget, int tag, Clock::time_point deadline) {
    return starts ? lead_exchanges(comm, partner, n, count, budget, tag, deadline)
                  : answer_exchanges(comm, partner, n, tag, deadline);
}

/// The measurements of one pair that answered the reachability round.
PairOutcome measure(MPI_Comm comm, int me, const ProbePair& pair, const PingPongOptions& o,
                    Clock::time_point deadline) {
    PairOutcome out{pair, false, "", 0, 0, 0, 0, 0};
    const bool starts = pair.a == me;
    const int partner = starts ? pair.b : pair.a;
    const auto t0 = Clock::now();
    Timed lat = timed_exchanges(comm, partner, starts, o.latency_bytes, o.latency_round_trips,
                                o.budget, tag_latency, deadline);
    if (lat.waited != Waited::done) {
        std::vector<Pending*> ps;
        for (auto& p : lat.used) {
            ps.push_back(&p);
        }
        out.error = why(lat.waited, ps, o, "latency");
        out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        return out;
    }
    Timed bw = timed_exchanges(comm, partner, starts, o.bandwidth_bytes, o.bandwidth_round_trips,
                               o.budget, tag_bandwidth, deadline);
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (bw.waited != Waited::done) {
        std::vector<Pending*> ps;
        for (auto& p : bw.used) {
            ps.push_back(&p);
        }
        out.error = why(bw.waited, ps, o, "bandwidth");
        return out;
    }
    out.ok = true;
    out.latency = latency_from(lat.seconds, lat.count);
    out.bandwidth = bandwidth_from(bw.seconds, bw.count, o.bandwidth_bytes);
    out.latency_round_trips = lat.count;
    out.bandwidth_round_trips = bw.count;
    return out;
}

/// The reachability round: one small message each way with every partner, all at once. Returns,
/// per pair of `mine`, an empty string or why it failed.
std::vector<std::string> reach(MPI_Comm comm, int me, std::span<const ProbePair> mine,
                               const PingPongOptions& o, Clock::time_point deadline) {
    std::vector<Pending> reqs;
    reqs.reserve(2 * mine.size());
    for (const auto& p : mine) {
        const int partner = p.a == me ? p.b : p.a;
        const Bytes out = bytes(8);
        reqs.push_back(irecv(bytes(8), 8, partner, tag_reach, comm));
        reqs.push_back(isend(out, 8, partner, tag_reach, comm));
    }
    // Wait for all, quietly: a pair that answers is not held up by one that does not.
    std::vector<Pending*> all;
    all.reserve(reqs.size());
    for (auto& r : reqs) {
        all.push_back(&r);
    }
    static_cast<void>(wait_all(all, deadline, false));
    std::vector<std::string> failed(mine.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
        Pending* two[] = {&reqs[2 * i], &reqs[2 * i + 1]};
        if (!two[0]->done() || !two[1]->done()) {
            failed[i] = why(Waited::timed_out, two, o, "reachability");
        } else if (first_error(two) != MPI_SUCCESS) {
            failed[i] = why(Waited::failed, two, o, "reachability");
        }
    }
    return failed;
}

} // namespace

std::vector<std::optional<std::string>> gather_texts(const boost::mpi::communicator& comm,
                                                     const std::string& mine, int root,
                                                     std::chrono::milliseconds timeout, int tag,
                                                     const RankSet& from) {
    const ErrorsReturn guard(comm);
    if (comm.rank() != root) {
        const Bytes out = std::make_shared<std::vector<char>>(mine.begin(), mine.end());
        Pending send = isend(out, out->size(), root, tag, comm);
        Pending* ps[] = {&send};
        static_cast<void>(wait_all(ps, Clock::time_point::max(), false));
        return {};
    }
    std::vector<std::optional<std::string>> got(static_cast<std::size_t>(comm.size()));
    got[static_cast<std::size_t>(root)] = mine;
    std::vector<std::pair<int, Pending>> receiving;
    const int expected = count_in(from, comm.size(), root);
    int heard = 0;
    const auto deadline = Clock::now() + timeout;
    while (heard < expected && Clock::now() < deadline) {
        int source = 0;
        bool progress = false;
        if (auto p = receive_if_there(comm, MPI_ANY_SOURCE, tag, source)) {
            receiving.emplace_back(source, std::move(*p));
            progress = true;
        }
        for (auto it = receiving.begin(); it != receiving.end();) {
            if (test(it->second)) {
                if (it->second.error == MPI_SUCCESS) {
                    got[static_cast<std::size_t>(it->first)] = text_of(it->second);
                }
                heard += in(from, it->first) ? 1 : 0;
                it = receiving.erase(it);
                progress = true;
            } else {
                ++it;
            }
        }
        if (!progress) {
            std::this_thread::sleep_for(quiet_poll);
        }
    }
    for (auto& r : receiving) {
        abandon(r.second);
    }
    return got;
}

std::string broadcast_text(const boost::mpi::communicator& comm, const std::string& text, int root,
                           int tag, const RankSet& to) {
    const ErrorsReturn guard(comm);
    if (comm.rank() == root) {
        // Sent and let go (MPI_Request_free): the root never waits for a rank that may be out of
        // reach; the buffer is kept, as MPI may still read it.
        const Bytes out = std::make_shared<std::vector<char>>(text.begin(), text.end());
        abandoned().push_back(out);
        for (int r = 0; r < comm.size(); ++r) {
            if (r != root && in(to, r)) {
                Pending send = isend(out, out->size(), r, tag, comm);
                if (!send.done()) {
                    MPI_Request_free(&send.req);
                }
            }
        }
        return text;
    }
    for (;;) {
        int from = 0; // the root, as asked
        if (auto p = receive_if_there(comm, root, tag, from)) {
            Pending* ps[] = {&*p};
            static_cast<void>(wait_all(ps, Clock::time_point::max(), false));
            return text_of(*p);
        }
        std::this_thread::sleep_for(quiet_poll);
    }
}

std::vector<PairOutcome> ping_pong(const boost::mpi::communicator& comm,
                                   std::span<const ProbePair> plan, const PingPongOptions& o) {
    const ErrorsReturn guard(comm);
    const int me = comm.rank();
    std::vector<ProbePair> mine;
    for (const auto& p : plan) {
        if (p.a == me || p.b == me) {
            mine.push_back(p);
        }
    }
    // Deadlines from one start, alike on every rank (they start when the plan arrives): the
    // reachability round ends by start + timeout and round k by start + (k + 2) * timeout, so a
    // rank still busy with an earlier round (each ends by its deadline) is waited for.
    const auto start = Clock::now();
    const std::vector<std::string> unreachable = reach(comm, me, mine, o, start + o.timeout);
    std::vector<PairOutcome> outcomes;
    for (std::size_t i = 0; i < mine.size(); ++i) {
        PairOutcome out{mine[i], false, unreachable[i], 0, 0, 0, 0, 0};
        if (unreachable[i].empty()) {
            out = measure(comm, me, mine[i], o, start + (mine[i].round + 2) * o.timeout);
        }
        if (mine[i].a == me) {
            outcomes.push_back(std::move(out));
        }
    }
    return outcomes;
}

std::vector<int> affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        return cpus;
    }
    for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set)) {
            cpus.push_back(c);
        }
    }
    return cpus;
}

} // namespace rankpool

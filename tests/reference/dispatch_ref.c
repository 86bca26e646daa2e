/* dispatch_ref TASKS [single|funneled]: the plain C MPI master/worker loop for zero-work tasks, the
 * yardstick for a dynamic executor's dispatch round trip.
 *
 * Rank 0 is the master only and does no tasks. It sends each worker one task index (MPI_Send,
 * tag TASK), then repeatedly receives a result from any worker (MPI_Recv, MPI_ANY_SOURCE; the
 * result is the index as a double) and sends that worker the next index, or tag STOP when none
 * is left. The clock runs on the master from a barrier to the last result received. MPI starts
 * at the thread level given (default single, as MPI_Init): Open MPI 4.1 takes locks above
 * single, so "funneled" is the like-for-like yardstick for a program with threads beside MPI.
 * Prints one JSON line on rank 0; exits 2 on bad input or with fewer than 2 ranks, 1 if the
 * results do not add up to 0 + 1 + ... + (TASKS-1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

enum { TAG_TASK = 1, TAG_STOP = 2, TAG_RESULT = 3 };

static int usage(int rank, const char* msg) {
    if (rank == 0) {
        fprintf(stderr,
                "dispatch_ref: error: %s\n"
                "usage: mpirun -np R dispatch_ref TASKS [single|funneled]  (R >= 2)\n",
                msg);
    }
    MPI_Finalize();
    return 2;
}

/* The master: hands out tasks [0, tasks) one at a time; returns the sum of the results. */
static double master(uint64_t tasks, int size) {
    uint64_t next = 0;
    int busy = 0;
    for (int w = 1; w < size; ++w) {
        if (next < tasks) {
            MPI_Send(&next, 1, MPI_UINT64_T, w, TAG_TASK, MPI_COMM_WORLD);
            ++next;
            ++busy;
        } else {
            MPI_Send(&next, 0, MPI_UINT64_T, w, TAG_STOP, MPI_COMM_WORLD);
        }
    }
    double sum = 0;
    while (busy > 0) {
        double result = 0;
        MPI_Status st;
        MPI_Recv(&result, 1, MPI_DOUBLE, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &st);
        sum += result;
        if (next < tasks) {
            MPI_Send(&next, 1, MPI_UINT64_T, st.MPI_SOURCE, TAG_TASK, MPI_COMM_WORLD);
            ++next;
        } else {
            MPI_Send(&next, 0, MPI_UINT64_T, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
            --busy;
        }
    }
    return sum;
}

/* A worker: answers each task with its index as a double until told to stop. */
static void worker(void) {
    for (;;) {
        uint64_t task = 0;
        MPI_Status st;
        MPI_Recv(&task, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_STOP) {
            return;
        }
        const double result = (double)task;
        MPI_Send(&result, 1, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
}

int main(int argc, char** argv) {
    /* The thread level is read before MPI starts; a bad one is refused once ranks are known. */
    const char* level_name = argc == 3 ? argv[2] : "single";
    const int level_ok = strcmp(level_name, "single") == 0 || strcmp(level_name, "funneled") == 0;
    const int level = strcmp(level_name, "funneled") == 0 ? MPI_THREAD_FUNNELED : MPI_THREAD_SINGLE;
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(&argc, &argv, level, &provided);
    int rank = 0;
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    if (argc != 2 && argc != 3) {
        return usage(rank, "expected TASKS [single|funneled]");
    }
    if (!level_ok) {
        return usage(rank, "the thread level must be single or funneled");
    }
    char* end = NULL;
    errno = 0;
    const unsigned long long parsed = strtoull(argv[1], &end, 10);
    /* Results are summed in a double: keep the sum exact (below 2^53). */
    if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' ||
        parsed > 100000000ull) {
        return usage(rank, "TASKS must be a whole number in [0, 10^8]");
    }
    if (size < 2) {
        return usage(rank, "needs at least 2 ranks: rank 0 only dispatches");
    }
    const uint64_t tasks = (uint64_t)parsed;

    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    if (rank == 0) {
        const double sum = master(tasks, size);
        const double seconds = MPI_Wtime() - start;
        const double expected = tasks == 0 ? 0.0 : (double)tasks * (double)(tasks - 1) / 2.0;
        const int ok = sum == expected;
        printf("{\"command\":\"dispatch_ref\",\"tasks\":%" PRIu64 ",\"ranks\":%d,\"workers\":%d,"
               "\"thread_level\":\"%s\",\"ok\":%s,\"seconds\":%.9f,\"us_per_task\":%.3f}\n",
               tasks, size, size - 1, provided == MPI_THREAD_SINGLE ? "single" : "funneled",
               ok ? "true" : "false", seconds, tasks == 0 ? 0.0 : seconds * 1e6 / (double)tasks);
        fflush(stdout);
        if (!ok) {
            fprintf(stderr, "dispatch_ref: results do not add up\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    } else {
        worker();
    }
    MPI_Finalize();
    return 0;
}

/* squares_ref N [range|array]: the plain C MPI yardstick for `rankpool squares N --input ...`.
 *
 * The same work, partition, phases and timing method as rankpool's map_range / map:
 *   - balanced contiguous blocks, the first n % p ranks get one item more;
 *   - the clock starts after an MPI_Barrier; MPI_Wtime marks the phase boundaries;
 *   - scatter: range: MPI_Bcast of the bounds; array: MPI_Bcast of n, then MPI_Scatterv of the
 *     input that rank 0 malloc'd and filled before the clock started (MPI_IN_PLACE on rank 0);
 *   - compute: x*x into this rank's block (rank 0 straight into its part of the malloc'd
 *     n-element result buffer, the other ranks into a buffer of their block's size);
 *   - gather: MPI_Gatherv into the result buffer on rank 0 (MPI_IN_PLACE on rank 0);
 *   - each phase and the total is reported as the maximum over ranks (MPI_Reduce, MPI_MAX).
 * After the clock stops rank 0 sums the results in unsigned __int128 and checks the sum against
 * n(n-1)(2n-1)/6. Prints one JSON line on rank 0; exits 1 if the check fails, 2 on bad input.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <mpi.h>

__extension__ typedef unsigned __int128 u128;

/* Results are gathered with int counts and displacements. */
#define MAX_N 2147483647ull

/* Decimal text of v into buf (at least 40 bytes). */
static void u128_to_string(u128 v, char* buf) {
    char tmp[40];
    int len = 0;
    do {
        tmp[len++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (int i = 0; i < len; ++i) {
        buf[i] = tmp[len - 1 - i];
    }
    buf[len] = '\0';
}

/* A JSON value: a number when it fits in 64 bits, else a decimal string (rankpool's convention). */
static void u128_to_json(u128 v, char* buf) {
    char digits[40];
    u128_to_string(v, digits);
    if (v <= (u128)UINT64_MAX) {
        strcpy(buf, digits);
    } else {
        sprintf(buf, "\"%s\"", digits);
    }
}

/* First item and item count of rank r's block when n items are split over p ranks. */
static void block_of(uint64_t n, int p, int r, uint64_t* begin, uint64_t* count) {
    const uint64_t q = n / (uint64_t)p;
    const uint64_t extra = n % (uint64_t)p;
    const uint64_t R = (uint64_t)r;
    *begin = R * q + (R < extra ? R : extra);
    *count = q + (R < extra ? 1 : 0);
}

static int usage(int rank, const char* msg) {
    if (rank == 0) {
        fprintf(stderr,
                "squares_ref: error: %s\nusage: squares_ref N [range|array]  (0 <= N <= %llu)\n",
                msg, MAX_N);
    }
    MPI_Finalize();
    return 2;
}

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Every rank parses the same argv, so every rank reaches the same verdict. */
    if (argc < 2 || argc > 3) {
        return usage(rank, "expected N and an optional input mode");
    }
    char* end = NULL;
    errno = 0;
    const unsigned long long parsed = strtoull(argv[1], &end, 10);
    if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' || parsed > MAX_N) {
        return usage(rank, "N must be a whole number in [0, 2^31-1]");
    }
    const char* mode = argc == 3 ? argv[2] : "range";
    const int array = strcmp(mode, "array") == 0;
    if (!array && strcmp(mode, "range") != 0) {
        return usage(rank, "the input mode must be 'range' or 'array'");
    }
    const uint64_t n_arg = (uint64_t)parsed;
    const int root = rank == 0;

    /* array: the input exists on rank 0 before the map starts, as in rankpool squares. */
    uint64_t* input = NULL;
    if (array && root) {
        input = malloc((n_arg ? n_arg : 1) * sizeof *input);
        if (input == NULL) {
            fprintf(stderr, "squares_ref: cannot allocate the input\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        for (uint64_t i = 0; i < n_arg; ++i) {
            input[i] = i;
        }
    }

    double t[4]; /* scatter, compute, gather, total */
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    double last = start;

    /* --- scatter ------------------------------------------------------------------------- */
    uint64_t bounds[2] = {0, n_arg}; /* read on rank 0 only */
    uint64_t n = 0;
    if (array) {
        n = n_arg;
        MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    } else {
        MPI_Bcast(bounds, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        n = bounds[1] - bounds[0];
    }
    int* counts = malloc((size_t)size * sizeof *counts);
    int* displs = malloc((size_t)size * sizeof *displs);
    if (counts == NULL || displs == NULL) {
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int r = 0; r < size; ++r) {
        uint64_t b = 0;
        uint64_t c = 0;
        block_of(n, size, r, &b, &c);
        counts[r] = (int)c;
        displs[r] = (int)b;
    }
    const uint64_t first = (uint64_t)displs[rank];
    const uint64_t mine = (uint64_t)counts[rank];

    const uint64_t* in = NULL; /* array: this rank's block of the input */
    uint64_t* local_in = NULL;
    if (array) {
        if (root) {
            MPI_Scatterv(input, counts, displs, MPI_UINT64_T, MPI_IN_PLACE, 0, MPI_UINT64_T, 0,
                         MPI_COMM_WORLD);
            in = input + first;
        } else {
            local_in = malloc((mine ? mine : 1) * sizeof *local_in);
            if (local_in == NULL) {
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
            MPI_Scatterv(NULL, NULL, NULL, MPI_UINT64_T, local_in, counts[rank], MPI_UINT64_T, 0,
                         MPI_COMM_WORLD);
            in = local_in;
        }
    }
    double now = MPI_Wtime();
    t[0] = now - last;
    last = now;

    /* --- compute ------------------------------------------------------------------------- */
    const uint64_t out_len = root ? n : mine;
    uint64_t* out =
        malloc((out_len ? out_len : 1) * sizeof *out); /* uninitialised, like rankpool */
    if (out == NULL) {
        fprintf(stderr, "squares_ref: rank %d cannot allocate %" PRIu64 " results\n", rank,
                out_len);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    uint64_t* dst = root ? out + first : out;
    if (array) {
        for (uint64_t i = 0; i < mine; ++i) {
            dst[i] = in[i] * in[i];
        }
    } else {
        const uint64_t x0 = bounds[0] + first; /* bounds[0] is 0 on every rank */
        for (uint64_t i = 0; i < mine; ++i) {
            const uint64_t x = x0 + i;
            dst[i] = x * x;
        }
    }
    now = MPI_Wtime();
    t[1] = now - last;
    last = now;

    /* --- gather -------------------------------------------------------------------------- */
    if (root) {
        MPI_Gatherv(MPI_IN_PLACE, 0, MPI_UINT64_T, out, counts, displs, MPI_UINT64_T, 0,
                    MPI_COMM_WORLD);
    } else {
        MPI_Gatherv(out, counts[rank], MPI_UINT64_T, NULL, NULL, NULL, MPI_UINT64_T, 0,
                    MPI_COMM_WORLD);
    }
    now = MPI_Wtime();
    t[2] = now - last;
    t[3] = now - start;

    double tmax[4] = {0, 0, 0, 0};
    MPI_Reduce(t, tmax, 4, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);

    int status = 0;
    if (root) {
        u128 sum = 0;
        for (uint64_t i = 0; i < n; ++i) {
            sum += out[i];
        }
        const u128 N = n;
        const u128 expected = n == 0 ? 0 : N * (N - 1) * (2 * N - 1) / 6;
        const int ok = sum == expected;
        status = ok ? 0 : 1;

        struct rusage u;
        memset(&u, 0, sizeof u);
        getrusage(RUSAGE_SELF, &u);
        char checksum[48];
        char expect[48];
        u128_to_json(sum, checksum);
        u128_to_json(expected, expect);
        printf("{\"command\":\"squares_ref\",\"n\":%" PRIu64 ",\"ranks\":%d,\"input\":\"%s\","
               "\"checksum\":%s,\"expected\":%s,\"ok\":%s,"
               "\"seconds\":{\"scatter\":%.9f,\"compute\":%.9f,\"gather\":%.9f,\"total\":%.9f},"
               "\"max_rss_bytes\":[%llu]}\n",
               n, size, array ? "array" : "range", checksum, expect, ok ? "true" : "false", tmax[0],
               tmax[1], tmax[2], tmax[3], (unsigned long long)u.ru_maxrss * 1024ull);
        fflush(stdout);
        if (!ok) {
            fprintf(stderr, "squares_ref: checksum mismatch\n");
        }
    }
    /* Every rank exits with rank 0's verdict. */
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);

    free(out);
    free(local_in);
    free(input);
    free(counts);
    free(displs);
    MPI_Finalize();
    return status;
}

// Open MPI's own MPI_Allreduce (in place, MPI_FLOAT, MPI_SUM) on one buffer of N floats: the
// floor that `convnet bench allreduce` compares its bucketed gradient averaging with.
//   mpicc -O2 Benchmarks/mpi_allreduce.c -o /tmp/mpi_allreduce
//   mpirun -np 2 /tmp/mpi_allreduce 11689512 20     # floats, timed rounds; rank 0 prints the median ms
//   mpirun -np 2 /tmp/mpi_allreduce 11689512 20 6553600   # the same floats summed in pieces of at most 6553600 (25 MB)
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    long floats = argc > 1 ? atol(argv[1]) : 11689512;
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    long piece = argc > 3 ? atol(argv[3]) : floats;
    if (floats < 1 || floats > (1L << 30) || rounds < 1 || rounds > 10000 || piece < 1) {
        fprintf(stderr, "usage: mpi_allreduce FLOATS(1..2^30) ROUNDS(1..10000) [PIECE]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    float *buffer = malloc(sizeof(float) * floats);
    double *times = malloc(sizeof(double) * rounds);
    for (long i = 0; i < floats; i++) buffer[i] = 1.0f;
    for (int r = -1; r < rounds; r++) {  // round -1 warms up
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        for (long offset = 0; offset < floats; offset += piece) {
            long n = floats - offset < piece ? floats - offset : piece;
            MPI_Allreduce(MPI_IN_PLACE, buffer + offset, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        }
        if (r >= 0) times[r] = (MPI_Wtime() - start) * 1000;
    }
    qsort(times, rounds, sizeof(double), compare);
    if (rank == 0) printf("{\"floats\":%ld,\"piece\":%ld,\"raw_c_allreduce_ms\":%.4f,\"rounds\":%d}\n", floats, piece, times[rounds / 2], rounds);
    free(buffer);
    free(times);
    MPI_Finalize();
    return 0;
}

/* The FP32 limit of this CPU, measured: every thread runs 16 independent chains of 512-bit fused
 * multiply-adds (x = x * a + b on 16 floats), enough to keep two FMA pipes busy through their
 * 4-cycle latency, with nothing else in the loop. GFLOP/s = threads * 16 chains * 16 lanes * 2 flops
 * * iterations / seconds; the best of 5 runs. The figure no convolution can beat: kernels also load,
 * store and shuffle.
 *   build: cc -O2 -mavx512f -fopenmp Benchmarks/fp32_peak.c -o /tmp/fp32_peak
 *   usage: fp32_peak [THREADS=all]   -> {"threads": T, "gflops": G} */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 16

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Runs `iterations` rounds of CHAINS FMAs; returns a value that depends on all of them so that
 * the compiler keeps the work. */
static float fma_chains(long iterations) {
    __m512 x[CHAINS];
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) x[c] = _mm512_set1_ps((float)c);
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) x[c] = _mm512_fmadd_ps(x[c], a, b);
    }
    __m512 sum = x[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, x[c]);
    return _mm512_reduce_add_ps(sum);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
    if (threads < 1) {
        fprintf(stderr, "usage: fp32_peak [THREADS]\n");
        return 2;
    }
    const long iterations = 200000000L / CHAINS;
    double best = 0;
    volatile float sink = 0;
    for (int run = 0; run < 5; run++) {
        double start = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
        sink += fma_chains(iterations);
        double seconds = now() - start;
        double gflops = (double)threads * CHAINS * 16 * 2 * iterations / seconds / 1e9;
        if (gflops > best) best = gflops;
    }
    printf("{\"threads\": %d, \"gflops\": %.1f}\n", threads, best);
    return 0;
}

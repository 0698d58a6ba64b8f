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

#define CHAINS 16 /* the FMA(x0) … FMA(x15) below */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Runs `iterations` rounds of CHAINS FMAs, the chains in named registers (an array would stay in
 * memory at -O2); returns a value that depends on all of them so that the compiler keeps the work. */
#define FMA(r) r = _mm512_fmadd_ps(r, a, b)
static float fma_chains(long iterations) {
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    __m512 x0 = _mm512_set1_ps(0), x1 = _mm512_set1_ps(1), x2 = _mm512_set1_ps(2), x3 = _mm512_set1_ps(3);
    __m512 x4 = _mm512_set1_ps(4), x5 = _mm512_set1_ps(5), x6 = _mm512_set1_ps(6), x7 = _mm512_set1_ps(7);
    __m512 x8 = _mm512_set1_ps(8), x9 = _mm512_set1_ps(9), x10 = _mm512_set1_ps(10), x11 = _mm512_set1_ps(11);
    __m512 x12 = _mm512_set1_ps(12), x13 = _mm512_set1_ps(13), x14 = _mm512_set1_ps(14), x15 = _mm512_set1_ps(15);
    for (long i = 0; i < iterations; i++) {
        FMA(x0); FMA(x1); FMA(x2); FMA(x3); FMA(x4); FMA(x5); FMA(x6); FMA(x7);
        FMA(x8); FMA(x9); FMA(x10); FMA(x11); FMA(x12); FMA(x13); FMA(x14); FMA(x15);
    }
    __m512 s0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
                              _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7)));
    __m512 s1 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x8, x9), _mm512_add_ps(x10, x11)),
                              _mm512_add_ps(_mm512_add_ps(x12, x13), _mm512_add_ps(x14, x15)));
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
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

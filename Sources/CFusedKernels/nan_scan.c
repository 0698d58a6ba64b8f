// Finding NaN and infinity in a buffer (see CFusedKernels.h).
#include "CFusedKernels.h"

// Blocks without an early exit inside, so that the compiler vectorises the comparisons.
#define FK_SCAN(name, test)                                                  \
    int name(const float *x, size_t count) {                                 \
        for (size_t start = 0; start < count; start += 4096) {               \
            size_t end = count - start < 4096 ? count : start + 4096;        \
            int any = 0;                                                     \
            for (size_t i = start; i < end; i++) any |= test;                \
            if (any) return 1;                                               \
        }                                                                    \
        return 0;                                                            \
    }

FK_SCAN(fk_contains_nan, x[i] != x[i])
// x − x is 0 for a finite x, NaN for NaN and ±infinity.
FK_SCAN(fk_contains_nonfinite, x[i] - x[i] != 0)

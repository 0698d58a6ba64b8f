// OpenBLAS through its CBLAS header (Debian: libopenblas-dev).
// cblas.h also declares openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>

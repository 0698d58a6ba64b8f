// oneDNN's C API (Debian: libdnnl-dev; Homebrew: onednn).
#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is a cast macro that Swift cannot import.
static inline void *shim_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
static inline void *shim_dnnl_memory_none(void) { return DNNL_MEMORY_NONE; }

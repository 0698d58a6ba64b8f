// zlib (Debian: zlib1g-dev), for reading gzipped dataset files.
#include <zlib.h>

// libpng (Debian: libpng-dev; Homebrew: libpng), for CImageCodecs, which includes <png.h> itself;
// this target carries the search paths and link flags.
#include <png.h>

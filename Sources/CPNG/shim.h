// libpng's simplified API (Debian: libpng-dev; Homebrew: libpng), for reading images to classify.
#include <png.h>

// PNG_IMAGE_VERSION and PNG_FORMAT_* are macros Swift may not import as constants.
static inline unsigned int shim_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline unsigned int shim_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline unsigned int shim_png_format_gray(void) { return PNG_FORMAT_GRAY; }

// The TurboJPEG API of libjpeg-turbo (Debian: libturbojpeg0-dev; Homebrew: jpeg-turbo), for
// CImageCodecs, which includes <turbojpeg.h> itself; this target carries the search paths and link flags.
#include <turbojpeg.h>

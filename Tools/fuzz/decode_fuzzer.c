// libFuzzer entry point for CImageCodecs: header, then a decode to gray and to RGB, of any bytes.
// Build and run from the repository root (clang with libFuzzer, e.g. the Swift toolchain's):
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -ISources/CImageCodecs/include \
//     Sources/CImageCodecs/*.c Tools/fuzz/decode_fuzzer.c -lpng -lturbojpeg -lpthread -o /tmp/decode_fuzzer
//   /tmp/decode_fuzzer -max_len=65536 -rss_limit_mb=4096 -timeout=10 /tmp/corpus Tests/ConvNetTests/Fixtures/images
// Headers up to CIC_MAX_PIXELS are allowed, so a few bytes may ask for up to 2^28 · 3 bytes of
// output; the rss limit above leaves room for that.
#include "CImageCodecs.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char error[CIC_ERROR_SIZE];
    cic_header header;
    if (cic_read_header(data, size, &header, error) != 0) return 0;
    // Keep the fuzzer fast: decode only images of at most 4 megapixels.
    size_t pixels = (size_t)header.width * (size_t)header.height;
    if (pixels > ((size_t)1 << 22)) return 0;
    for (int channels = 1; channels <= 3; channels += 2) {
        uint8_t *out = malloc(pixels * (size_t)channels);
        if (!out) return 0;
        cic_decode(data, size, channels, out, pixels * (size_t)channels, error);
        free(out);
    }
    return 0;
}

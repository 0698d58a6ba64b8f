// libFuzzer entry point for CImageCodecs: header, then a decode to gray and to RGB, of any bytes,
// with AddressSanitizer and UBSan (the Swift fuzzer FuzzImage reaches the same C code through
// Image.decode). `make fuzz` builds and runs it on Fuzz/Corpus/Image:
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -ISources/CImageCodecs/include \
//     Sources/CImageCodecs/*.c Tools/fuzz/decode_fuzzer.c -lpng -lturbojpeg -lpthread -o decode_fuzzer
#include "CImageCodecs.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char error[CIC_ERROR_SIZE];
    cic_header header;
    if (cic_read_header(data, size, &header, error) != 0) return 0;
    // Keep the fuzzer fast: decode only images of at most 4 megapixels (larger headers are
    // still checked above, which is where their size is refused or accepted).
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

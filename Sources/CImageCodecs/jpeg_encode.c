// JPEG writing through TurboJPEG (baseline, 4:2:0 chroma subsampling for colour as PIL's default,
// the accurate integer DCT).
#include "codecs_internal.h"

#include <stdlib.h>
#include <turbojpeg.h>

int cic_encode_jpeg(const uint8_t *pixels, int width, int height, int channels, int quality, uint8_t **jpeg,
                    size_t *jpeg_size, char *error) {
    *jpeg = NULL;
    *jpeg_size = 0;
    if (!pixels || width <= 0 || height <= 0 || (channels != 1 && channels != 3))
        return cic_fail(error, "cannot encode a %dx%d image of %d channels (1 or 3)", width, height, channels);
    if (quality < 1 || quality > 100) return cic_fail(error, "JPEG quality %d must lie in 1...100", quality);
    if ((uint64_t)width * (uint64_t)height > CIC_MAX_PIXELS)
        return cic_fail(error, "%dx%d has more pixels than the limit", width, height);
    tjhandle handle = tjInitCompress();
    if (!handle) return cic_fail(error, "cannot start TurboJPEG: %s", tjGetErrorStr2(NULL));
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    int status = tjCompress2(handle, pixels, width, width * channels, height, channels == 1 ? TJPF_GRAY : TJPF_RGB,
                             &buffer, &size, channels == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, TJFLAG_ACCURATEDCT);
    if (status != 0) {
        cic_fail(error, "%s", tjGetErrorStr2(handle));
        tjFree(buffer);
        tjDestroy(handle);
        return -1;
    }
    tjDestroy(handle);
    // Hand back a malloc'ed copy so that cic_free releases it like every other buffer here.
    *jpeg = malloc(size);
    if (!*jpeg) {
        tjFree(buffer);
        return cic_fail(error, "out of memory for the encoded JPEG");
    }
    for (unsigned long i = 0; i < size; i++) (*jpeg)[i] = buffer[i];
    *jpeg_size = size;
    tjFree(buffer);
    return 0;
}

// JPEG reading through the TurboJPEG API (libjpeg-turbo 2.x: tjDecompressHeader3, tjDecompress2).
// TurboJPEG catches libjpeg's errors itself, so nothing here needs setjmp.
#include "codecs_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

// One decompressor per thread, made on first use and destroyed when the thread ends: creating one
// costs about as much as decoding a 32 × 32 image.
static pthread_key_t decompressor_key;
static pthread_once_t decompressor_once = PTHREAD_ONCE_INIT;

static void destroy_decompressor(void *handle) { tjDestroy(handle); }
static void make_key(void) { pthread_key_create(&decompressor_key, destroy_decompressor); }

// After a failure TurboJPEG 2.x may leave the decompressor mid-way (tjDecompressHeader3 skips
// jpeg_abort_decompress when it fails), and the next image then fails with "Bogus marker length":
// a failed call replaces the thread's decompressor.
static void discard_decompressor(void) {
    tjhandle handle = pthread_getspecific(decompressor_key);
    if (handle) {
        pthread_setspecific(decompressor_key, NULL);
        tjDestroy(handle);
    }
}

static tjhandle thread_decompressor(void) {
    pthread_once(&decompressor_once, make_key);
    tjhandle handle = pthread_getspecific(decompressor_key);
    if (!handle) {
        handle = tjInitDecompress();
        if (handle && pthread_setspecific(decompressor_key, handle) != 0) {
            tjDestroy(handle);
            handle = NULL;
        }
    }
    return handle;
}

static int decode(const uint8_t *data, size_t size, cic_header *header, int channels, uint8_t *pixels,
                    size_t pixels_size, char *error) {
    tjhandle tj = thread_decompressor();
    if (!tj) return cic_fail(error, "cannot create a TurboJPEG decompressor");
    // Zeroed first: for a stream of tables without a frame, TurboJPEG 2.1 returns success without
    // writing them (a fuzzer found stack garbage read back as the image's size).
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)size, &width, &height, &subsampling, &colorspace) != 0)
        return cic_fail(error, "%s", tjGetErrorStr2(tj));
    if (width <= 0 || height <= 0) return cic_fail(error, "no image frame in the JPEG data (truncated, or tables only)");
    if (cic_check_size("JPEG", (uint64_t)width, (uint64_t)height, error) != 0) return -1;
    if ((uint64_t)width * (uint64_t)height > (uint64_t)CIC_JPEG_PIXELS_PER_BYTE * size)
        return cic_fail(error, "header gives %d × %d pixels, more than a %zu-byte file can plausibly hold (%d pixels "
                        "a byte at most); truncated or forged", width, height, size, CIC_JPEG_PIXELS_PER_BYTE);
    int cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    header->format = CIC_FORMAT_JPEG;
    header->width = width;
    header->height = height;
    header->channels = colorspace == TJCS_GRAY ? 1 : cmyk ? 4 : 3;
    if (!pixels) return 0;

    size_t count = (size_t)width * (size_t)height;
    if (count * (size_t)channels != pixels_size)
        return cic_fail(error, "output buffer holds %zu bytes, the image needs %zu", pixels_size, count * (size_t)channels);

    // libjpeg replicates gray into RGB itself; colour to gray and CMYK to RGB go through a full
    // decode at the file's own channel count, converted afterwards as PIL converts.
    int format, samples;
    if (cmyk) format = TJPF_CMYK, samples = 4;
    else if (colorspace == TJCS_GRAY && channels == 1) format = TJPF_GRAY, samples = 1;
    else format = TJPF_RGB, samples = 3;
    uint8_t *target = pixels, *scratch = NULL;
    if (samples != channels) {
        scratch = malloc(count * (size_t)samples);
        if (!scratch) return cic_fail(error, "out of memory for a %d × %d JPEG", width, height);
        target = scratch;
    }

    // TJFLAG_ACCURATEDCT: libjpeg's JDCT_ISLOW, PIL's default (TurboJPEG's too when decompressing);
    // fancy upsampling stays on (no TJFLAG_FASTUPSAMPLE). TJFLAG_LIMITSCANS refuses progressive
    // files with absurdly many scans, which could otherwise take minutes from a few kilobytes.
    int status = tjDecompress2(tj, data, (unsigned long)size, target, width, 0, height, format,
                               TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS);
    if (status != 0) {
        const char *message = tjGetErrorStr2(tj);
        if (tjGetErrorCode(tj) == TJERR_FATAL) {
            free(scratch);
            return cic_fail(error, "%s", message);
        }
        // A warning: libjpeg filled in what it could. PIL fails on a truncated file and ignores
        // the other warnings, and so do we.
        if (strstr(message, "Premature end") != NULL) {
            free(scratch);
            return cic_fail(error, "truncated JPEG data (%s)", message);
        }
    }
    if (cmyk) {
        if (channels == 3) cic_inverted_cmyk_to_rgb(scratch, pixels, count);
        else {
            cic_inverted_cmyk_to_rgb(scratch, scratch, count);  // in place: 4 bytes read, 3 written behind
            cic_rgb_to_gray(scratch, pixels, count);
        }
    } else if (scratch) {
        cic_rgb_to_gray(scratch, pixels, count);
    }
    free(scratch);
    return 0;
}

int cic_jpeg_decode(const uint8_t *data, size_t size, cic_header *header, int channels, uint8_t *pixels,
                    size_t pixels_size, char *error) {
    if (size > ULONG_MAX) return cic_fail(error, "JPEG data of %zu bytes is too large", size);
    int status = decode(data, size, header, channels, pixels, pixels_size, error);
    if (status != 0) discard_decompressor();
    return status;
}

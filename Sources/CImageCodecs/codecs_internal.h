// Shared by the decoders of this target; not part of its public header.
#ifndef CIMAGECODECS_INTERNAL_H
#define CIMAGECODECS_INTERNAL_H

#include "CImageCodecs.h"

/// Writes a printf-style message into `error` (CIC_ERROR_SIZE bytes) and returns -1.
int cic_fail(char *error, const char *format, ...) __attribute__((format(printf, 2, 3)));

/// Checks a header's size: positive sides, at most CIC_MAX_PIXELS pixels. Returns 0 or cic_fail's -1.
int cic_check_size(const char *what, uint64_t width, uint64_t height, char *error);

/// The format's reader: header only when `pixels` is NULL, otherwise the whole image.
int cic_png_decode(const uint8_t *data, size_t size, cic_header *header, int channels,
                   uint8_t *pixels, size_t pixels_size, char *error);
int cic_jpeg_decode(const uint8_t *data, size_t size, cic_header *header, int channels,
                    uint8_t *pixels, size_t pixels_size, char *error);

/// PIL's RGB → L (ITU-R 601-2 luma, fixed point) over `count` pixels; `out` may not alias `rgb`
/// unless it is the same address (the conversion only moves data backwards).
void cic_rgb_to_gray(const uint8_t *rgb, uint8_t *out, size_t count);

/// PIL's JPEG CMYK → RGB: the samples inverted (rawmode "CMYK;I"), then cmyk2rgb.
void cic_inverted_cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t count);

#endif

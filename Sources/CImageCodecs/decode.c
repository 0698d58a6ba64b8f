// Format sniffing and the entry points that dispatch to the PNG and JPEG readers.
#include "codecs_internal.h"

#include <stdlib.h>
#include <string.h>

int cic_sniff(const uint8_t *data, size_t size) {
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (data && size >= 8 && memcmp(data, png, 8) == 0) return CIC_FORMAT_PNG;
    if (data && size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return CIC_FORMAT_JPEG;
    return CIC_FORMAT_UNKNOWN;
}

static int unknown_format(const uint8_t *data, size_t size, char *error) {
    if (size == 0) return cic_fail(error, "empty (0 bytes), not an image");
    char start[3 * 8 + 1] = {0};
    size_t shown = size < 8 ? size : 8;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < shown; i++) {
        start[3 * i] = hex[data[i] >> 4];
        start[3 * i + 1] = hex[data[i] & 15];
        start[3 * i + 2] = i + 1 < shown ? ' ' : 0;
    }
    return cic_fail(error, "not a PNG or JPEG image (it starts with %s)", start);
}

int cic_read_header(const uint8_t *data, size_t size, cic_header *header, char *error) {
    cic_header unused;
    if (!header) header = &unused;
    memset(header, 0, sizeof *header);
    switch (cic_sniff(data, size)) {
    case CIC_FORMAT_PNG: return cic_png_decode(data, size, header, 0, NULL, 0, error);
    case CIC_FORMAT_JPEG: return cic_jpeg_decode(data, size, header, 0, NULL, 0, error);
    default: return unknown_format(data, size, error);
    }
}

int cic_decode(const uint8_t *data, size_t size, int channels, uint8_t *pixels, size_t pixels_size,
               char *error) {
    if (channels != 1 && channels != 3) return cic_fail(error, "channels must be 1 or 3, not %d", channels);
    if (!pixels) return cic_fail(error, "no output buffer");
    cic_header header;
    memset(&header, 0, sizeof header);
    switch (cic_sniff(data, size)) {
    case CIC_FORMAT_PNG: return cic_png_decode(data, size, &header, channels, pixels, pixels_size, error);
    case CIC_FORMAT_JPEG: return cic_jpeg_decode(data, size, &header, channels, pixels, pixels_size, error);
    default: return unknown_format(data, size, error);
    }
}

void cic_free(void *buffer) { free(buffer); }

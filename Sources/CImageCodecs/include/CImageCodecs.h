// PNG and JPEG decoding (libpng's classic API, TurboJPEG) that converts to 8-bit gray or RGB the
// way PIL's Image.open(f).convert("L" / "RGB") does, plus a PNG encoder. Every function takes
// arbitrary bytes safely: errors come back as a message (libpng's or libjpeg's own text where
// they have one), never as a crash, an abort or a longjmp out of this library, so the functions
// can be called from Swift and fed to a fuzzer.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Container formats, recognised by their first bytes (never by a file name).
enum {
    CIC_FORMAT_UNKNOWN = 0,
    CIC_FORMAT_PNG = 1,   // 89 50 4E 47 0D 0A 1A 0A
    CIC_FORMAT_JPEG = 2,  // FF D8 FF
};

/// Images with more pixels than this (2^28, e.g. 16384 × 16384) are refused before anything is
/// allocated: a few bytes of header must not make a decoder ask for gigabytes.
#define CIC_MAX_PIXELS ((uint64_t)1 << 28)

/// A header must also fit the file's size, checked before anything is allocated: no file can
/// hold more than this. PNG: deflate expands at most 1032 : 1 (zlib's FAQ), so the filtered rows
/// (height × (1 + ⌈width · bits per pixel / 8⌉) bytes) are at most 1032 × the file's size.
#define CIC_DEFLATE_RATIO 1032
/// JPEG: a Huffman-coded file spends at least one bit on each 8 × 8 block of each component (a
/// progressive DC scan with a one-bit code; baseline needs two), so at most 64 · 8 = 512 pixels
/// per byte of file. Files beyond it (arithmetic coding of a flat image, or scans left out, which
/// no common encoder writes) are refused as implausible.
#define CIC_JPEG_PIXELS_PER_BYTE 512

/// Room for an error message, terminating zero included; longer messages are cut.
#define CIC_ERROR_SIZE 256

/// What a file's header says.
typedef struct {
    int format;    // CIC_FORMAT_*
    int width;
    int height;
    /// Channels the file holds once expanded to 8 bits: 1 gray, 2 gray + alpha, 3 colour,
    /// 4 colour + alpha (PNG) or CMYK (JPEG).
    int channels;
} cic_header;

/// The format of `data` from its first bytes: CIC_FORMAT_PNG, CIC_FORMAT_JPEG or CIC_FORMAT_UNKNOWN.
int cic_sniff(const uint8_t *data, size_t size);

/// Reads the header only. Returns 0, or -1 with a message in `error` (CIC_ERROR_SIZE bytes)
/// for unknown, corrupt or truncated data, for images over CIC_MAX_PIXELS, and for headers that
/// declare more pixels than `size` bytes can hold (CIC_DEFLATE_RATIO, CIC_JPEG_PIXELS_PER_BYTE).
int cic_read_header(const uint8_t *data, size_t size, cic_header *header, char *error);

/// Decodes to `channels` (1 gray or 3 RGB) 8-bit interleaved samples, row after row, into
/// `pixels`, which must hold exactly width · height · channels bytes (from cic_read_header).
/// Returns 0, or -1 with a message in `error`; `pixels` is then partly written.
///
/// Conversions, as PIL's convert("RGB") / convert("L"):
/// - PNG: palettes expanded (tRNS ignored), gray of 1, 2 or 4 bits scaled to 8 (×255, ×85, ×17),
///   16 bits reduced to their high byte (libpng's png_set_strip_16), alpha dropped without
///   compositing, interlaced files read, gamma and other colour chunks not applied.
/// - JPEG: TurboJPEG with the accurate integer IDCT and fancy upsampling (libjpeg's defaults,
///   which PIL keeps); 4-component JPEGs as PIL: every one taken as Adobe's inverted CMYK,
///   then R = 255 − K − C·(255 − K)/255 with PIL's rounding (Convert.c, cmyk2rgb).
///   A truncated JPEG is an error (PIL raises "image file is truncated"); libjpeg's other
///   warnings (extraneous bytes, corrupt data it recovered from) are not, as in PIL.
/// - Colour to gray: ITU-R 601-2 luma in PIL's fixed point,
///   L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16. Gray to RGB: the value three times.
int cic_decode(const uint8_t *data, size_t size, int channels, uint8_t *pixels, size_t pixels_size,
               char *error);

/// Encodes 8-bit gray (`channels` 1) or RGB (3) rows as a PNG in memory. On success returns 0
/// and a buffer from malloc in `*png` (release it with cic_free) of `*png_size` bytes; on failure
/// -1 with a message in `error`.
int cic_encode_png(const uint8_t *pixels, int width, int height, int channels,
                   uint8_t **png, size_t *png_size, char *error);

/// Encodes 8-bit gray (`channels` 1) or RGB (3) rows as a baseline JPEG of `quality` (1–100;
/// colour with 4:2:0 chroma subsampling, as PIL saves by default). Returns 0 and a buffer in
/// `*jpeg` (release it with cic_free) of `*jpeg_size` bytes, or -1 with a message in `error`.
int cic_encode_jpeg(const uint8_t *pixels, int width, int height, int channels, int quality, uint8_t **jpeg,
                    size_t *jpeg_size, char *error);
/// Releases a buffer this library allocated.
void cic_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif

// PNG reading through libpng's classic API. libpng reports errors by longjmp; the setjmp lives in
// run() below and every resource lives in the caller's png_job, so nothing leaks and no longjmp
// ever crosses a frame outside this file.
#include "codecs_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size, position;
    char *error;
    png_structp png;
    png_infop info;
    uint8_t *scratch;  // RGB rows when the caller wants gray from a colour image
} png_job;

static void on_error(png_structp png, png_const_charp message) {
    png_job *job = png_get_error_ptr(png);
    cic_fail(job->error, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png, (void)message; }

static void on_read(png_structp png, png_bytep out, size_t count) {
    png_job *job = png_get_io_ptr(png);
    if (count > job->size - job->position) png_error(png, "PNG data ends early (truncated file)");
    memcpy(out, job->data + job->position, count);
    job->position += count;
}

// Reads the header into `header`; with `pixels`, also the image, converted to `channels`.
static int run(png_job *job, cic_header *header, int channels, uint8_t *pixels, size_t pixels_size) {
    png_structp png = job->png;
    png_infop info = job->info;
    if (setjmp(png_jmpbuf(png))) return -1;  // from on_error, the message already in job->error

    png_set_read_fn(png, job, on_read);
    png_read_info(png, info);
    png_uint_32 width, height;
    int depth, color, interlace;
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    if (cic_check_size("PNG", width, height, job->error) != 0) return -1;
    // The filtered rows the header implies (a filter byte each; png_get_channels is still the
    // file's own count here, 1 for a palette) must fit what the file's bytes can inflate to.
    uint64_t row_bytes = 1 + ((uint64_t)width * (uint64_t)depth * png_get_channels(png, info) + 7) / 8;
    if (row_bytes * height > (uint64_t)CIC_DEFLATE_RATIO * job->size)
        return cic_fail(job->error, "header gives %u × %u pixels (%llu bytes of rows), more than a %zu-byte file can "
                        "hold (deflate expands at most %d:1); truncated or forged", (unsigned)width, (unsigned)height,
                        (unsigned long long)(row_bytes * height), job->size, CIC_DEFLATE_RATIO);
    header->format = CIC_FORMAT_PNG;
    header->width = (int)width;
    header->height = (int)height;
    header->channels = color == PNG_COLOR_TYPE_PALETTE ? 3 : png_get_channels(png, info);
    if (!pixels) return 0;

    uint64_t needed = (uint64_t)width * height * (uint64_t)channels;
    if (needed != pixels_size)
        return cic_fail(job->error, "output buffer holds %zu bytes, the image needs %llu", pixels_size,
                        (unsigned long long)needed);

    // To 8 bits per sample, 1 or 3 samples: palettes to RGB (their tRNS alpha expanded and then
    // stripped with the rest), small gray depths scaled up, 16 bits to the high byte, alpha
    // dropped; gray replicated when RGB is asked for. Colour to gray is done below, as PIL does.
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    png_set_strip_alpha(png);
    int colour = (color & PNG_COLOR_MASK_COLOR) != 0;
    if (!colour && channels == 3) png_set_gray_to_rgb(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int decoded = colour ? 3 : channels;
    if (png_get_bit_depth(png, info) != 8 || png_get_channels(png, info) != decoded ||
        png_get_rowbytes(png, info) != (size_t)width * (size_t)decoded)
        return cic_fail(job->error, "libpng produced %d channels of %d bits (expected %d of 8)",
                        png_get_channels(png, info), png_get_bit_depth(png, info), decoded);

    size_t stride = (size_t)width * (size_t)channels;
    if (decoded == channels) {
        // Straight into the caller's buffer; each pass of an interlaced image fills in its pixels.
        for (int pass = 0; pass < passes; pass++)
            for (png_uint_32 y = 0; y < height; y++) png_read_row(png, pixels + y * stride, NULL);
    } else if (passes == 1) {
        // Colour to gray, row by row through one RGB row.
        job->scratch = malloc((size_t)width * 3);
        if (!job->scratch) return cic_fail(job->error, "out of memory for a %u-pixel row", (unsigned)width);
        for (png_uint_32 y = 0; y < height; y++) {
            png_read_row(png, job->scratch, NULL);
            cic_rgb_to_gray(job->scratch, pixels + y * stride, width);
        }
    } else {
        // Interlaced colour to gray: the passes need the whole RGB image before it can be converted.
        size_t rgb_stride = (size_t)width * 3;
        job->scratch = malloc(rgb_stride * height);
        if (!job->scratch) return cic_fail(job->error, "out of memory for a %u × %u RGB image", (unsigned)width, (unsigned)height);
        for (int pass = 0; pass < passes; pass++)
            for (png_uint_32 y = 0; y < height; y++) png_read_row(png, job->scratch + y * rgb_stride, NULL);
        cic_rgb_to_gray(job->scratch, pixels, (size_t)width * height);
    }
    return 0;
}

int cic_png_decode(const uint8_t *data, size_t size, cic_header *header, int channels, uint8_t *pixels,
                   size_t pixels_size, char *error) {
    png_job job = {.data = data, .size = size, .error = error};
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error, on_warning);
    if (!job.png) return cic_fail(error, "cannot create a libpng reader");
    job.info = png_create_info_struct(job.png);
    if (!job.info) {
        png_destroy_read_struct(&job.png, NULL, NULL);
        return cic_fail(error, "cannot create a libpng reader");
    }
    int status = run(&job, header, channels, pixels, pixels_size);
    png_destroy_read_struct(&job.png, &job.info, NULL);
    free(job.scratch);
    return status;
}

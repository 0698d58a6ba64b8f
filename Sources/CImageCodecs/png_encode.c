// PNG writing through libpng's classic API into a growing memory buffer; as in png_decode.c the
// setjmp lives in run() and the resources in the caller's job.
#include "codecs_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *buffer;
    size_t size, capacity;
    char *error;
    png_structp png;
    png_infop info;
} encode_job;

static void on_error(png_structp png, png_const_charp message) {
    encode_job *job = png_get_error_ptr(png);
    cic_fail(job->error, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png, (void)message; }

static void on_write(png_structp png, png_bytep data, size_t count) {
    encode_job *job = png_get_io_ptr(png);
    if (count > job->capacity - job->size) {
        size_t capacity = job->capacity ? job->capacity : 4096;
        while (count > capacity - job->size) {
            if (capacity > SIZE_MAX / 2) png_error(png, "encoded PNG too large");
            capacity *= 2;
        }
        uint8_t *grown = realloc(job->buffer, capacity);
        if (!grown) png_error(png, "out of memory for the encoded PNG");
        job->buffer = grown;
        job->capacity = capacity;
    }
    memcpy(job->buffer + job->size, data, count);
    job->size += count;
}

static void on_flush(png_structp png) { (void)png; }

static int run(encode_job *job, const uint8_t *pixels, int width, int height, int channels) {
    png_structp png = job->png;
    if (setjmp(png_jmpbuf(png))) return -1;
    png_set_write_fn(png, job, on_write, on_flush);
    png_set_IHDR(png, job->info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, job->info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    return 0;
}

int cic_encode_png(const uint8_t *pixels, int width, int height, int channels, uint8_t **png, size_t *png_size,
                   char *error) {
    if (!png || !png_size) return cic_fail(error, "no place for the encoded PNG");
    *png = NULL;
    *png_size = 0;
    if (!pixels || width <= 0 || height <= 0 || (channels != 1 && channels != 3))
        return cic_fail(error, "cannot encode a %d × %d image of %d channels (channels must be 1 or 3)", width, height,
                        channels);
    if (cic_check_size("PNG", (uint64_t)width, (uint64_t)height, error) != 0) return -1;
    encode_job job = {.error = error};
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, on_error, on_warning);
    if (!job.png) return cic_fail(error, "cannot create a libpng writer");
    job.info = png_create_info_struct(job.png);
    if (!job.info) {
        png_destroy_write_struct(&job.png, NULL);
        return cic_fail(error, "cannot create a libpng writer");
    }
    int status = run(&job, pixels, width, height, channels);
    png_destroy_write_struct(&job.png, &job.info);
    if (status != 0) {
        free(job.buffer);
        return -1;
    }
    *png = job.buffer;
    *png_size = job.size;
    return 0;
}

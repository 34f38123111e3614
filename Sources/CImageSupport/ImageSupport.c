/* libjpeg and libpng report fatal errors by calling a handler that must not return; the only
 * way back is longjmp, which Swift cannot express. These wrappers own the setjmp points and
 * turn every failure into a result code and a message. */

#include "CImageSupport.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static void cis_copy_message(char *to, size_t capacity, const char *from) {
    if (capacity == 0) return;
    snprintf(to, capacity, "%s", from ? from : "");
}

void cis_free(void *pointer) { free(pointer); }

/* Width * height * channels, or 0 when the image is empty or larger than CIS_MAX_PIXELS. */
static size_t cis_image_bytes(size_t width, size_t height, size_t channels) {
    if (width == 0 || height == 0) return 0;
    if (width > CIS_MAX_PIXELS / height) return 0;
    return width * height * channels;
}

/* ---------------------------------------------------------------- JPEG errors */

struct cis_jpeg_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    int truncated;
    int warnings;
    char message[JMSG_LENGTH_MAX];
};

static void cis_jpeg_error_exit(j_common_ptr cinfo) {
    struct cis_jpeg_error *error = (struct cis_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    if (cinfo->err->msg_code == JERR_INPUT_EOF) error->truncated = 1;
    longjmp(error->jump, 1);
}

/* Warnings (level -1) are counted; running out of data is fatal, because libjpeg would
 * otherwise pad the image with grey and call it complete. Trace messages are ignored. */
static void cis_jpeg_emit_message(j_common_ptr cinfo, int level) {
    struct cis_jpeg_error *error = (struct cis_jpeg_error *)cinfo->err;
    if (level >= 0) return;
    error->warnings += 1;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        (*cinfo->err->format_message)(cinfo, error->message);
        error->truncated = 1;
        longjmp(error->jump, 1);
    }
}

static void cis_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void cis_jpeg_install_errors(struct cis_jpeg_error *error) {
    jpeg_std_error(&error->base);
    error->base.error_exit = cis_jpeg_error_exit;
    error->base.emit_message = cis_jpeg_emit_message;
    error->base.output_message = cis_jpeg_output_message;
    error->truncated = 0;
    error->warnings = 0;
    error->message[0] = 0;
}

static int cis_jpeg_code(const struct cis_jpeg_error *error) {
    if (error->truncated) return CIS_TRUNCATED;
    switch (error->base.msg_code) {
    case JERR_ARITH_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_BAD_PRECISION:
    case JERR_NOTIMPL:
        return CIS_UNSUPPORTED;
    case JERR_OUT_OF_MEMORY:
        return CIS_NO_MEMORY;
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
        return CIS_TOO_LARGE;
    default:
        return CIS_CORRUPT;
    }
}

/* ---------------------------------------------------------------- JPEG decode */

/* An inverted CMYK sample and black to the colour channel, as OpenCV's imread converts them
 * (icvCvt_CMYK2BGR): k - (255 - value) * k / 256, truncated. */
static unsigned char cis_cmyk_channel(unsigned value, unsigned k) {
    return (unsigned char)(k - (((255 - value) * k) >> 8));
}

/* The orientation (1-8) an Exif APP1 segment gives, or 1 when there is none or it cannot be
 * read: a TIFF header (II or MM), then IFD0's entry 0x0112. */
static int cis_exif_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 + 8) continue;
        const unsigned char *d = m->data;
        if (memcmp(d, "Exif\0\0", 6) != 0) continue;
        const unsigned char *t = d + 6;
        const size_t n = m->data_length - 6;
        int little;
        if (t[0] == 'I' && t[1] == 'I') little = 1;
        else if (t[0] == 'M' && t[1] == 'M') little = 0;
        else continue;
#define CIS_U16(p) (little ? (unsigned)((p)[0] | (p)[1] << 8) : (unsigned)((p)[0] << 8 | (p)[1]))
#define CIS_U32(p) (little ? ((unsigned long)(p)[0] | (unsigned long)(p)[1] << 8 | (unsigned long)(p)[2] << 16 | (unsigned long)(p)[3] << 24) \
                           : ((unsigned long)(p)[0] << 24 | (unsigned long)(p)[1] << 16 | (unsigned long)(p)[2] << 8 | (unsigned long)(p)[3]))
        if (CIS_U16(t + 2) != 42) continue;
        const unsigned long ifd = CIS_U32(t + 4);
        if (ifd > n || n - ifd < 2) continue;
        const unsigned count = CIS_U16(t + ifd);
        for (unsigned i = 0; i < count; i++) {
            const unsigned long at = ifd + 2 + 12ul * i;
            if (at > n || n - at < 12) break;
            const unsigned char *entry = t + at;
            if (CIS_U16(entry) != 0x0112) continue;
            const unsigned type = CIS_U16(entry + 2);
            const unsigned long value = type == 3 ? CIS_U16(entry + 8) : type == 4 ? CIS_U32(entry + 8) : 0;
            return value >= 1 && value <= 8 ? (int)value : 1;
        }
#undef CIS_U16
#undef CIS_U32
    }
    return 1;
}

/* Turns `pixels` (width x height) as Exif orientation `o` says, as OpenCV's imread does
 * (ExifTransform): 2-4 flip, 5-8 transpose and so swap width and height. Returns the new
 * buffer (the old one is freed), or NULL when memory runs out. */
static unsigned char *cis_orient(unsigned char *pixels, size_t width, size_t height, size_t channels, int o,
                                 size_t *out_width, size_t *out_height) {
    const int swap = o >= 5;
    const size_t ow = swap ? height : width, oh = swap ? width : height;
    *out_width = ow;
    *out_height = oh;
    if (o <= 1) return pixels;
    unsigned char *turned = malloc(width * height * channels);
    if (!turned) return NULL;
    for (size_t y = 0; y < oh; y++) {
        for (size_t x = 0; x < ow; x++) {
            size_t sx, sy;
            switch (o) {
            case 2: sx = width - 1 - x; sy = y; break;
            case 3: sx = width - 1 - x; sy = height - 1 - y; break;
            case 4: sx = x; sy = height - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = height - 1 - x; break;
            case 7: sx = width - 1 - y; sy = height - 1 - x; break;
            default: sx = width - 1 - y; sy = x; break; /* 8 */
            }
            memcpy(turned + (y * ow + x) * channels, pixels + (sy * width + sx) * channels, channels);
        }
    }
    free(pixels);
    return turned;
}

int cis_jpeg_decode(const unsigned char *data, size_t size, cis_decoded *out) {
    return cis_jpeg_decode_as(data, size, 0, out);
}

int cis_jpeg_decode_as(const unsigned char *data, size_t size, int grey, cis_decoded *out) {
    struct jpeg_decompress_struct cinfo;
    struct cis_jpeg_error error;
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile cmyk_row = NULL;

    if (!out) return CIS_BAD_ARGUMENT;
    memset(out, 0, sizeof(*out));
    if (!data || size == 0) {
        cis_copy_message(out->message, sizeof(out->message), "the file is empty");
        return CIS_TRUNCATED;
    }

    cinfo.err = &error.base;
    cis_jpeg_install_errors(&error);
    if (setjmp(error.jump)) {
        int code = cis_jpeg_code(&error);
        out->warnings = error.warnings;
        cis_copy_message(out->message, sizeof(out->message), error.message);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(cmyk_row);
        return code;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    const int orientation = cis_exif_orientation(&cinfo);

    int cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        out->source_channels = 1;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        cmyk = 1;
        /* Photoshop stores CMYK inverted (an Adobe marker says so); nearly every CMYK JPEG is
         * written that way, and OpenCV (so Caffe) and Pillow read all CMYK as inverted, marker
         * or not. So do we. */
        out->source_channels = 4;
        break;
    default:
        /* Grey from colour is libjpeg's own luma, as OpenCV's IMREAD_GRAYSCALE asks for it. */
        cinfo.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
        out->source_channels = 3;
        break;
    }

    /* The size is checked before jpeg_start_decompress, which for a progressive or multi-scan
     * file allocates coefficients for the whole image: a header of a few bytes claiming
     * 65500x65500 would otherwise take gigabytes before a single row is read. */
    jpeg_calc_output_dimensions(&cinfo);
    const int channels = cmyk ? (grey ? 1 : 3) : (int)cinfo.output_components;
    if (channels != 1 && channels != 3) {
        snprintf(error.message, sizeof(error.message), "decodes to %d components; expected 1 or 3", channels);
        error.base.msg_code = JERR_CONVERSION_NOTIMPL;
        longjmp(error.jump, 1);
    }
    const size_t width = cinfo.output_width, height = cinfo.output_height;
    const size_t bytes = cis_image_bytes(width, height, (size_t)channels);
    if (bytes == 0) {
        snprintf(error.message, sizeof(error.message), "%zux%zu pixels is empty or above the limit of %zu pixels",
                 width, height, (size_t)CIS_MAX_PIXELS);
        error.base.msg_code = JERR_IMAGE_TOO_BIG;
        longjmp(error.jump, 1);
    }
    /* libjpeg's own buffers stay within what an image at the limit needs. */
    cinfo.mem->max_memory_to_use = (long)CIS_MAX_PIXELS * 8;
    jpeg_start_decompress(&cinfo);
    pixels = malloc(bytes);
    if (cmyk) cmyk_row = malloc(width * 4);
    if (!pixels || (cmyk && !cmyk_row)) {
        snprintf(error.message, sizeof(error.message), "cannot allocate %zu bytes for the pixels", bytes);
        error.base.msg_code = JERR_OUT_OF_MEMORY;
        longjmp(error.jump, 1);
    }

    const size_t stride = width * (size_t)channels;
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *target = pixels + (size_t)cinfo.output_scanline * stride;
        JSAMPROW row = cmyk ? cmyk_row : target;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) continue;
        if (!cmyk) continue;
        for (size_t x = 0; x < width; x++) {
            const unsigned c = cmyk_row[4 * x], m = cmyk_row[4 * x + 1], y = cmyk_row[4 * x + 2], k = cmyk_row[4 * x + 3];
            /* Inverted samples are (1 - ink): red = (1 - cyan)(1 - black). */
            const unsigned r = cis_cmyk_channel(c, k), g = cis_cmyk_channel(m, k), b = cis_cmyk_channel(y, k);
            if (grey) {
                /* OpenCV's icvCvt_CMYK2Gray: BT.601 in 14-bit fixed point, rounded. */
                target[x] = (unsigned char)((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);
                continue;
            }
            target[3 * x] = (unsigned char)r;
            target[3 * x + 1] = (unsigned char)g;
            target[3 * x + 2] = (unsigned char)b;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);

    size_t shown_width = width, shown_height = height;
    unsigned char *turned = cis_orient(pixels, width, height, (size_t)channels, orientation, &shown_width, &shown_height);
    if (!turned) {
        free(pixels);
        cis_copy_message(out->message, sizeof(out->message), "cannot allocate memory to turn the image as its Exif orientation says");
        return CIS_NO_MEMORY;
    }
    pixels = turned;
    out->orientation = orientation;
    out->width = (int)shown_width;
    out->height = (int)shown_height;
    out->channels = channels;
    out->warnings = error.warnings;
    out->pixels = pixels;
    return CIS_OK;
}

/* ---------------------------------------------------------------- JPEG encode */

int cis_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                    int quality, cis_encoded *out) {
    struct jpeg_compress_struct cinfo;
    struct cis_jpeg_error error;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;

    if (!out) return CIS_BAD_ARGUMENT;
    memset(out, 0, sizeof(*out));
    if (!pixels || width <= 0 || height <= 0 || (channels != 1 && channels != 3) || width > 65500 || height > 65500) {
        snprintf(out->message, sizeof(out->message), "cannot encode a %dx%d image of %d channels as JPEG", width, height, channels);
        return CIS_BAD_ARGUMENT;
    }

    cinfo.err = &error.base;
    cis_jpeg_install_errors(&error);
    if (setjmp(error.jump)) {
        int code = cis_jpeg_code(&error);
        cis_copy_message(out->message, sizeof(out->message), error.message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return code;
    }
    jpeg_create_compress(&cinfo);
    unsigned char *destination = NULL;
    jpeg_mem_dest(&cinfo, &destination, &buffer_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    /* The memory destination (re)allocates with malloc; its final buffer is ours to free. */
    buffer = destination;
    jpeg_destroy_compress(&cinfo);
    out->bytes = buffer;
    out->size = (size_t)buffer_size;
    return CIS_OK;
}

/* ---------------------------------------------------------------- PNG */

struct cis_png_state {
    const unsigned char *data;
    size_t size;
    size_t offset;
    int truncated;
    int no_memory;
    int warnings;
    char message[256];
    /* Encoding: the growing output. */
    unsigned char *output;
    size_t output_size;
    size_t output_capacity;
};

static void cis_png_error(png_structp png, png_const_charp message) {
    struct cis_png_state *state = (struct cis_png_state *)png_get_error_ptr(png);
    if (state && state->message[0] == 0) cis_copy_message(state->message, sizeof(state->message), message);
    png_longjmp(png, 1);
}

static void cis_png_warning(png_structp png, png_const_charp message) {
    (void)message;
    struct cis_png_state *state = (struct cis_png_state *)png_get_error_ptr(png);
    if (state) state->warnings += 1;
}

static void cis_png_read(png_structp png, png_bytep target, size_t length) {
    struct cis_png_state *state = (struct cis_png_state *)png_get_io_ptr(png);
    if (state->size - state->offset < length) {
        state->truncated = 1;
        snprintf(state->message, sizeof(state->message), "the file ends after %zu bytes, in the middle of the image",
                 state->size);
        png_error(png, state->message);
    }
    memcpy(target, state->data + state->offset, length);
    state->offset += length;
}

int cis_png_decode(const unsigned char *data, size_t size, cis_decoded *out) {
    struct cis_png_state state;
    png_structp png = NULL;
    png_infop info = NULL;
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;

    if (!out) return CIS_BAD_ARGUMENT;
    memset(out, 0, sizeof(*out));
    memset(&state, 0, sizeof(state));
    if (!data || size == 0) {
        cis_copy_message(out->message, sizeof(out->message), "the file is empty");
        return CIS_TRUNCATED;
    }
    state.data = data;
    state.size = size;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, cis_png_error, cis_png_warning);
    if (!png) {
        cis_copy_message(out->message, sizeof(out->message), "libpng could not start (out of memory?)");
        return CIS_NO_MEMORY;
    }
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        cis_copy_message(out->message, sizeof(out->message), "libpng could not start (out of memory?)");
        return CIS_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        int code = state.truncated ? CIS_TRUNCATED : (state.no_memory ? CIS_NO_MEMORY : CIS_CORRUPT);
        /* libpng reports a short IDAT stream as corrupt; it is a cut-off file. */
        if (strstr(state.message, "Not enough image data") || strstr(state.message, "Read Error")) code = CIS_TRUNCATED;
        if (strstr(state.message, "exceeds") || strstr(state.message, "too large")) code = CIS_TOO_LARGE;
        out->warnings = state.warnings;
        cis_copy_message(out->message, sizeof(out->message), state.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return code;
    }
    png_set_read_fn(png, &state, cis_png_read);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: out->source_channels = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: out->source_channels = 2; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: out->source_channels = 4; break;
    default: out->source_channels = 3; break;
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    const int channels = (int)png_get_channels(png, info);
    const size_t row_bytes = png_get_rowbytes(png, info);
    if (channels != 1 && channels != 3) {
        snprintf(state.message, sizeof(state.message), "decodes to %d channels; expected 1 or 3", channels);
        png_longjmp(png, 1);
    }
    const size_t bytes = cis_image_bytes(width, height, (size_t)channels);
    if (bytes == 0 || row_bytes != (size_t)width * (size_t)channels) {
        snprintf(state.message, sizeof(state.message), "%ux%u pixels is empty or above the limit of %zu pixels (image too large)",
                 (unsigned)width, (unsigned)height, (size_t)CIS_MAX_PIXELS);
        png_longjmp(png, 1);
    }
    pixels = malloc(bytes);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) {
        state.no_memory = 1;
        snprintf(state.message, sizeof(state.message), "cannot allocate %zu bytes for the pixels", bytes);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);

    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->warnings = state.warnings;
    out->pixels = pixels;
    return CIS_OK;
}

static void cis_png_write(png_structp png, png_bytep data, size_t length) {
    struct cis_png_state *state = (struct cis_png_state *)png_get_io_ptr(png);
    if (state->output_capacity - state->output_size < length) {
        size_t capacity = state->output_capacity ? state->output_capacity : 65536;
        while (capacity - state->output_size < length) capacity *= 2;
        unsigned char *grown = realloc(state->output, capacity);
        if (!grown) {
            state->no_memory = 1;
            png_error(png, "out of memory for the encoded image");
        }
        state->output = grown;
        state->output_capacity = capacity;
    }
    memcpy(state->output + state->output_size, data, length);
    state->output_size += length;
}

static void cis_png_flush(png_structp png) { (void)png; }

int cis_png_encode(const unsigned char *pixels, int width, int height, int channels,
                   int level, cis_encoded *out) {
    struct cis_png_state state;
    png_structp png = NULL;
    png_infop info = NULL;
    png_bytep *volatile rows = NULL;

    if (!out) return CIS_BAD_ARGUMENT;
    memset(out, 0, sizeof(*out));
    memset(&state, 0, sizeof(state));
    if (!pixels || width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        snprintf(out->message, sizeof(out->message), "cannot encode a %dx%d image of %d channels as PNG", width, height, channels);
        return CIS_BAD_ARGUMENT;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, cis_png_error, cis_png_warning);
    if (!png) return CIS_NO_MEMORY;
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return CIS_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        int code = state.no_memory ? CIS_NO_MEMORY : CIS_CORRUPT;
        cis_copy_message(out->message, sizeof(out->message), state.message);
        png_destroy_write_struct(&png, &info);
        free(state.output);
        free(rows);
        return code;
    }
    png_set_write_fn(png, &state, cis_png_write, cis_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (level >= 0 && level <= 9) png_set_compression_level(png, level);
    rows = malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) {
        state.no_memory = 1;
        png_error(png, "out of memory for the row table");
    }
    const size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * stride);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    out->bytes = state.output;
    out->size = state.output_size;
    return CIS_OK;
}

#ifndef CREMA_IMAGE_SUPPORT_H
#define CREMA_IMAGE_SUPPORT_H

#include <stddef.h>

/* Image decoding and encoding through libjpeg and libpng, with their errors caught
 * (setjmp/longjmp cannot be written in Swift) and returned as codes and messages, so a bad
 * file never ends the process. */

/* Result codes. */
enum {
    CIS_OK = 0,
    CIS_CORRUPT = 1,       /* the data breaks the format's rules */
    CIS_TRUNCATED = 2,     /* the data ends before the image does */
    CIS_UNSUPPORTED = 3,   /* valid, but a kind this decoder does not handle */
    CIS_NO_MEMORY = 4,
    CIS_TOO_LARGE = 5,     /* dimensions beyond the limit below */
    CIS_BAD_ARGUMENT = 6
};

/* Images with more pixels than this are refused (a corrupt header can claim any size). */
#define CIS_MAX_PIXELS ((size_t)1 << 28)

/* A decoded image: rows top to bottom, channels interleaved (grey, or red green blue). */
typedef struct {
    int width;
    int height;
    int channels;             /* 1 or 3 */
    int source_channels;      /* what the file holds: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha or CMYK */
    int warnings;             /* problems the library recovered from */
    int orientation;          /* the Exif orientation applied (1: none; JPEG only) */
    unsigned char *pixels;    /* width * height * channels bytes; release with cis_free */
    char message[256];        /* why decoding failed */
} cis_decoded;

/* Encoded bytes; release with cis_free. */
typedef struct {
    unsigned char *bytes;
    size_t size;
    char message[256];
} cis_encoded;

/* JPEG (baseline or progressive; grey, YCbCr, RGB, CMYK or YCCK) to 8-bit grey or RGB, as
 * OpenCV's imread gives it: turned as an Exif orientation tag says, and CMYK converted with
 * OpenCV's arithmetic, its samples read as Adobe's inverted CMYK. */
int cis_jpeg_decode(const unsigned char *data, size_t size, cis_decoded *out);

/* The same, and with `grey` set one channel as OpenCV's IMREAD_GRAYSCALE reads it: libjpeg's
 * luma for colour files, OpenCV's CMYK-to-grey arithmetic for CMYK. */
int cis_jpeg_decode_as(const unsigned char *data, size_t size, int grey, cis_decoded *out);

/* PNG (any colour type and bit depth, interlaced or not) to 8-bit grey or RGB: palettes are
 * expanded, 16-bit samples keep their high byte, alpha and transparency are dropped. */
int cis_png_decode(const unsigned char *data, size_t size, cis_decoded *out);

/* Interleaved 8-bit grey (channels 1) or RGB (channels 3) to a baseline JPEG. */
int cis_jpeg_encode(const unsigned char *pixels, int width, int height, int channels,
                    int quality, cis_encoded *out);

/* Interleaved 8-bit grey or RGB to a non-interlaced PNG; level is zlib's 0-9 (-1 default). */
int cis_png_encode(const unsigned char *pixels, int width, int height, int channels,
                   int level, cis_encoded *out);

void cis_free(void *pointer);

#endif

// CFaceShim: a C handle API over dlib's face models (C++ inside, C outside).
//
// Every function catches C++ exceptions at the boundary and returns a status;
// none aborts or throws on bad input. A handle is not thread-safe: use one
// engine per thread.
#ifndef CFACESHIM_H
#define CFACESHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result of every call.
typedef enum wf_status {
    WF_OK = 0,
    WF_ERR_ARGUMENT = 1,  ///< null pointer, empty image, inconsistent geometry
    WF_ERR_MODEL = 2,     ///< a model file is missing or unreadable
    WF_ERR_IMAGE = 3,     ///< an image could not be decoded
    WF_ERR_INTERNAL = 4,  ///< dlib threw (message in the error buffer)
    WF_ERR_MEMORY = 5     ///< allocation failed
} wf_status;

/// Opaque dlib engine: HOG detector, 5-point shape predictor, ResNet descriptor.
typedef struct wf_dlib_engine wf_dlib_engine;

/// A detected face: box, detector score and the 5 landmarks (x0,y0,...,x4,y4).
typedef struct wf_face {
    int32_t left, top, width, height;
    double confidence;
    float landmarks[10];
} wf_face;

/// Number of floats in a dlib descriptor.
#define WF_DLIB_DESCRIPTOR_SIZE 128
/// Side of the aligned face chip, in pixels.
#define WF_DLIB_CHIP_SIZE 150

/// Loads the models. `mmod_path` may be NULL (no CNN fallback). On failure
/// writes a message naming the file into `error` (NUL-terminated).
wf_status wf_dlib_open(const char *shape_predictor_path, const char *resnet_path,
                       const char *mmod_path, wf_dlib_engine **out,
                       char *error, size_t error_size);

/// Frees the engine; NULL is allowed.
void wf_dlib_close(wf_dlib_engine *engine);

/// Finds faces with the HOG detector (`upsample` 0 for live frames) or, when
/// `use_cnn` is non-zero, with the MMOD CNN. Pixels are 8-bit gray
/// (channels 1) or RGB (channels 3), rows `stride` bytes apart. Writes up to
/// `capacity` faces with landmarks and the total found into `count`.
wf_status wf_dlib_detect(wf_dlib_engine *engine, const uint8_t *pixels, int32_t width,
                         int32_t height, int32_t stride, int32_t channels,
                         int32_t upsample, int32_t use_cnn, wf_face *faces,
                         int32_t capacity, int32_t *count, char *error, size_t error_size);

/// Computes the 128-d descriptor of `face` (its landmarks must be set) from
/// an RGB image. When `chip` is not NULL, also writes the 150x150 RGB chip.
wf_status wf_dlib_descriptor(wf_dlib_engine *engine, const uint8_t *rgb, int32_t width,
                             int32_t height, int32_t stride, const wf_face *face,
                             float *descriptor, uint8_t *chip,
                             char *error, size_t error_size);

/// Decodes a JPEG or PNG file to RGB. `*rgb` is malloc'ed; free it with wf_free.
wf_status wf_load_image_rgb(const char *path, uint8_t **rgb, int32_t *width,
                            int32_t *height, char *error, size_t error_size);

/// Decodes a JPEG held in memory to RGB. `*rgb` is malloc'ed; free it with wf_free.
wf_status wf_decode_jpeg_rgb(const uint8_t *data, size_t size, uint8_t **rgb,
                             int32_t *width, int32_t *height, char *error, size_t error_size);

/// Frees memory returned by this library.
void wf_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif

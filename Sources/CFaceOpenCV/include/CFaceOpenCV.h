// CFaceOpenCV: a C handle API over OpenCV's dnn module running OpenCV Zoo's
// YuNet face detector (2023mar) and SFace recogniser (2021dec), converted to
// fp32 opset 11 by scripts/convert-onnx.py (C++ inside, C outside).
//
// It shares CFaceShim's status codes and face record, so the Swift side maps
// errors one way for both engines. Every function catches C++ exceptions
// (cv::Exception included) at the boundary and returns a status; none aborts
// or throws on bad input. A handle is not thread-safe (cv::dnn::Net keeps its
// blobs between calls): use one engine per thread.
#ifndef CFACEOPENCV_H
#define CFACEOPENCV_H

#include "CFaceShim.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque engine: one YuNet network and one SFace network.
typedef struct wf_cv_engine wf_cv_engine;

/// Number of floats in an SFace feature.
#define WF_SFACE_FEATURE_SIZE 128
/// Side of the aligned SFace chip, in pixels (ArcFace's 112x112 layout).
#define WF_SFACE_CHIP_SIZE 112

/// Loads both networks. On failure writes a message naming the file into
/// `error` (NUL-terminated) and returns WF_ERR_MODEL.
wf_status wf_cv_open(const char *yunet_path, const char *sface_path, wf_cv_engine **out,
                     char *error, size_t error_size);

/// Frees the engine; NULL is allowed.
void wf_cv_close(wf_cv_engine *engine);

/// Finds faces with YuNet. Pixels are 8-bit gray (channels 1) or RGB
/// (channels 3), rows `stride` bytes apart. The image is scaled down to fit
/// `max_side` (0: 640) and padded to a multiple of 32 (at least 64). Faces scoring below
/// `score_threshold` (0..1) are dropped, overlaps above `nms_threshold` IoU
/// suppressed. Landmarks are YuNet's: right eye, left eye, nose tip, right and
/// left mouth corners (the person's right, i.e. image left first). Writes up to
/// `capacity` faces, best first, and the total found into `count`.
wf_status wf_cv_detect(wf_cv_engine *engine, const uint8_t *pixels, int32_t width, int32_t height,
                       int32_t stride, int32_t channels, int32_t max_side, float score_threshold,
                       float nms_threshold, wf_face *faces, int32_t capacity, int32_t *count,
                       char *error, size_t error_size);

/// Aligns the 112x112 chip of `face` (its YuNet landmarks must be set) with the
/// similarity transform onto ArcFace's five reference points, and computes its
/// SFace feature, L2-normalised (compare with the dot product: cosine). When
/// `chip` is not NULL, also writes the 112x112 RGB chip.
wf_status wf_cv_feature(wf_cv_engine *engine, const uint8_t *rgb, int32_t width, int32_t height,
                        int32_t stride, const wf_face *face, float *feature, uint8_t *chip,
                        char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif

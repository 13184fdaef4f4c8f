// The OpenCV side of the second face engine: YuNet (2023mar) and SFace (2021dec)
// on cv::dnn. C++ exceptions (cv::Exception included) never cross the extern "C"
// boundary: every entry point catches them and returns a wf_status.
//
// Why not cv::FaceDetectorYN / cv::FaceRecognizerSF: Debian 12 ships OpenCV 4.6,
// whose FaceDetectorYN decodes the 2022 YuNet's outputs (loc/conf/iou with
// priors), not the 2023 model's anchor-free heads (cls/obj/bbox/kps per stride);
// and 4.6 cannot read the zoo's quantised files at all. So both networks run as
// plain cv::dnn::Net and the decoding and alignment are done here.
#include "CFaceOpenCV.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace {

/// YuNet 2023's three heads: feature-map strides in pixels.
constexpr std::array<int, 3> kStrides{8, 16, 32};
/// The network downsamples five times: input sides must be multiples of 32.
constexpr int kAlign = 32;
/// The smallest side fed to YuNet. OpenCV 4.6 returned NaN heads now and then for a
/// 640x32 input (one row at stride 32): seen as phantom faces on a 2000x1 image scaled
/// down. Two rows at every stride avoid it; real frames are far larger anyway.
constexpr int kMinSide = 2 * kAlign;

/// ArcFace's five reference points in a 112x112 chip (Deng et al., InsightFace), the
/// layout SFace was trained on: right eye, left eye, nose tip, right and left mouth corner.
constexpr std::array<float, 10> kArcFace112{38.2946f, 51.6963f, 73.5318f, 51.5014f, 56.0252f,
                                            71.7366f, 41.5493f, 92.3655f, 70.7299f, 92.2041f};

void fail(char *error, size_t size, const std::string &message) {
    if (error != nullptr && size > 0) std::snprintf(error, size, "%s", message.c_str());
}

/// True when `stride * height` bytes hold a `width` x `height` image of `channels`.
bool plausible(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride, int32_t channels) {
    const bool known = channels == 1 || channels == 3;
    // Beyond 16k a side is a corrupt header, not a camera.
    const bool sized = width > 0 && height > 0 && width <= 16384 && height <= 16384;
    return pixels != nullptr && known && sized &&
           static_cast<int64_t>(stride) >= static_cast<int64_t>(width) * channels;
}

/// The caller's pixels as a 3-channel Mat in `order` (RGB or BGR), converted into `out`.
void to_colour(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride, int32_t channels,
               bool bgr, cv::Mat &out) {
    // The Mat only borrows the caller's buffer for the conversion; nothing writes to it.
    const cv::Mat in(height, width, channels == 3 ? CV_8UC3 : CV_8UC1,
                     const_cast<uint8_t *>(pixels), static_cast<size_t>(stride));
    if (channels == 1) {
        cv::cvtColor(in, out, cv::COLOR_GRAY2BGR);
    } else if (bgr) {
        cv::cvtColor(in, out, cv::COLOR_RGB2BGR);
    } else {
        in.copyTo(out);
    }
}

bool readable(const char *path) {
    std::ifstream in(path, std::ios::binary);
    return in.good();
}

/// One decoded YuNet candidate in network-input pixels.
struct Candidate {
    cv::Rect2f box;
    float score;
    std::array<float, 10> points;
};

/// The least-squares similarity transform (rotation, uniform scale, shift; no
/// reflection) taking `from` onto `to`, five points each: Umeyama's closed form in 2-D.
/// Returns false when the source points coincide.
bool similarity(const std::array<float, 10> &from, const std::array<float, 10> &to, cv::Mat &m) {
    double fx = 0, fy = 0, tx = 0, ty = 0;
    for (int p = 0; p < 5; ++p) {
        fx += from[2 * p]; fy += from[2 * p + 1];
        tx += to[2 * p]; ty += to[2 * p + 1];
    }
    fx /= 5; fy /= 5; tx /= 5; ty /= 5;
    double dot = 0, cross = 0, spread = 0;
    for (int p = 0; p < 5; ++p) {
        const double ax = from[2 * p] - fx, ay = from[2 * p + 1] - fy;
        const double bx = to[2 * p] - tx, by = to[2 * p + 1] - ty;
        dot += ax * bx + ay * by;
        cross += ax * by - ay * bx;
        spread += ax * ax + ay * ay;
    }
    if (!(spread > 1e-6)) return false;
    const double c = dot / spread, s = cross / spread;  // scale * cos, scale * sin
    m = (cv::Mat_<double>(2, 3) << c, -s, tx - (c * fx - s * fy), s, c, ty - (s * fx + c * fy));
    return true;
}

/// Maps a caught exception to a status and message; `what` names the entry point.
wf_status caught(const char *what, char *error, size_t error_size) {
    try {
        throw;
    } catch (const std::bad_alloc &) {
        fail(error, error_size, std::string(what) + ": out of memory");
        return WF_ERR_MEMORY;
    } catch (const std::exception &e) {
        fail(error, error_size, std::string(what) + ": " + e.what());
        return WF_ERR_INTERNAL;
    } catch (...) {
        fail(error, error_size, std::string(what) + ": unknown exception");
        return WF_ERR_INTERNAL;
    }
}

}  // namespace

struct wf_cv_engine {
    cv::dnn::Net yunet;
    cv::dnn::Net sface;
    /// YuNet's outputs in the order decode() reads them.
    std::vector<std::string> heads;
    // Reused buffers: a live camera calls detect 10-30 times a second.
    cv::Mat colour, scaled, padded, chip;
    std::vector<cv::Mat> outputs;

    /// Runs YuNet on `input` (BGR, sides multiples of 32) and appends the faces
    /// scoring at least `threshold`, in `input`'s pixels.
    void decode(const cv::Mat &input, float threshold, std::vector<Candidate> &found) {
        cv::Mat blob = cv::dnn::blobFromImage(input);  // BGR, 0..255, NCHW: as YuNet was trained
        yunet.setInput(blob);
        yunet.forward(outputs, heads);
        for (size_t level = 0; level < kStrides.size(); ++level) {
            const int stride = kStrides[level];
            const int cols = input.cols / stride, rows = input.rows / stride;
            const size_t cells = static_cast<size_t>(cols) * rows;
            const cv::Mat &cls = outputs[level], &obj = outputs[3 + level];
            const cv::Mat &box = outputs[6 + level], &kps = outputs[9 + level];
            if (cls.total() != cells || obj.total() != cells || box.total() != 4 * cells || kps.total() != 10 * cells) {
                throw std::runtime_error("YuNet returned heads of an unexpected size (not the 2023 model?)");
            }
            const float *c = cls.ptr<float>(), *o = obj.ptr<float>();
            const float *b = box.ptr<float>(), *k = kps.ptr<float>();
            for (size_t i = 0; i < cells; ++i) {
                // Both heads end in a sigmoid; the face score is their geometric mean.
                const float score = std::sqrt(std::clamp(c[i], 0.f, 1.f) * std::clamp(o[i], 0.f, 1.f));
                // NaN passes every comparison but `!(x >= t)`: a broken output is never a face.
                if (!(score >= threshold)) continue;
                const float col = static_cast<float>(i % cols), row = static_cast<float>(i / cols);
                // Anchor-free: offsets of the centre from the cell, log-size, in stride units.
                const float *d = b + 4 * i;
                const float cx = (col + d[0]) * stride, cy = (row + d[1]) * stride;
                const float w = std::exp(d[2]) * stride, h = std::exp(d[3]) * stride;
                Candidate f{cv::Rect2f(cx - w / 2, cy - h / 2, w, h), score, {}};
                bool finite = std::isfinite(cx) && std::isfinite(cy) && std::isfinite(w) && std::isfinite(h);
                for (int p = 0; p < 5; ++p) {
                    f.points[2 * p] = (col + k[10 * i + 2 * p]) * stride;
                    f.points[2 * p + 1] = (row + k[10 * i + 2 * p + 1]) * stride;
                    finite = finite && std::isfinite(f.points[2 * p]) && std::isfinite(f.points[2 * p + 1]);
                }
                if (finite) found.push_back(f);
            }
        }
    }
};

extern "C" {

wf_status wf_cv_open(const char *yunet_path, const char *sface_path, wf_cv_engine **out, char *error,
                     size_t error_size) {
    if (out == nullptr || yunet_path == nullptr || sface_path == nullptr) {
        fail(error, error_size, "wf_cv_open: null argument");
        return WF_ERR_ARGUMENT;
    }
    *out = nullptr;
    const char *current = yunet_path;
    try {
        for (const char *path : {yunet_path, sface_path}) {
            if (!readable(path)) {
                fail(error, error_size, std::string("cannot read ") + path);
                return WF_ERR_MODEL;
            }
        }
        auto engine = std::make_unique<wf_cv_engine>();
        engine->yunet = cv::dnn::readNetFromONNX(yunet_path);
        for (const char *kind : {"cls", "obj", "bbox", "kps"}) {
            for (int stride : kStrides) engine->heads.push_back(std::string(kind) + "_" + std::to_string(stride));
        }
        // A dry run on a blank image: a file that parses but is not the 2023 YuNet
        // (the older model, SFace by mistake) fails here, naming the file, not at the first face.
        std::vector<Candidate> none;
        engine->decode(cv::Mat(kMinSide, kMinSide, CV_8UC3, cv::Scalar::all(0)), 2.f, none);

        current = sface_path;
        engine->sface = cv::dnn::readNetFromONNX(sface_path);
        engine->sface.setInput(cv::dnn::blobFromImage(cv::Mat(WF_SFACE_CHIP_SIZE, WF_SFACE_CHIP_SIZE, CV_8UC3,
                                                              cv::Scalar::all(0))));
        if (engine->sface.forward().total() != WF_SFACE_FEATURE_SIZE) {
            fail(error, error_size, std::string(sface_path) + " is not the SFace recogniser (no 128-d output)");
            return WF_ERR_MODEL;
        }
        *out = engine.release();
        return WF_OK;
    } catch (const std::bad_alloc &) {
        fail(error, error_size, "out of memory loading models");
        return WF_ERR_MEMORY;
    } catch (const std::exception &e) {
        fail(error, error_size, std::string(current) + " is corrupt or not the expected ONNX model: " + e.what());
        return WF_ERR_MODEL;
    } catch (...) {
        fail(error, error_size, std::string(current) + " could not be loaded");
        return WF_ERR_MODEL;
    }
}

void wf_cv_close(wf_cv_engine *engine) { delete engine; }

wf_status wf_cv_detect(wf_cv_engine *engine, const uint8_t *pixels, int32_t width, int32_t height,
                       int32_t stride, int32_t channels, int32_t max_side, float score_threshold,
                       float nms_threshold, wf_face *faces, int32_t capacity, int32_t *count,
                       char *error, size_t error_size) {
    if (count != nullptr) *count = 0;
    if (engine == nullptr || count == nullptr || capacity < 0 || (faces == nullptr && capacity > 0)) {
        fail(error, error_size, "wf_cv_detect: null argument");
        return WF_ERR_ARGUMENT;
    }
    if (!plausible(pixels, width, height, stride, channels)) {
        fail(error, error_size, "wf_cv_detect: empty image or inconsistent geometry");
        return WF_ERR_ARGUMENT;
    }
    if (max_side < 0 || max_side > 4096 || (max_side > 0 && max_side < kAlign)) {
        fail(error, error_size, "wf_cv_detect: max_side must be 0 or 32..4096");
        return WF_ERR_ARGUMENT;
    }
    if (!(score_threshold >= 0 && score_threshold <= 1) || !(nms_threshold > 0 && nms_threshold <= 1)) {
        fail(error, error_size, "wf_cv_detect: thresholds must lie in 0..1");
        return WF_ERR_ARGUMENT;
    }
    try {
        to_colour(pixels, width, height, stride, channels, true, engine->colour);
        const int limit = max_side == 0 ? 640 : max_side;
        const double scale = std::min(1.0, static_cast<double>(limit) / std::max(width, height));
        const cv::Mat *input = &engine->colour;
        if (scale < 1) {
            const cv::Size size(std::max(1, static_cast<int>(std::lround(width * scale))),
                                std::max(1, static_cast<int>(std::lround(height * scale))));
            cv::resize(engine->colour, engine->scaled, size, 0, 0, cv::INTER_AREA);
            input = &engine->scaled;
        }
        // Pad right and bottom with black to the next multiple of 32 (at least kMinSide): the
        // image keeps its pixels and origin, so coordinates only need the scale undone.
        const auto padded = [](int side) { return std::max(kMinSide, (side + kAlign - 1) / kAlign * kAlign); };
        const int pw = padded(input->cols), ph = padded(input->rows);
        cv::copyMakeBorder(*input, engine->padded, 0, ph - input->rows, 0, pw - input->cols, cv::BORDER_CONSTANT,
                           cv::Scalar::all(0));
        std::vector<Candidate> found;
        engine->decode(engine->padded, score_threshold, found);

        std::vector<cv::Rect2d> boxes;
        std::vector<float> scores;
        for (const auto &f : found) { boxes.emplace_back(f.box); scores.push_back(f.score); }
        std::vector<int> keep;
        cv::dnn::NMSBoxes(boxes, scores, score_threshold, nms_threshold, keep);
        std::sort(keep.begin(), keep.end(), [&](int a, int b) { return scores[a] > scores[b]; });

        *count = static_cast<int32_t>(keep.size());
        const int32_t n = std::min<int32_t>(capacity, *count);
        const double back = 1 / scale;
        for (int32_t i = 0; i < n; ++i) {
            const Candidate &f = found[keep[i]];
            wf_face &out = faces[i];
            out.left = static_cast<int32_t>(std::lround(f.box.x * back));
            out.top = static_cast<int32_t>(std::lround(f.box.y * back));
            out.width = static_cast<int32_t>(std::lround(f.box.width * back));
            out.height = static_cast<int32_t>(std::lround(f.box.height * back));
            out.confidence = f.score;
            for (int p = 0; p < 10; ++p) out.landmarks[p] = static_cast<float>(f.points[p] * back);
        }
        return WF_OK;
    } catch (...) {
        return caught("wf_cv_detect", error, error_size);
    }
}

wf_status wf_cv_feature(wf_cv_engine *engine, const uint8_t *rgb, int32_t width, int32_t height,
                        int32_t stride, const wf_face *face, float *feature, uint8_t *chip,
                        char *error, size_t error_size) {
    if (engine == nullptr || face == nullptr || feature == nullptr) {
        fail(error, error_size, "wf_cv_feature: null argument");
        return WF_ERR_ARGUMENT;
    }
    if (!plausible(rgb, width, height, stride, 3)) {
        fail(error, error_size, "wf_cv_feature: empty image or inconsistent geometry");
        return WF_ERR_ARGUMENT;
    }
    std::array<float, 10> points{};
    const float reach = 4.0f * static_cast<float>(width + height);
    for (int p = 0; p < 10; ++p) {
        points[p] = face->landmarks[p];
        // Landmarks far outside the image come from a corrupt caller, not a face.
        if (!(std::fabs(points[p]) < reach)) {
            fail(error, error_size, "wf_cv_feature: landmarks outside the image");
            return WF_ERR_ARGUMENT;
        }
    }
    try {
        cv::Mat transform;
        if (!similarity(points, kArcFace112, transform)) {
            fail(error, error_size, "wf_cv_feature: the five landmarks coincide");
            return WF_ERR_ARGUMENT;
        }
        to_colour(rgb, width, height, stride, 3, false, engine->colour);
        cv::warpAffine(engine->colour, engine->chip, transform, cv::Size(WF_SFACE_CHIP_SIZE, WF_SFACE_CHIP_SIZE),
                       cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
        // SFace takes RGB 0..255 (it normalises inside, with its scalar_op inputs).
        engine->sface.setInput(cv::dnn::blobFromImage(engine->chip));
        const cv::Mat values = engine->sface.forward();
        if (values.total() != WF_SFACE_FEATURE_SIZE) {
            fail(error, error_size, "wf_cv_feature: network returned the wrong size");
            return WF_ERR_INTERNAL;
        }
        const float *v = values.ptr<float>();
        double norm = 0;
        for (int i = 0; i < WF_SFACE_FEATURE_SIZE; ++i) norm += static_cast<double>(v[i]) * v[i];
        norm = std::sqrt(norm);
        if (!(norm > 0) || !std::isfinite(norm)) {
            fail(error, error_size, "wf_cv_feature: the network returned a zero or non-finite feature");
            return WF_ERR_INTERNAL;
        }
        for (int i = 0; i < WF_SFACE_FEATURE_SIZE; ++i) feature[i] = static_cast<float>(v[i] / norm);
        if (chip != nullptr) {
            for (int y = 0; y < WF_SFACE_CHIP_SIZE; ++y) {
                std::copy_n(engine->chip.ptr<uint8_t>(y), WF_SFACE_CHIP_SIZE * 3, chip + y * WF_SFACE_CHIP_SIZE * 3);
            }
        }
        return WF_OK;
    } catch (...) {
        return caught("wf_cv_feature", error, error_size);
    }
}

}  // extern "C"

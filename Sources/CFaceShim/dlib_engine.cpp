// The dlib side of CFaceShim. C++ exceptions never cross the extern "C"
// boundary: every entry point catches them and returns a wf_status.
//
// Compile defines come from Debian's /usr/include/dlib/config.h (DLIB_USE_BLAS,
// DLIB_USE_LAPACK, DLIB_JPEG_SUPPORT, DLIB_PNG_SUPPORT, DLIB_DISABLE_ASSERTS),
// so this translation unit agrees with libdlib.so; do not define ENABLE_ASSERTS
// here or the DLIB_CHECK_FOR_VERSION_MISMATCH symbol will not link.
#include "CFaceShim.h"

#include <dlib/dnn.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace {

using namespace dlib;

// dlib's ResNet-29 face descriptor network (dlib_face_recognition_resnet_model_v1),
// spelled as dlib's published network definition; batch norm replaced by affine
// layers for inference.
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using resnet_type = loss_metric<fc_no_bias<128, avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;

// dlib's MMOD CNN face detector (mmod_human_face_detector): the slow fallback.
template <long F, typename SUBNET> using con5d = con<F, 5, 5, 2, 2, SUBNET>;
template <long F, typename SUBNET> using con5 = con<F, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
using mmod_type = loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
    input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

void set_error(char *error, size_t size, const std::string &message) {
    if (error == nullptr || size == 0) return;
    std::snprintf(error, size, "%s", message.c_str());
}

// Checks a pixel buffer's geometry; the caller guarantees `stride * height` bytes.
bool valid_geometry(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride,
                    int32_t channels) {
    if (pixels == nullptr || width <= 0 || height <= 0) return false;
    if (channels != 1 && channels != 3) return false;
    // 16k x 16k is far beyond any camera we drive; larger values are corrupt headers.
    if (width > 16384 || height > 16384) return false;
    return static_cast<int64_t>(stride) >= static_cast<int64_t>(width) * channels;
}

void to_rgb(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride,
            int32_t channels, matrix<rgb_pixel> &out) {
    out.set_size(height, width);
    for (int32_t y = 0; y < height; ++y) {
        const uint8_t *row = pixels + static_cast<size_t>(y) * stride;
        for (int32_t x = 0; x < width; ++x) {
            if (channels == 3) {
                out(y, x) = rgb_pixel(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
            } else {
                out(y, x) = rgb_pixel(row[x], row[x], row[x]);
            }
        }
    }
}

void to_gray(const uint8_t *pixels, int32_t width, int32_t height, int32_t stride,
             int32_t channels, array2d<unsigned char> &out) {
    out.set_size(height, width);
    for (int32_t y = 0; y < height; ++y) {
        const uint8_t *row = pixels + static_cast<size_t>(y) * stride;
        for (int32_t x = 0; x < width; ++x) {
            if (channels == 1) {
                out[y][x] = row[x];
            } else {
                // Same integer luma weights dlib uses when it converts rgb_pixel.
                const unsigned r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
                out[y][x] = static_cast<unsigned char>((r * 77 + g * 150 + b * 29) >> 8);
            }
        }
    }
}

bool readable(const char *path) {
    if (path == nullptr) return false;
    std::ifstream in(path, std::ios::binary);
    return in.good();
}

wf_status export_rgb(const matrix<rgb_pixel> &image, uint8_t **rgb, int32_t *width,
                     int32_t *height) {
    const size_t count = static_cast<size_t>(image.nr()) * image.nc() * 3;
    if (count == 0) return WF_ERR_IMAGE;
    auto *buffer = static_cast<uint8_t *>(std::malloc(count));
    if (buffer == nullptr) return WF_ERR_MEMORY;
    size_t i = 0;
    for (long y = 0; y < image.nr(); ++y) {
        for (long x = 0; x < image.nc(); ++x) {
            const rgb_pixel p = image(y, x);
            buffer[i++] = p.red;
            buffer[i++] = p.green;
            buffer[i++] = p.blue;
        }
    }
    *rgb = buffer;
    *width = static_cast<int32_t>(image.nc());
    *height = static_cast<int32_t>(image.nr());
    return WF_OK;
}

}  // namespace

struct wf_dlib_engine {
    frontal_face_detector hog = get_frontal_face_detector();
    shape_predictor landmarks;
    resnet_type resnet;
    std::unique_ptr<mmod_type> mmod;
    // Reused buffers: a live camera calls detect 10-30 times a second.
    array2d<unsigned char> gray;
    matrix<rgb_pixel> rgb;
};

extern "C" {

wf_status wf_dlib_open(const char *shape_predictor_path, const char *resnet_path,
                       const char *mmod_path, wf_dlib_engine **out, char *error,
                       size_t error_size) {
    if (out == nullptr || shape_predictor_path == nullptr || resnet_path == nullptr) {
        set_error(error, error_size, "wf_dlib_open: null argument");
        return WF_ERR_ARGUMENT;
    }
    *out = nullptr;
    const char *current = shape_predictor_path;
    try {
        auto engine = std::make_unique<wf_dlib_engine>();
        for (const char *path : {shape_predictor_path, resnet_path, mmod_path}) {
            if (path != nullptr && !readable(path)) {
                set_error(error, error_size, std::string("cannot read ") + path);
                return WF_ERR_MODEL;
            }
        }
        current = shape_predictor_path;
        deserialize(shape_predictor_path) >> engine->landmarks;
        if (engine->landmarks.num_parts() != 5) {
            set_error(error, error_size, std::string(shape_predictor_path) +
                      " is not the 5-point landmark model");
            return WF_ERR_MODEL;
        }
        current = resnet_path;
        deserialize(resnet_path) >> engine->resnet;
        if (mmod_path != nullptr) {
            current = mmod_path;
            engine->mmod = std::make_unique<mmod_type>();
            deserialize(mmod_path) >> *engine->mmod;
        }
        *out = engine.release();
        return WF_OK;
    } catch (const std::bad_alloc &) {
        set_error(error, error_size, "out of memory loading models");
        return WF_ERR_MEMORY;
    } catch (const std::exception &e) {
        set_error(error, error_size, std::string(current) + " is corrupt or not a dlib model: " + e.what());
        return WF_ERR_MODEL;
    } catch (...) {
        set_error(error, error_size, std::string(current) + " could not be loaded");
        return WF_ERR_MODEL;
    }
}

void wf_dlib_close(wf_dlib_engine *engine) { delete engine; }

wf_status wf_dlib_detect(wf_dlib_engine *engine, const uint8_t *pixels, int32_t width,
                         int32_t height, int32_t stride, int32_t channels, int32_t upsample,
                         int32_t use_cnn, wf_face *faces, int32_t capacity, int32_t *count,
                         char *error, size_t error_size) {
    if (count != nullptr) *count = 0;
    if (engine == nullptr || count == nullptr || (faces == nullptr && capacity > 0) || capacity < 0) {
        set_error(error, error_size, "wf_dlib_detect: null argument");
        return WF_ERR_ARGUMENT;
    }
    if (!valid_geometry(pixels, width, height, stride, channels)) {
        set_error(error, error_size, "wf_dlib_detect: empty image or inconsistent geometry");
        return WF_ERR_ARGUMENT;
    }
    if (upsample < 0 || upsample > 2) {
        set_error(error, error_size, "wf_dlib_detect: upsample must be 0, 1 or 2");
        return WF_ERR_ARGUMENT;
    }
    if (use_cnn && !engine->mmod) {
        set_error(error, error_size, "wf_dlib_detect: the CNN detector was not loaded");
        return WF_ERR_MODEL;
    }
    try {
        std::vector<std::pair<rectangle, double>> found;
        to_gray(pixels, width, height, stride, channels, engine->gray);
        if (use_cnn) {
            to_rgb(pixels, width, height, stride, channels, engine->rgb);
            matrix<rgb_pixel> image = engine->rgb;
            double scale = 1;
            for (int i = 0; i < upsample; ++i) { pyramid_up(image); scale *= 2; }
            for (const auto &d : (*engine->mmod)(image)) {
                const rectangle &r = d.rect;
                found.emplace_back(rectangle(std::lround(r.left() / scale), std::lround(r.top() / scale),
                                             std::lround(r.right() / scale), std::lround(r.bottom() / scale)),
                                   d.detection_confidence);
            }
        } else {
            // HOG on the colour image: dlib's fHOG then takes, per pixel, the channel with
            // the strongest gradient. On grey, a face whose skin and background differ in
            // colour more than in brightness loses its outline; UTKFace showed darker faces
            // missed most often that way.
            to_rgb(pixels, width, height, stride, channels, engine->rgb);
            std::vector<rect_detection> dets;
            if (upsample == 0) {
                engine->hog(engine->rgb, dets);
            } else {
                matrix<rgb_pixel> big = engine->rgb;
                double scale = 1;
                for (int i = 0; i < upsample; ++i) { pyramid_up(big); scale *= 2; }
                engine->hog(big, dets);
                for (auto &d : dets) {
                    const rectangle &r = d.rect;
                    d.rect = rectangle(std::lround(r.left() / scale), std::lround(r.top() / scale),
                                       std::lround(r.right() / scale), std::lround(r.bottom() / scale));
                }
            }
            for (const auto &d : dets) found.emplace_back(d.rect, d.detection_confidence);
        }
        *count = static_cast<int32_t>(found.size());
        const int32_t n = std::min<int32_t>(capacity, *count);
        for (int32_t i = 0; i < n; ++i) {
            const rectangle &r = found[i].first;
            wf_face &f = faces[i];
            f.left = static_cast<int32_t>(r.left());
            f.top = static_cast<int32_t>(r.top());
            f.width = static_cast<int32_t>(r.width());
            f.height = static_cast<int32_t>(r.height());
            f.confidence = found[i].second;
            const full_object_detection shape = engine->landmarks(engine->gray, r);
            for (unsigned long p = 0; p < 5 && p < shape.num_parts(); ++p) {
                f.landmarks[2 * p] = static_cast<float>(shape.part(p).x());
                f.landmarks[2 * p + 1] = static_cast<float>(shape.part(p).y());
            }
        }
        return WF_OK;
    } catch (const std::bad_alloc &) {
        set_error(error, error_size, "wf_dlib_detect: out of memory");
        return WF_ERR_MEMORY;
    } catch (const std::exception &e) {
        set_error(error, error_size, std::string("wf_dlib_detect: ") + e.what());
        return WF_ERR_INTERNAL;
    } catch (...) {
        set_error(error, error_size, "wf_dlib_detect: unknown exception");
        return WF_ERR_INTERNAL;
    }
}

wf_status wf_dlib_descriptor(wf_dlib_engine *engine, const uint8_t *rgb, int32_t width,
                             int32_t height, int32_t stride, const wf_face *face,
                             float *descriptor, uint8_t *chip, char *error, size_t error_size) {
    if (engine == nullptr || face == nullptr || descriptor == nullptr) {
        set_error(error, error_size, "wf_dlib_descriptor: null argument");
        return WF_ERR_ARGUMENT;
    }
    if (!valid_geometry(rgb, width, height, stride, 3)) {
        set_error(error, error_size, "wf_dlib_descriptor: empty image or inconsistent geometry");
        return WF_ERR_ARGUMENT;
    }
    if (face->width <= 0 || face->height <= 0) {
        set_error(error, error_size, "wf_dlib_descriptor: empty face box");
        return WF_ERR_ARGUMENT;
    }
    for (float v : face->landmarks) {
        // Landmarks far outside the image come from a corrupt caller, not a face.
        if (!(v > -4.0f * (width + height) && v < 5.0f * (width + height))) {
            set_error(error, error_size, "wf_dlib_descriptor: landmarks outside the image");
            return WF_ERR_ARGUMENT;
        }
    }
    try {
        to_rgb(rgb, width, height, stride, 3, engine->rgb);
        const rectangle box(face->left, face->top, face->left + face->width - 1,
                            face->top + face->height - 1);
        std::vector<point> parts;
        for (int p = 0; p < 5; ++p) {
            parts.emplace_back(std::lround(face->landmarks[2 * p]), std::lround(face->landmarks[2 * p + 1]));
        }
        const full_object_detection shape(box, parts);
        // 0.25 padding: the setting the ResNet model was trained with.
        matrix<rgb_pixel> face_chip;
        extract_image_chip(engine->rgb, get_face_chip_details(shape, WF_DLIB_CHIP_SIZE, 0.25), face_chip);
        const matrix<float, 0, 1> values = engine->resnet(face_chip);
        if (values.size() != WF_DLIB_DESCRIPTOR_SIZE) {
            set_error(error, error_size, "wf_dlib_descriptor: network returned the wrong size");
            return WF_ERR_INTERNAL;
        }
        for (long i = 0; i < values.size(); ++i) descriptor[i] = values(i);
        if (chip != nullptr) {
            size_t k = 0;
            for (long y = 0; y < face_chip.nr(); ++y)
                for (long x = 0; x < face_chip.nc(); ++x) {
                    chip[k++] = face_chip(y, x).red;
                    chip[k++] = face_chip(y, x).green;
                    chip[k++] = face_chip(y, x).blue;
                }
        }
        return WF_OK;
    } catch (const std::bad_alloc &) {
        set_error(error, error_size, "wf_dlib_descriptor: out of memory");
        return WF_ERR_MEMORY;
    } catch (const std::exception &e) {
        set_error(error, error_size, std::string("wf_dlib_descriptor: ") + e.what());
        return WF_ERR_INTERNAL;
    } catch (...) {
        set_error(error, error_size, "wf_dlib_descriptor: unknown exception");
        return WF_ERR_INTERNAL;
    }
}

wf_status wf_load_image_rgb(const char *path, uint8_t **rgb, int32_t *width, int32_t *height,
                            char *error, size_t error_size) {
    if (path == nullptr || rgb == nullptr || width == nullptr || height == nullptr) {
        set_error(error, error_size, "wf_load_image_rgb: null argument");
        return WF_ERR_ARGUMENT;
    }
    *rgb = nullptr;
    try {
        matrix<rgb_pixel> image;
        load_image(image, path);
        const wf_status s = export_rgb(image, rgb, width, height);
        if (s != WF_OK) set_error(error, error_size, std::string(path) + ": empty image");
        return s;
    } catch (const std::bad_alloc &) {
        set_error(error, error_size, "wf_load_image_rgb: out of memory");
        return WF_ERR_MEMORY;
    } catch (const std::exception &e) {
        set_error(error, error_size, std::string(path) + ": " + e.what());
        return WF_ERR_IMAGE;
    } catch (...) {
        set_error(error, error_size, std::string(path) + ": cannot decode");
        return WF_ERR_IMAGE;
    }
}

wf_status wf_decode_jpeg_rgb(const uint8_t *data, size_t size, uint8_t **rgb, int32_t *width,
                             int32_t *height, char *error, size_t error_size) {
    if (data == nullptr || size == 0 || rgb == nullptr || width == nullptr || height == nullptr) {
        set_error(error, error_size, "wf_decode_jpeg_rgb: empty input");
        return WF_ERR_ARGUMENT;
    }
    *rgb = nullptr;
    try {
        matrix<rgb_pixel> image;
        load_jpeg(image, data, size);
        return export_rgb(image, rgb, width, height);
    } catch (const std::exception &e) {
        set_error(error, error_size, std::string("wf_decode_jpeg_rgb: ") + e.what());
        return WF_ERR_IMAGE;
    } catch (...) {
        set_error(error, error_size, "wf_decode_jpeg_rgb: cannot decode");
        return WF_ERR_IMAGE;
    }
}

void wf_free(void *pointer) { std::free(pointer); }

}  // extern "C"

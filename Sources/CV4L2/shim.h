// V4L2 through libv4l2 (v4l-utils), for Swift.
//
// Why a shim: every VIDIOC_* request is a function-like macro (_IOWR) and
// several V4L2 structs carry unions, neither of which Swift imports well.
// Each wrapper below makes exactly one v4l2_ioctl() and returns its result
// (-1 with errno set on failure); retrying EINTR/EAGAIN and naming the ioctl
// in errors is done once, on the Swift side (V4L2Call).
//
// libv4l2 (v4l2_open/v4l2_ioctl/v4l2_mmap) passes native formats through and
// converts the rest (vendor Bayer, JPEG, ...) to RGB24 in user space.
#ifndef WAYSIDE_CV4L2_SHIM_H
#define WAYSIDE_CV4L2_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <libv4l2.h>

// Control ids and values Swift cannot import (macros built from other macros).
static const uint32_t WV_CID_BRIGHTNESS = V4L2_CID_BRIGHTNESS;
static const uint32_t WV_CID_CONTRAST = V4L2_CID_CONTRAST;
static const uint32_t WV_CID_SATURATION = V4L2_CID_SATURATION;
static const uint32_t WV_CID_AUTO_WHITE_BALANCE = V4L2_CID_AUTO_WHITE_BALANCE;
static const uint32_t WV_CID_WHITE_BALANCE_TEMPERATURE = V4L2_CID_WHITE_BALANCE_TEMPERATURE;
static const uint32_t WV_CID_AUTOGAIN = V4L2_CID_AUTOGAIN;
static const uint32_t WV_CID_GAIN = V4L2_CID_GAIN;
static const uint32_t WV_CID_EXPOSURE = V4L2_CID_EXPOSURE;
static const uint32_t WV_CID_EXPOSURE_AUTO = V4L2_CID_EXPOSURE_AUTO;
static const uint32_t WV_CID_EXPOSURE_ABSOLUTE = V4L2_CID_EXPOSURE_ABSOLUTE;
static const int32_t WV_EXPOSURE_MANUAL = V4L2_EXPOSURE_MANUAL;
static const int32_t WV_EXPOSURE_AUTO = V4L2_EXPOSURE_AUTO;
static const uint32_t WV_CTRL_FLAG_DISABLED = V4L2_CTRL_FLAG_DISABLED;
static const uint32_t WV_CTRL_FLAG_INACTIVE = V4L2_CTRL_FLAG_INACTIVE;
static const uint32_t WV_CTRL_FLAG_READ_ONLY = V4L2_CTRL_FLAG_READ_ONLY;
static const uint32_t WV_CTRL_TYPE_INTEGER = V4L2_CTRL_TYPE_INTEGER;
static const uint32_t WV_CTRL_TYPE_BOOLEAN = V4L2_CTRL_TYPE_BOOLEAN;
static const uint32_t WV_CTRL_TYPE_MENU = V4L2_CTRL_TYPE_MENU;
static const uint32_t WV_CTRL_TYPE_CTRL_CLASS = V4L2_CTRL_TYPE_CTRL_CLASS;
static const uint32_t WV_CAP_VIDEO_CAPTURE = V4L2_CAP_VIDEO_CAPTURE;
static const uint32_t WV_CAP_STREAMING = V4L2_CAP_STREAMING;
static const uint32_t WV_CAP_DEVICE_CAPS = V4L2_CAP_DEVICE_CAPS;
static const uint32_t WV_BUF_FLAG_ERROR = V4L2_BUF_FLAG_ERROR;
static const uint32_t WV_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const uint32_t WV_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const uint32_t WV_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
static const uint32_t WV_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;
static const uint32_t WV_PIX_FMT_GREY = V4L2_PIX_FMT_GREY;

/// open(2) through libv4l2: O_RDWR | O_NONBLOCK | O_CLOEXEC.
static inline int wv_open(const char *path) {
    return v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

/// close(2) through libv4l2.
static inline int wv_close(int fd) { return v4l2_close(fd); }

/// VIDIOC_QUERYCAP: driver, card, bus and the capabilities of this node.
static inline int wv_querycap(int fd, struct v4l2_capability *cap) {
    memset(cap, 0, sizeof *cap);
    return v4l2_ioctl(fd, VIDIOC_QUERYCAP, cap);
}

/// VIDIOC_ENUM_FMT for video capture: the index-th pixel format.
static inline int wv_enum_fmt(int fd, uint32_t index, uint32_t *fourcc, uint32_t *flags, char description[32]) {
    struct v4l2_fmtdesc d;
    memset(&d, 0, sizeof d);
    d.index = index;
    d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    int r = v4l2_ioctl(fd, VIDIOC_ENUM_FMT, &d);
    if (r == 0) {
        *fourcc = d.pixelformat;
        *flags = d.flags;
        memcpy(description, d.description, 32);
        description[31] = 0;
    }
    return r;
}

/// VIDIOC_ENUM_FRAMESIZES: kind 1 discrete (w x h), 2 continuous / 3 stepwise (ranges).
static inline int wv_enum_framesize(int fd, uint32_t fourcc, uint32_t index, uint32_t *kind,
                                    uint32_t *w, uint32_t *h, uint32_t *maxw, uint32_t *maxh,
                                    uint32_t *stepw, uint32_t *steph) {
    struct v4l2_frmsizeenum s;
    memset(&s, 0, sizeof s);
    s.index = index;
    s.pixel_format = fourcc;
    int r = v4l2_ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &s);
    if (r == 0) {
        *kind = s.type;
        if (s.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
            *w = *maxw = s.discrete.width;
            *h = *maxh = s.discrete.height;
            *stepw = *steph = 1;
        } else {
            *w = s.stepwise.min_width; *h = s.stepwise.min_height;
            *maxw = s.stepwise.max_width; *maxh = s.stepwise.max_height;
            *stepw = s.stepwise.step_width; *steph = s.stepwise.step_height;
        }
    }
    return r;
}

/// VIDIOC_ENUM_FRAMEINTERVALS: the index-th interval (discrete) or the fastest one (ranges).
static inline int wv_enum_frameinterval(int fd, uint32_t fourcc, uint32_t w, uint32_t h, uint32_t index,
                                        uint32_t *numerator, uint32_t *denominator) {
    struct v4l2_frmivalenum i;
    memset(&i, 0, sizeof i);
    i.index = index;
    i.pixel_format = fourcc;
    i.width = w;
    i.height = h;
    int r = v4l2_ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &i);
    if (r == 0) {
        if (i.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            *numerator = i.discrete.numerator; *denominator = i.discrete.denominator;
        } else {
            *numerator = i.stepwise.min.numerator; *denominator = i.stepwise.min.denominator;
        }
    }
    return r;
}

/// VIDIOC_S_FMT for video capture (progressive); the driver writes back what it chose.
static inline int wv_s_fmt(int fd, uint32_t *w, uint32_t *h, uint32_t *fourcc,
                           uint32_t *bytesperline, uint32_t *sizeimage) {
    struct v4l2_format f;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.width = *w;
    f.fmt.pix.height = *h;
    f.fmt.pix.pixelformat = *fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    int r = v4l2_ioctl(fd, VIDIOC_S_FMT, &f);
    if (r == 0) {
        *w = f.fmt.pix.width; *h = f.fmt.pix.height; *fourcc = f.fmt.pix.pixelformat;
        *bytesperline = f.fmt.pix.bytesperline; *sizeimage = f.fmt.pix.sizeimage;
    }
    return r;
}

/// VIDIOC_S_PARM: asks for numerator/denominator seconds per frame; writes back the result.
static inline int wv_s_parm(int fd, uint32_t *numerator, uint32_t *denominator) {
    struct v4l2_streamparm p;
    memset(&p, 0, sizeof p);
    p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    p.parm.capture.timeperframe.numerator = *numerator;
    p.parm.capture.timeperframe.denominator = *denominator;
    int r = v4l2_ioctl(fd, VIDIOC_S_PARM, &p);
    if (r == 0) {
        *numerator = p.parm.capture.timeperframe.numerator;
        *denominator = p.parm.capture.timeperframe.denominator;
    }
    return r;
}

/// VIDIOC_REQBUFS with mmap memory; the driver writes back how many it made (0 frees them).
static inline int wv_reqbufs(int fd, uint32_t *count) {
    struct v4l2_requestbuffers q;
    memset(&q, 0, sizeof q);
    q.count = *count;
    q.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    q.memory = V4L2_MEMORY_MMAP;
    int r = v4l2_ioctl(fd, VIDIOC_REQBUFS, &q);
    if (r == 0) *count = q.count;
    return r;
}

/// VIDIOC_QUERYBUF: length and mmap offset of buffer `index`.
static inline int wv_querybuf(int fd, uint32_t index, uint32_t *length, uint32_t *offset) {
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    b.index = index;
    int r = v4l2_ioctl(fd, VIDIOC_QUERYBUF, &b);
    if (r == 0) { *length = b.length; *offset = b.m.offset; }
    return r;
}

/// mmap(2) of one capture buffer through libv4l2 (which may hand out a converted copy).
static inline void *wv_mmap(int fd, uint32_t length, uint32_t offset) {
    return v4l2_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (int64_t)offset);
}

/// munmap(2) through libv4l2.
static inline int wv_munmap(void *start, uint32_t length) { return v4l2_munmap(start, length); }

/// MAP_FAILED, which Swift cannot import ((void *)-1).
static inline int wv_is_map_failed(void *p) { return p == MAP_FAILED; }

/// VIDIOC_QBUF: hands buffer `index` back to the driver.
static inline int wv_qbuf(int fd, uint32_t index) {
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    b.index = index;
    return v4l2_ioctl(fd, VIDIOC_QBUF, &b);
}

/// What VIDIOC_DQBUF says about a filled buffer.
struct wv_dequeued {
    uint32_t index;
    uint32_t bytesused;
    uint32_t flags;
    uint32_t sequence;
    int64_t seconds;
    int64_t microseconds;
};

/// VIDIOC_DQBUF: takes the oldest filled buffer (EAGAIN when none is ready: O_NONBLOCK).
static inline int wv_dqbuf(int fd, struct wv_dequeued *out) {
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    int r = v4l2_ioctl(fd, VIDIOC_DQBUF, &b);
    if (r == 0) {
        out->index = b.index;
        out->bytesused = b.bytesused;
        out->flags = b.flags;
        out->sequence = b.sequence;
        out->seconds = (int64_t)b.timestamp.tv_sec;
        out->microseconds = (int64_t)b.timestamp.tv_usec;
    }
    return r;
}

/// VIDIOC_STREAMON / VIDIOC_STREAMOFF for video capture.
static inline int wv_stream(int fd, int on) {
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    return v4l2_ioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);
}

/// VIDIOC_QUERYCTRL with V4L2_CTRL_FLAG_NEXT_CTRL: the control after `*id` (start with 0).
static inline int wv_queryctrl_next(int fd, uint32_t after, struct v4l2_queryctrl *q) {
    memset(q, 0, sizeof *q);
    q->id = after | V4L2_CTRL_FLAG_NEXT_CTRL;
    return v4l2_ioctl(fd, VIDIOC_QUERYCTRL, q);
}

/// VIDIOC_G_CTRL.
static inline int wv_g_ctrl(int fd, uint32_t id, int32_t *value) {
    struct v4l2_control c = { .id = id, .value = 0 };
    int r = v4l2_ioctl(fd, VIDIOC_G_CTRL, &c);
    if (r == 0) *value = c.value;
    return r;
}

/// VIDIOC_S_CTRL.
static inline int wv_s_ctrl(int fd, uint32_t id, int32_t value) {
    struct v4l2_control c = { .id = id, .value = value };
    return v4l2_ioctl(fd, VIDIOC_S_CTRL, &c);
}

/// poll(2) on the device and a wake-up pipe: 1 frame ready, 2 woken, 0 timeout,
/// -1 error (errno), -2 the device reported POLLERR/POLLHUP (gone or not streaming).
static inline int wv_poll(int fd, int wakefd, int timeout_ms) {
    struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = wakefd, .events = POLLIN } };
    int r = poll(p, wakefd >= 0 ? 2 : 1, timeout_ms);
    if (r <= 0) return r;
    if (wakefd >= 0 && (p[1].revents & POLLIN)) return 2;
    if (p[0].revents & POLLIN) return 1;
    if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return -2;
    return 0;
}

/// The errno of the last failed call on this thread (Swift's errno is awkward across modules).
static inline int wv_errno(void) { return errno; }
#endif

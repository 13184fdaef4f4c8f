/// A four-character code naming a V4L2 pixel format (V4L2_PIX_FMT_*).
public struct FourCC: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The code of four ASCII characters, e.g. "YUYV".
    public init(_ text: String) {
        var value: UInt32 = 0
        for (index, byte) in text.utf8.prefix(4).enumerated() { value |= UInt32(byte) << (8 * UInt32(index)) }
        rawValue = value
    }

    /// Packed YUV 4:2:2 (V4L2_PIX_FMT_YUYV).
    public static let yuyv = FourCC("YUYV")
    /// Motion JPEG (V4L2_PIX_FMT_MJPEG).
    public static let mjpeg = FourCC("MJPG")
    /// JPEG (V4L2_PIX_FMT_JPEG), which some webcams report instead of MJPG.
    public static let jpeg = FourCC("JPEG")
    /// RGB 8-8-8 (V4L2_PIX_FMT_RGB24); what libv4l2 converts other formats to.
    public static let rgb24 = FourCC("RGB3")
    /// 8-bit luma (V4L2_PIX_FMT_GREY).
    public static let grey = FourCC("GREY")

    public var description: String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: rawValue >> (8 * $0)) }, as: UTF8.self)
    }

    /// The ``PixelFormat`` of frames in this format, nil for formats Wayside does not use.
    public var pixelFormat: PixelFormat? {
        switch self {
        case .yuyv: .yuyv
        case .mjpeg, .jpeg: .mjpeg
        case .rgb24: .rgb24
        case .grey: .gray8
        default: nil
        }
    }
}

import WaysideCore

/// What VIDIOC_QUERYCAP says about a device node.
public struct V4L2Capabilities: Sendable, Equatable {
    public var driver: String
    public var card: String
    public var busInfo: String
    /// The node's capabilities (device_caps when the driver sets it, else capabilities).
    public var deviceCaps: UInt32
    /// V4L2_CAP_VIDEO_CAPTURE.
    public var canCapture: Bool { deviceCaps & 0x0000_0001 != 0 }
    /// V4L2_CAP_STREAMING.
    public var canStream: Bool { deviceCaps & 0x0400_0000 != 0 }

    public init(driver: String, card: String, busInfo: String, deviceCaps: UInt32) {
        self.driver = driver
        self.card = card
        self.busInfo = busInfo
        self.deviceCaps = deviceCaps
    }
}

/// One capture format a device offers (VIDIOC_ENUM_FMT), with its sizes and rates.
public struct V4L2FormatDescription: Sendable, Equatable {
    public var fourcc: FourCC
    public var description: String
    /// True when libv4l2 makes this format by converting another (V4L2_FMT_FLAG_EMULATED).
    public var emulated: Bool
    /// Sizes from VIDIOC_ENUM_FRAMESIZES.
    public var sizes: [V4L2FrameSize]

    public init(fourcc: FourCC, description: String, emulated: Bool = false, sizes: [V4L2FrameSize]) {
        self.fourcc = fourcc
        self.description = description
        self.emulated = emulated
        self.sizes = sizes
    }
}

/// A frame size: discrete (min == max) or a stepwise range.
public struct V4L2FrameSize: Sendable, Equatable {
    public var minWidth: Int
    public var minHeight: Int
    public var maxWidth: Int
    public var maxHeight: Int
    public var stepWidth: Int
    public var stepHeight: Int
    /// Frame rates (frames per second) at this size, fastest first; empty when not enumerated.
    public var framesPerSecond: [Double]

    /// One discrete size.
    public init(width: Int, height: Int, framesPerSecond: [Double] = []) {
        (minWidth, minHeight, maxWidth, maxHeight, stepWidth, stepHeight) = (width, height, width, height, 1, 1)
        self.framesPerSecond = framesPerSecond
    }

    /// A stepwise or continuous range.
    public init(minWidth: Int, minHeight: Int, maxWidth: Int, maxHeight: Int, stepWidth: Int, stepHeight: Int,
                framesPerSecond: [Double] = []) {
        (self.minWidth, self.minHeight, self.maxWidth, self.maxHeight) = (minWidth, minHeight, maxWidth, maxHeight)
        (self.stepWidth, self.stepHeight) = (max(1, stepWidth), max(1, stepHeight))
        self.framesPerSecond = framesPerSecond
    }

    public var isDiscrete: Bool { minWidth == maxWidth && minHeight == maxHeight }

    /// The size of this entry nearest to `width` x `height`.
    public func nearest(width: Int, height: Int) -> (width: Int, height: Int) {
        func snap(_ value: Int, _ low: Int, _ high: Int, _ step: Int) -> Int {
            let clamped = min(max(value, low), high)
            return low + (clamped - low) / step * step
        }
        return (snap(width, minWidth, maxWidth, stepWidth), snap(height, minHeight, maxHeight, stepHeight))
    }
}

/// The format a device agreed to (VIDIOC_S_FMT's answer).
public struct V4L2ActiveFormat: Sendable, Equatable {
    public var fourcc: FourCC
    public var width: Int
    public var height: Int
    public var bytesPerRow: Int
    public var imageSize: Int

    public init(fourcc: FourCC, width: Int, height: Int, bytesPerRow: Int, imageSize: Int) {
        self.fourcc = fourcc
        self.width = width
        self.height = height
        self.bytesPerRow = bytesPerRow
        self.imageSize = imageSize
    }
}

/// A filled buffer taken from the driver (VIDIOC_DQBUF).
public struct V4L2DequeuedBuffer: Sendable, Equatable {
    public var index: Int
    public var bytesUsed: Int
    /// The driver's frame counter; a jump means the driver dropped frames.
    public var sequence: UInt32
    /// Capture time on CLOCK_MONOTONIC.
    public var timestamp: Duration
    /// V4L2_BUF_FLAG_ERROR: the driver says the data is damaged.
    public var damaged: Bool

    public init(index: Int, bytesUsed: Int, sequence: UInt32, timestamp: Duration, damaged: Bool = false) {
        self.index = index
        self.bytesUsed = bytesUsed
        self.sequence = sequence
        self.timestamp = timestamp
        self.damaged = damaged
    }
}

/// A control a device offers (VIDIOC_QUERYCTRL).
public struct V4L2ControlInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case integer, boolean, menu, other }
    /// The control id (V4L2_CID_*).
    public var id: UInt32
    public var name: String
    public var kind: Kind
    public var minimum: Int32
    public var maximum: Int32
    public var step: Int32
    public var defaultValue: Int32
    /// False when the driver marks the control disabled, inactive or read-only.
    public var writable: Bool

    public init(id: UInt32, name: String, kind: Kind, minimum: Int32, maximum: Int32, step: Int32,
                defaultValue: Int32, writable: Bool = true) {
        self.id = id
        self.name = name
        self.kind = kind
        self.minimum = minimum
        self.maximum = maximum
        self.step = step
        self.defaultValue = defaultValue
        self.writable = writable
    }

    /// `value` clamped to the range and snapped to the step.
    public func clamp(_ value: Int32) -> Int32 {
        let clamped = min(max(value, minimum), maximum)
        let step = max(1, step)
        return minimum + (clamped - minimum) / step * step
    }
}

/// The V4L2 control ids Wayside uses (values from linux/v4l2-controls.h, part of the kernel ABI).
public enum V4L2ControlID {
    public static let brightness: UInt32 = 0x0098_0900
    public static let contrast: UInt32 = 0x0098_0901
    public static let autoWhiteBalance: UInt32 = 0x0098_090C
    public static let autoGain: UInt32 = 0x0098_0912
    public static let gain: UInt32 = 0x0098_0913
    /// V4L2_CID_EXPOSURE (driver units; older sensors).
    public static let exposure: UInt32 = 0x0098_0911
    public static let whiteBalanceTemperature: UInt32 = 0x0098_091A
    /// V4L2_CID_EXPOSURE_AUTO: 0 auto, 1 manual, 2 shutter priority, 3 aperture priority.
    public static let exposureAuto: UInt32 = 0x009A_0901
    /// V4L2_CID_EXPOSURE_ABSOLUTE, in 100 µs units (UVC).
    public static let exposureAbsolute: UInt32 = 0x009A_0902
    /// V4L2_EXPOSURE_MANUAL.
    public static let exposureManual: Int32 = 1
}

/// What waiting for a frame came to.
public enum V4L2WaitResult: Sendable, Equatable {
    /// A buffer can be dequeued.
    case ready
    /// Nothing within the timeout.
    case timedOut
    /// ``PipeWakeup/wake()`` was called (shutdown or a control request).
    case woken
}

/// The calls a capture session makes on a device: the seam between ``V4L2Camera`` and
/// the kernel. ``LibV4L2Device`` makes them through libv4l2; tests pass a fake that plays
/// the faults a real camera shows (ENODEV, EBUSY, stalls, damaged frames).
///
/// Used from one thread at a time (the capture thread); every method may throw a
/// ``V4L2Error`` naming the ioctl and errno.
public protocol V4L2DeviceIO: AnyObject {
    /// VIDIOC_QUERYCAP.
    func capabilities() throws(V4L2Error) -> V4L2Capabilities
    /// VIDIOC_ENUM_FMT, VIDIOC_ENUM_FRAMESIZES and VIDIOC_ENUM_FRAMEINTERVALS.
    func formats() throws(V4L2Error) -> [V4L2FormatDescription]
    /// VIDIOC_S_FMT; returns what the driver chose.
    func setFormat(_ fourcc: FourCC, width: Int, height: Int) throws(V4L2Error) -> V4L2ActiveFormat
    /// VIDIOC_S_PARM; returns the frame rate the driver chose, nil when it cannot say.
    func setFrameRate(_ framesPerSecond: Int) throws(V4L2Error) -> Double?
    /// VIDIOC_REQBUFS, VIDIOC_QUERYBUF and mmap for `count` buffers; returns how many were made.
    func mapBuffers(count: Int) throws(V4L2Error) -> Int
    /// VIDIOC_QBUF.
    func enqueue(_ index: Int) throws(V4L2Error)
    /// VIDIOC_STREAMON.
    func streamOn() throws(V4L2Error)
    /// VIDIOC_STREAMOFF, then unmaps and frees the buffers; never throws (shutdown path).
    func streamOff()
    /// poll(2) on the device and the wake-up pipe.
    func wait(timeout: Duration) throws(V4L2Error) -> V4L2WaitResult
    /// VIDIOC_DQBUF.
    func dequeue() throws(V4L2Error) -> V4L2DequeuedBuffer
    /// Lends the first `count` bytes of mapped buffer `index` to `body`.
    func withBuffer<R>(_ index: Int, count: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R
    /// VIDIOC_QUERYCTRL over all controls.
    func controls() throws(V4L2Error) -> [V4L2ControlInfo]
    /// VIDIOC_G_CTRL.
    func control(_ id: UInt32) throws(V4L2Error) -> Int32
    /// VIDIOC_S_CTRL.
    func setControl(_ id: UInt32, to value: Int32) throws(V4L2Error)
}

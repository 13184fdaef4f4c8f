/// What a ``FrameSource`` yields: pictures, and the device's changes of health.
public enum FrameEvent: Sendable, Equatable {
    /// A new frame; a slow consumer sees only the newest.
    case frame(Frame)
    /// The device faulted; the source keeps retrying with back-off.
    case fault(DeviceFault)
    /// The device works again after a fault.
    case recovered
}

/// A camera, or anything that stands in for one (an image folder, a video file).
///
/// Implementations open the device when ``events()`` is iterated and close it when
/// the iteration ends (the task is cancelled). Faults never end the sequence: they
/// are reported as ``FrameEvent/fault(_:)`` while the source retries, so the kiosk
/// can show "camera unavailable" and carry on when it returns.
public protocol FrameSource: Sendable {
    /// A name for logs and screens, e.g. "/dev/video0" or "images: demo".
    var name: String { get }
    /// Frames and faults until the consuming task is cancelled (or, for a finite
    /// source such as an image folder played once, until it runs out).
    func events() -> AsyncStream<FrameEvent>
}

/// A camera whose exposure can be metered on a region (the face) instead of the whole frame.
///
/// Most capture failures on darker skin start with a camera that exposes for a bright
/// background; metering on the face box fixes that at the source.
public protocol ExposureMetering: Sendable {
    /// Adjusts exposure and gain so that `region` of `frame` is well exposed.
    func meter(on region: PixelRect, of frame: Frame) async
}

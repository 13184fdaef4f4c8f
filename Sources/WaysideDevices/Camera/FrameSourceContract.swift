import WaysideCore

/// The behaviour every ``FrameSource`` owes the kiosk, checked the same way against the
/// stand-ins (on the host), ``V4L2Camera`` with a fake device (in unit tests) and
/// ``V4L2Camera`` on a real driver (vivid, in the HIL VM; `waysidectl camera contract`).
///
/// A source passes when it delivers well-formed frames of the agreed size and format,
/// with increasing sequence numbers and non-decreasing timestamps, whose pixels are
/// exactly the frames fed in (when the caller knows them: what was injected is what was
/// captured); and when, after the first consumer is cancelled, a second iteration
/// delivers again (the first released the device: V4L2 refuses a second streamer EBUSY).
public struct FrameSourceContract: Sendable {
    /// Frame width the source must deliver.
    public var width: Int
    /// Frame height the source must deliver.
    public var height: Int
    /// The pixel format the source must deliver.
    public var format: PixelFormat
    /// The exact frames fed in, when known; every checked frame must be one of them.
    public var expectedFrames: [[UInt8]]?
    /// Frames to collect in each iteration.
    public var frameCount: Int
    /// Leading frames not compared with ``expectedFrames`` (a real device may still show
    /// what it had before the injection began).
    public var warmUpFrames: Int
    /// How long each step may take.
    public var timeout: Duration

    /// A contract for `frameCount` frames of `width` x `height` in `format`.
    public init(width: Int, height: Int, format: PixelFormat, expectedFrames: [[UInt8]]? = nil,
                frameCount: Int = 8, warmUpFrames: Int = 0, timeout: Duration = .seconds(10)) {
        self.width = width
        self.height = height
        self.format = format
        self.expectedFrames = expectedFrames
        self.frameCount = frameCount
        self.warmUpFrames = warmUpFrames
        self.timeout = timeout
    }

    /// What one check found.
    public struct Report: Sendable {
        /// Problems, in words; empty when the source passed.
        public var failures: [String] = []
        /// Lines worth printing (counts, matches).
        public var notes: [String] = []
        /// True when nothing failed.
        public var passed: Bool { failures.isEmpty }
    }

    /// Runs the contract against `source`.
    public func check(_ source: any FrameSource) async -> Report {
        var report = Report()
        let expected = expectedFrames.map { Set($0) }
        for round in 1...2 {
            let outcome = await collect(source)
            report.notes += outcome.faults.map { "round \(round): fault \($0)" }
            guard outcome.frames.count == frameCount else {
                report.failures.append("round \(round): \(outcome.frames.count) of \(frameCount) frames within \(timeout)"
                                       + (outcome.faults.last.map { "; last fault: \($0)" } ?? ""))
                continue
            }
            var matched = 0
            for (index, frame) in outcome.frames.enumerated() {
                if frame.width != width || frame.height != height || frame.format != format {
                    report.failures.append("round \(round) frame \(index): \(frame.width)x\(frame.height) \(frame.format.rawValue), expected \(width)x\(height) \(format.rawValue)")
                }
                if !frame.isWellFormed {
                    report.failures.append("round \(round) frame \(index): \(frame.bytes.count) bytes do not fill \(frame.width)x\(frame.height) \(frame.format.rawValue)")
                }
                if index > 0 {
                    let previous = outcome.frames[index - 1]
                    if frame.sequence <= previous.sequence {
                        report.failures.append("round \(round) frame \(index): sequence \(frame.sequence) after \(previous.sequence)")
                    }
                    if frame.timestamp < previous.timestamp {
                        report.failures.append("round \(round) frame \(index): timestamp went back (\(frame.timestamp) after \(previous.timestamp))")
                    }
                }
                if let expected, index >= warmUpFrames {
                    if expected.contains(frame.bytes) { matched += 1 } else {
                        report.failures.append("round \(round) frame \(index) (sequence \(frame.sequence)): its pixels are none of the \(expected.count) frames fed in")
                    }
                }
            }
            if expected != nil {
                report.notes.append("round \(round): \(matched) of \(frameCount - warmUpFrames) frames identical to frames fed in")
            }
        }
        return report
    }

    private struct Outcome: Sendable {
        var frames: [Frame] = []
        var faults: [DeviceFault] = []
    }

    /// Collects frames until `frameCount` or the timeout, then cancels and times the end.
    private func collect(_ source: any FrameSource) async -> Outcome {
        let count = frameCount
        let consumer = Task { () -> Outcome in
            var outcome = Outcome()
            for await event in source.events() {
                switch event {
                case .frame(let frame):
                    if outcome.frames.count < count { outcome.frames.append(frame) }
                case .fault(let fault): outcome.faults.append(fault)
                case .recovered: break
                }
                if outcome.frames.count >= count { break }
            }
            return outcome
        }
        let timeout = self.timeout
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            consumer.cancel()
        }
        let outcome = await consumer.value
        watchdog.cancel()
        return outcome
    }
}

import Foundation
import WaysideCore

/// The header of a YUV4MPEG2 file (the format of `ffmpeg -f yuv4mpegpipe` and mjpegtools).
public struct Y4MHeader: Sendable, Equatable {
    /// Chroma layouts Wayside reads.
    public enum Chroma: String, Sendable {
        case c420 = "420", c422 = "422", c444 = "444", mono
    }
    public var width: Int
    public var height: Int
    /// Frames per second from the F tag (F30:1, F30000:1001); 25 when absent, as the format says.
    public var framesPerSecond: Double
    public var chroma: Chroma

    /// A header for `width` x `height` frames.
    public init(width: Int, height: Int, framesPerSecond: Double = 25, chroma: Chroma = .c420) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.chroma = chroma
    }

    /// Bytes of one frame's planes (Y, then Cb and Cr).
    public var frameSize: Int {
        let luma = width * height
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        switch chroma {
        case .c420: return luma + 2 * chromaWidth * chromaHeight
        case .c422: return luma + 2 * chromaWidth * height
        case .c444: return 3 * luma
        case .mono: return luma
        }
    }

    /// Parses the header line (without its newline); nil with a reason when it is not one.
    public static func parse(_ line: String) -> Result<Y4MHeader, DeviceFault> {
        let words = line.split(separator: " ")
        func bad(_ why: String) -> Result<Y4MHeader, DeviceFault> {
            .failure(DeviceFault(.corruptData, device: "y4m", operation: "parse header", detail: why))
        }
        guard words.first == "YUV4MPEG2" else { return bad("not a YUV4MPEG2 file (the first word is not YUV4MPEG2)") }
        var width = 0, height = 0, fps = 25.0, chroma = Chroma.c420
        for word in words.dropFirst() {
            let value = word.dropFirst()
            switch word.first {
            case "W": width = Int(value) ?? 0
            case "H": height = Int(value) ?? 0
            case "F":
                let parts = value.split(separator: ":").compactMap { Double($0) }
                if parts.count == 2, parts[0] > 0, parts[1] > 0 { fps = parts[0] / parts[1] }
            case "C":
                if value.hasPrefix("420") { chroma = .c420 }
                else if value.hasPrefix("422") { chroma = .c422 }
                else if value.hasPrefix("444") && !value.hasPrefix("444alpha") { chroma = .c444 }
                else if value.hasPrefix("mono") { chroma = .mono }
                else { return bad("colour space C\(value) is not supported (use 420, 422, 444 or mono)") }
            case "I":
                if value != "p" && value != "?" { return bad("interlaced video (I\(value)) is not supported") }
            default: break
            }
        }
        guard width > 0, height > 0 else { return bad("no W and H in the header") }
        return .success(Y4MHeader(width: width, height: height, framesPerSecond: fps, chroma: chroma))
    }
}

/// A camera stand-in that plays a YUV4MPEG2 (.y4m) video file.
///
/// Frames come out as YUYV (what a USB webcam delivers) so the kiosk takes the same
/// conversion path as with a real camera; a `mono` file gives gray8. A missing file is a
/// ``DeviceFault/Code/missing`` fault retried with back-off; a broken header or a frame
/// cut short is ``DeviceFault/Code/corruptData`` (the file restarts, or ends when played once).
public struct Y4MCamera<C: Clock>: FrameSource where C.Duration == Duration {
    public let path: String
    public let loop: Bool
    /// Overrides the file's frame rate (the board profile's fps); nil plays at the file's rate.
    public let framesPerSecond: Int?
    private let clock: C

    public var name: String { "y4m: \(path)" }

    public init(path: String, framesPerSecond: Int? = nil, loop: Bool = true, clock: C) {
        self.path = path
        self.framesPerSecond = framesPerSecond.map { max(1, $0) }
        self.loop = loop
        self.clock = clock
    }

    /// Reads all frames of the file (for tests and small clips); throws the fault a stream would report.
    public func readAll() throws(DeviceFault) -> (header: Y4MHeader, frames: [Frame]) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DeviceFault(.missing, device: path, operation: "open", detail: "no such file")
        }
        defer { try? handle.close() }
        var reader = Y4MReader(handle: handle, path: path)
        let header = try reader.header()
        var frames: [Frame] = []
        while let frame = try reader.nextFrame(header: header, sequence: UInt64(frames.count), timestamp: .zero) {
            frames.append(frame)
        }
        return (header, frames)
    }

    public func events() -> AsyncStream<FrameEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: FrameEvent.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task { [self] in
            var sequence: UInt64 = 0
            var backoff = Duration.milliseconds(200)
            var faulted = false
            let start = clock.now
            playing: while !Task.isCancelled {
                guard let handle = FileHandle(forReadingAtPath: path) else {
                    continuation.yield(.fault(DeviceFault(.missing, device: path, operation: "open", detail: "no such file; check the board profile's camera.path")))
                    faulted = true
                    try? await clock.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                    continue
                }
                defer { try? handle.close() }
                var reader = Y4MReader(handle: handle, path: path)
                do throws(DeviceFault) {
                    let header = try reader.header()
                    let rate = framesPerSecond.map(Double.init) ?? header.framesPerSecond
                    let interval = Duration.seconds(1 / max(rate, 0.1))
                    var played = 0
                    while !Task.isCancelled,
                          let frame = try reader.nextFrame(header: header, sequence: sequence, timestamp: start.duration(to: clock.now)) {
                        if faulted {
                            continuation.yield(.recovered)
                            faulted = false
                            backoff = .milliseconds(200)
                        }
                        sequence += 1
                        played += 1
                        continuation.yield(.frame(frame))
                        try? await clock.sleep(for: interval)
                    }
                    if played == 0 {
                        throw DeviceFault(.corruptData, device: path, operation: "read", detail: "the file has no frames")
                    }
                } catch {
                    continuation.yield(.fault(error))
                    faulted = true
                    try? await clock.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                    if !loop { break playing }
                    continue
                }
                if !loop { break }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Reads a Y4M stream frame by frame.
struct Y4MReader {
    let handle: FileHandle
    let path: String
    private var pending: [UInt8] = []

    init(handle: FileHandle, path: String) {
        self.handle = handle
        self.path = path
    }

    private mutating func fill(_ count: Int) -> Bool {
        while pending.count < count {
            guard let data = try? handle.read(upToCount: max(count - pending.count, 1 << 16)), !data.isEmpty else { return false }
            pending.append(contentsOf: data)
        }
        return true
    }

    private mutating func line() -> String? {
        var scanned = 0
        while true {
            if let end = pending[scanned...].firstIndex(of: 0x0A) {
                let text = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 1)
                return text
            }
            scanned = pending.count
            if pending.count > 4096 || !fill(pending.count + 1) { return nil }
        }
    }

    mutating func header() throws(DeviceFault) -> Y4MHeader {
        guard let text = line() else {
            throw DeviceFault(.corruptData, device: path, operation: "read header", detail: "the file is empty or has no header line")
        }
        switch Y4MHeader.parse(text) {
        case .success(let header): return header
        case .failure(var fault):
            fault.device = path
            throw fault
        }
    }

    /// The next frame as YUYV (gray8 for mono), nil at the end of the file.
    mutating func nextFrame(header: Y4MHeader, sequence: UInt64, timestamp: Duration) throws(DeviceFault) -> Frame? {
        guard let tag = line() else { return nil }
        guard tag.hasPrefix("FRAME") else {
            throw DeviceFault(.corruptData, device: path, operation: "read frame", detail: "expected FRAME, found '\(tag.prefix(16))'")
        }
        let size = header.frameSize
        guard fill(size) else {
            throw DeviceFault(.corruptData, device: path, operation: "read frame",
                              detail: "frame \(sequence) is cut short (\(pending.count) of \(size) bytes)")
        }
        let planes = Array(pending[..<size])
        pending.removeFirst(size)
        return Self.frame(planes, header: header, sequence: sequence, timestamp: timestamp)
    }

    /// Planar Y, Cb, Cr repacked as YUYV: 4:2:0 repeats each chroma row, 4:4:4 averages pairs.
    static func frame(_ planes: [UInt8], header: Y4MHeader, sequence: UInt64, timestamp: Duration) -> Frame {
        let w = header.width, h = header.height
        if header.chroma == .mono {
            return Frame(width: w, height: h, format: .gray8, bytes: Array(planes[..<(w * h)]), sequence: sequence, timestamp: timestamp)
        }
        let evenWidth = (w + 1) / 2 * 2
        var out = [UInt8](repeating: 128, count: evenWidth * 2 * h)
        let cw = header.chroma == .c444 ? w : (w + 1) / 2
        let ch = header.chroma == .c420 ? (h + 1) / 2 : h
        let cbBase = w * h, crBase = cbBase + cw * ch
        planes.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let cy = header.chroma == .c420 ? y / 2 : y
                    for x in stride(from: 0, to: w, by: 2) {
                        let dst = y * evenWidth * 2 + 2 * x
                        o[dst] = p[y * w + x]
                        o[dst + 2] = x + 1 < w ? p[y * w + x + 1] : p[y * w + x]
                        if header.chroma == .c444 {
                            let x1 = min(x + 1, w - 1)
                            o[dst + 1] = UInt8((Int(p[cbBase + cy * cw + x]) + Int(p[cbBase + cy * cw + x1]) + 1) / 2)
                            o[dst + 3] = UInt8((Int(p[crBase + cy * cw + x]) + Int(p[crBase + cy * cw + x1]) + 1) / 2)
                        } else {
                            o[dst + 1] = p[cbBase + cy * cw + x / 2]
                            o[dst + 3] = p[crBase + cy * cw + x / 2]
                        }
                    }
                }
            }
        }
        return Frame(width: w, height: h, format: .yuyv, bytesPerRow: evenWidth * 2, bytes: out, sequence: sequence, timestamp: timestamp)
    }
}

import Foundation
import Testing
import WaysideCore
import WaysideDevices

/// A Y4M file of `frames` 4:2:0 frames, each a different pattern; returns its path and
/// the frames as the camera should deliver them (YUYV).
func writeY4M(width: Int = 16, height: Int = 8, frames: Int = 3, chroma: String = "420jpeg", in directory: String) throws -> (String, [[UInt8]]) {
    var data = Data("YUV4MPEG2 W\(width) H\(height) F30:1 Ip A1:1 C\(chroma)\n".utf8)
    var expected: [[UInt8]] = []
    for n in 0..<frames {
        let luma = (0..<(width * height)).map { UInt8(truncatingIfNeeded: $0 * 3 + n * 50) }
        let cb = (0..<(width / 2 * height / 2)).map { UInt8(truncatingIfNeeded: 60 + $0 + n) }
        let cr = (0..<(width / 2 * height / 2)).map { UInt8(truncatingIfNeeded: 200 - $0 - n) }
        data.append(Data("FRAME\n".utf8))
        data.append(contentsOf: luma + cb + cr)
        var yuyv: [UInt8] = []
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 2) {
                let c = (y / 2) * (width / 2) + x / 2
                yuyv += [luma[y * width + x], cb[c], luma[y * width + x + 1], cr[c]]
            }
        }
        expected.append(yuyv)
    }
    let path = directory + "/clip.y4m"
    try data.write(to: URL(fileURLWithPath: path))
    return (path, expected)
}

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("wayside-camera-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The same contract, run against every host-side source; `waysidectl camera contract`
/// runs it against vivid in the HIL VM (images/hil/tests/camera-contract.sh).
@Suite struct CameraContract {
    @Test func y4mFileStandIn() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, expected) = try writeY4M(in: directory)
        let camera = Y4MCamera(path: path, framesPerSecond: 200, loop: true, clock: ContinuousClock())
        let report = await FrameSourceContract(width: 16, height: 8, format: .yuyv, expectedFrames: expected, frameCount: 6).check(camera)
        #expect(report.passed, "\(report.failures)")
    }

    @Test func imageFolderStandIn() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let codec = try JPEGCodec()
        var files: [[UInt8]] = []
        for n in 0..<3 {
            let jpeg = try codec.encode(Frame(width: 32, height: 16, format: .gray8, bytes: [UInt8](repeating: UInt8(40 * n + 10), count: 512)))
            try Data(jpeg).write(to: URL(fileURLWithPath: "\(directory)/\(n).jpg"))
            files.append(jpeg)
        }
        let camera = ImageFolderCamera(path: directory, framesPerSecond: 200, loop: true, clock: ContinuousClock())
        let report = await FrameSourceContract(width: 32, height: 16, format: .mjpeg, expectedFrames: files, frameCount: 5).check(camera)
        #expect(report.passed, "\(report.failures)")
    }

    @Test func v4l2CameraOnAFakeDriver() async {
        let world = FakeCameraWorld()
        world.with { $0.generatedFrameSize = 8 * 4 * 2 }
        let expected = (0..<256).map { [UInt8](repeating: UInt8($0), count: 64) }
        let report = await FrameSourceContract(width: 8, height: 4, format: .yuyv, expectedFrames: expected, frameCount: 6).check(fakeCamera(world))
        #expect(report.passed, "\(report.failures)")
    }

    @Test func theContractCatchesASourceThatAltersFrames() async throws {
        // A contract that cannot fail proves nothing: feed it frames that differ from the expectation.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, expected) = try writeY4M(in: directory)
        let altered = expected.map { frame in frame.map { $0 ^ 1 } }
        let camera = Y4MCamera(path: path, framesPerSecond: 200, loop: true, clock: ContinuousClock())
        let report = await FrameSourceContract(width: 16, height: 8, format: .yuyv, expectedFrames: altered, frameCount: 3).check(camera)
        #expect(!report.passed)
        let wrongSize = await FrameSourceContract(width: 640, height: 480, format: .yuyv, frameCount: 2).check(camera)
        #expect(wrongSize.failures.contains { $0.contains("expected 640x480") })
    }
}

@Suite struct CameraY4M {
    @Test func readsEveryChromaLayoutAsYUYVOrGray() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, expected) = try writeY4M(frames: 2, in: directory)
        let clip = try Y4MCamera(path: path, clock: ContinuousClock()).readAll()
        #expect(clip.header == Y4MHeader(width: 16, height: 8, framesPerSecond: 30, chroma: .c420))
        #expect(clip.frames.map(\.bytes) == expected)

        let mono = directory + "/mono.y4m"
        try Data("YUV4MPEG2 W4 H2 F25:1 Cmono\nFRAME\n".utf8 + [1, 2, 3, 4, 5, 6, 7, 8]).write(to: URL(fileURLWithPath: mono))
        let gray = try Y4MCamera(path: mono, clock: ContinuousClock()).readAll().frames
        #expect(gray.count == 1 && gray.first?.format == .gray8 && gray.first?.bytes == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func headerErrorsSayWhatIsWrong() {
        guard case .failure(let fault) = Y4MHeader.parse("RIFF W4 H4") else { Issue.record("accepted a non-Y4M header"); return }
        #expect(fault.code == .corruptData && fault.detail.contains("YUV4MPEG2"))
        guard case .failure(let interlaced) = Y4MHeader.parse("YUV4MPEG2 W4 H4 It") else { Issue.record("accepted interlaced"); return }
        #expect(interlaced.detail.contains("interlaced"))
        guard case .success(let ntsc) = Y4MHeader.parse("YUV4MPEG2 W720 H480 F30000:1001 C422") else { Issue.record("refused NTSC"); return }
        #expect(abs(ntsc.framesPerSecond - 29.97) < 0.01 && ntsc.frameSize == 720 * 480 * 2)
    }

    @Test func aMissingFileIsAFaultAndATruncatedFrameIsCorrupt() async throws {
        let missing = Y4MCamera(path: "/nonexistent/clip.y4m", loop: false, clock: ContinuousClock())
        let events = await collectEvents(missing) { !$0.isEmpty }
        #expect(events.first?.fault?.code == .missing)

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, _) = try writeY4M(frames: 2, in: directory)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count - 10).write(to: URL(fileURLWithPath: path))
        let cut = Y4MCamera(path: path, framesPerSecond: 500, loop: false, clock: ContinuousClock())
        let played = await collectEvents(cut) { $0.contains { $0.fault != nil } }
        #expect(played.compactMap(\.frame).count == 1)
        #expect(played.compactMap(\.fault).first?.code == .corruptData)
        #expect(played.compactMap(\.fault).first?.detail.contains("cut short") == true)
    }
}

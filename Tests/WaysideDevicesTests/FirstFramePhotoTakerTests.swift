import Foundation
import Testing
import WaysideCore
import WaysideDevices
import WaysideTesting

struct FirstFramePhotoTakerTests {
    /// A 16x8 YUYV frame: left half dark, right half bright.
    private func yuyvFrame() -> Frame {
        var bytes: [UInt8] = []
        for _ in 0..<8 {
            for pair in 0..<8 {
                let luma: UInt8 = pair < 4 ? 30 : 220
                bytes += [luma, 128, luma, 128]
            }
        }
        return Frame(width: 16, height: 8, format: .yuyv, bytes: bytes)
    }

    @Test func aYUYVFrameFromAV4L2CameraBecomesTheJPEGPhoto() async throws {
        let camera = FakeCamera([.fault(DeviceFault(.stalled, device: "fake", operation: "poll", detail: "x")), .frame(yuyvFrame())])
        let photo = try await FirstFramePhotoTaker(timeout: .seconds(30)).takePhoto(from: camera) { _ in }
        let codec = try JPEGCodec()
        let decoded = try codec.decode([UInt8](photo.jpeg), to: .gray8)
        #expect(decoded.width == 16 && decoded.height == 8)
        // The picture survived the conversion: dark on the left, bright on the right.
        #expect(decoded.bytes[4 * decoded.bytesPerRow + 1] < 80)
        #expect(decoded.bytes[4 * decoded.bytesPerRow + 14] > 170)
        #expect(photo.template == nil, "no face engine, no template")
    }
}

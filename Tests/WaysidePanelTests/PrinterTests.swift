#if canImport(Glibc)
import Glibc
#endif
import CPanelLinux
import Foundation
import Testing
import WaysideCore
import WaysidePanel

/// The ESC/POS receipt printer: its byte stream, a full port, and a real tty (a pseudo
/// terminal: the kernel's tty layer with the printer's raw-mode settings on it).
@Suite struct PrinterTests {
    @Test func rasterBitsAreMostSignificantFirstInBandsWithResetFeedAndCut() {
        var canvas = Canvas(width: 10, height: 2)
        canvas.pixels[0] = 0x000000          // (0,0) black
        canvas.pixels[9] = 0x202020          // (9,0) dark grey: a dot
        canvas.pixels[10 + 1] = 0x9A9A9A     // (1,1) light grey: no dot
        let bytes = EscPosPrinter.encode(raster: canvas)
        #expect(Array(bytes.prefix(2)) == [0x1B, 0x40])
        #expect(Array(bytes[2..<10]) == [0x1D, 0x76, 0x30, 0x00, 2, 0, 2, 0])
        #expect(Array(bytes[10..<14]) == [0x80, 0x40, 0x00, 0x00])
        #expect(Array(bytes.suffix(7)) == [0x1B, 0x64, 0x04, 0x1D, 0x56, 0x42, 0x00])
        // A tall receipt goes in bands of 256 rows.
        let tall = EscPosPrinter.encode(raster: Canvas(width: 16, height: 600))
        #expect(tall.count == 2 + 3 * 8 + 600 * 2 + 7)
    }

    @Test func aFullPortIsWaitedOnAndAStuckOneReported() async throws {
        let receipt = ReceiptPrintout(lines: ["Saved", "Your code is K7Q4-MX2P-Z", "Keep this code."], code: "K7Q4-MX2P-Z")
        let slow = RecordingSerialPort(capacity: 700)
        let printer = try EscPosPrinter(port: slow)
        try await printer.print(receipt)
        let expected = EscPosPrinter.encode(raster: await printer.render(receipt))
        #expect(slow.bytes == expected, "every byte arrives, in order, though the port took 700 at a time")

        let stuck = RecordingSerialPort(capacity: 0)
        let stalled = try EscPosPrinter(port: stuck, deadline: .milliseconds(200))
        await #expect { try await stalled.print(receipt) } throws: { ($0 as? DeviceFault)?.code == .stalled }
    }

    @Test func anArabicReceiptReachesARealTtyRightAligned() async throws {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(master >= 0)
        defer { close(master) }
        var number: UInt32 = 0
        try #require(wayside_pty_unlock(master) == 0 && wayside_pty_number(master, &number) == 0)
        let slave = "/dev/pts/\(number)"
        let receipt = ReceiptPrintout(lines: ["تم حفظ طلبك", "رمز التأكيد الخاص بك هو K7Q4-MX2P-Z", "احتفظ بهذا الرمز."],
                                      code: "K7Q4-MX2P-Z", languageTag: "ar", direction: .rightToLeft)
        let printer = try EscPosPrinter.open(device: slave, baud: 115_200, widthDots: 384)
        let expected = EscPosPrinter.encode(raster: await printer.render(receipt))
        // The other end reads while the printer writes: a pty holds only a few KiB.
        let reader = Task.detached { () -> [UInt8] in
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            let deadline = ContinuousClock.now + .seconds(30)
            while received.count < expected.count, ContinuousClock.now < deadline {
                var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
                guard poll(&fds, 1, 100) > 0 else { continue }
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n > 0 { received += buffer[0..<n] }
            }
            return received
        }
        try await printer.print(receipt)
        let received = await reader.value
        #expect(received == expected)
        // Right to left: the title's ink ends at the right margin, not the left.
        let canvas = await printer.render(receipt)
        if let directory = ProcessInfo.processInfo.environment["WAYSIDE_SCREENS_DIR"] {
            try Data(PNGEncoder.encode(canvas)).write(to: URL(fileURLWithPath: directory + "/receipt-printout-ar.png"))
        }
        let title = try #require(canvas.inkExtent(rows: 8..<36))
        #expect(title.upperBound >= 384 - 16 && title.lowerBound > 100, "\(title)")
    }
}

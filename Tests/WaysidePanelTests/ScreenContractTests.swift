import Foundation
import Testing
import WaysideCore
import WaysideDevices
import WaysidePanel

/// The screen contract on the stand-in and on the panel's screens off the device.
@Suite struct ScreenContractTests {
    static func contents() throws -> [ScreenContent] {
        let catalog = try MessageCatalog.bundled()
        let prompts = MessageCatalog.shippedLanguages.map { language in
            (tag: language.tag, direction: language.direction, title: catalog.text("attract.title", in: language),
             body: catalog.text("attract.body", in: language))
        }
        return ScreenContract.contents(prompts: prompts)
    }

    @Test func theTerminalStandInMeetsTheScreenContract() async throws {
        let contents = try Self.contents()
        let report = await ScreenContract.check(TerminalScreen(output: .nullDevice, interactive: false), contents: contents)
        #expect(report.passed, "\(report.failures)")
        #expect(report.shown == contents.count)
    }

    @Test func aSerialLCDMeetsTheScreenContractAndSendsOnlyItsCommandSet() async throws {
        let contents = try Self.contents()
        let port = RecordingSerialPort()
        let report = await ScreenContract.check(SerialLCD(port: port, geometry: .size20x4), contents: contents)
        #expect(report.passed, "\(report.failures)")
        // Text bytes are printable ASCII; everything else is a documented command.
        let bytes = port.bytes
        var index = 0
        var strays: [UInt8] = []
        while index < bytes.count {
            switch bytes[index] {
            case 0x7C:
                let command = bytes[index + 1]
                index += (27...34).contains(command) ? 10 : 2
            case 0xFE: index += 2
            case 0x20..<0x7F: index += 1
            default:
                strays.append(bytes[index])
                index += 1
            }
        }
        #expect(strays.isEmpty, "bytes outside the command set and ASCII: \(strays)")
    }

    @Test func theFramebufferScreenMeetsTheScreenContract() async throws {
        let contents = try Self.contents()
        let screen = try FramebufferScreen(width: 800, height: 480)
        let report = await ScreenContract.check(screen, contents: contents)
        #expect(report.passed, "\(report.failures)")
        // The last content drew something (the contract's symbols screen is not blank).
        let canvas = await screen.canvas
        #expect(canvas.inkCoverage(in: PixelRect(x: 0, y: 0, width: 800, height: 100)) > 0)
    }
}

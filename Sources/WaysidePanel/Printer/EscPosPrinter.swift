import WaysideCore

/// A thermal receipt printer speaking ESC/POS over a serial port, as most kiosk printers do.
///
/// The receipt is drawn, not sent as text: a printer's character tables hold Latin and a
/// few code pages, not Arabic, Amharic or Devanagari, so every line is rendered with the
/// screen's own fonts and shaping and sent as a 1-bit raster image (`GS v 0`), in the
/// person's language and direction, with the confirmation code large enough to read at arm's
/// length. Unlike the LCD, a printer may not drop bytes: a full port is waited on, up to a
/// deadline, and a printer that never takes the receipt is reported (the screen and the
/// voice still gave the code).
public actor EscPosPrinter: ReceiptPrinter {
    public nonisolated let name: String
    private let port: any SerialPortIO
    /// Dots per line: 384 on 58 mm paper, 576 on 80 mm.
    public let widthDots: Int
    private let deadline: Duration
    private let text: TextRenderer

    public init(port: any SerialPortIO, widthDots: Int = 384, name: String = "receipt printer",
                deadline: Duration = .seconds(60)) throws(PanelError) {
        self.port = port
        self.widthDots = widthDots
        self.name = name
        self.deadline = deadline
        self.text = try TextRenderer()
    }

    /// Opens the printer's serial port.
    public static func open(device: String, baud: Int, widthDots: Int) throws(PanelError) -> EscPosPrinter {
        try EscPosPrinter(port: try TermiosSerialPort(device: device, baud: baud), widthDots: widthDots, name: "ESC/POS \(device)")
    }

    public func print(_ receipt: ReceiptPrintout) async throws {
        let bytes = Self.encode(raster: render(receipt))
        var sent = 0
        let giveUp = ContinuousClock.now + deadline
        while sent < bytes.count {
            let written: Int
            do throws(PanelError) {
                written = try port.writeNow(Array(bytes[sent...]))
            } catch {
                throw error.fault
            }
            sent += written
            if sent < bytes.count {
                guard ContinuousClock.now < giveUp else {
                    throw DeviceFault(.stalled, device: name, operation: "print",
                                      detail: "the printer took \(sent) of \(bytes.count) bytes in \(deadline); check its paper and cable")
                }
                // The printer's buffer is full (it prints slower than the port sends).
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// The receipt as the printer will print it: the lines in the person's script and
    /// direction, the code large and bold in the middle.
    public func render(_ receipt: ReceiptPrintout) -> Canvas {
        let margin = 8, bodySize = 24, codeSize = 48
        let width = widthDots - 2 * margin
        let rtl = receipt.direction == .rightToLeft
        let body = text.metrics(languageTag: receipt.languageTag, size: bodySize)
        let code = text.metrics(languageTag: "en", size: codeSize, bold: true)
        let wrapped = receipt.lines.map { text.wrap($0, width: width, languageTag: receipt.languageTag, size: bodySize) }
        let height = margin * 2 + wrapped.joined().count * body.lineHeight + code.lineHeight + 3 * body.lineHeight
        var canvas = Canvas(width: widthDots, height: height)
        var y = margin
        for (index, lines) in wrapped.enumerated() {
            for line in lines {
                text.draw(line, x: rtl ? widthDots - margin : margin, baseline: y + body.ascender, size: bodySize, color: 0,
                          languageTag: receipt.languageTag, direction: receipt.direction, on: &canvas)
                y += body.lineHeight
            }
            if index == 0 {
                // After the title: the code, centred, in the Latin letters it is typed in.
                y += body.lineHeight / 2
                let codeWidth = text.width(of: receipt.code, languageTag: "en", size: codeSize, bold: true)
                text.draw(receipt.code, x: (widthDots - codeWidth) / 2, baseline: y + code.ascender, size: codeSize, color: 0,
                          languageTag: "en", direction: .leftToRight, bold: true, on: &canvas)
                y += code.lineHeight + body.lineHeight / 2
            }
        }
        return canvas
    }

    /// ESC @ (reset), the image in `GS v 0` bands of at most 256 rows (printers buffer a
    /// band at a time), four lines of feed, and a partial cut.
    public static func encode(raster canvas: Canvas) -> [UInt8] {
        let bytesPerRow = (canvas.width + 7) / 8
        var out: [UInt8] = [0x1B, 0x40]
        var top = 0
        while top < canvas.height {
            let rows = min(256, canvas.height - top)
            out += [0x1D, 0x76, 0x30, 0x00, UInt8(bytesPerRow & 0xFF), UInt8(bytesPerRow >> 8), UInt8(rows & 0xFF), UInt8(rows >> 8)]
            for y in top..<(top + rows) {
                for column in 0..<bytesPerRow {
                    var byte: UInt8 = 0
                    for bit in 0..<8 {
                        let x = column * 8 + bit
                        // A dot burns where the drawn pixel is darker than mid-grey.
                        if x < canvas.width, luminance(canvas.pixels[y * canvas.width + x]) < 128 { byte |= 0x80 >> UInt8(bit) }
                    }
                    out.append(byte)
                }
            }
            top += rows
        }
        return out + [0x1B, 0x64, 0x04, 0x1D, 0x56, 0x42, 0x00]
    }

    static func luminance(_ rgb: UInt32) -> Int {
        (Int((rgb >> 16) & 0xFF) * 299 + Int((rgb >> 8) & 0xFF) * 587 + Int(rgb & 0xFF) * 114) / 1000
    }
}

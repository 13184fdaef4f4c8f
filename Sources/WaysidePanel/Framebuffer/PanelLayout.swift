import Foundation
import WaysideCore

/// How a ``ScreenContent`` is drawn on a pixel screen: black on white, large type, the
/// highlighted choice inverted, a dark footer band, and the camera preview with the face
/// box and a guidance arrow. Sizes scale with the screen's height (designed at 800x480).
public struct PanelLayout {
    public static let paper: UInt32 = 0xFFFFFF
    public static let ink: UInt32 = 0x000000
    /// The face box and arrow: yellow on a black edge reads on any camera picture.
    public static let marker: UInt32 = 0xFFD400

    public init() {}

    /// Draws `content` on `canvas`, replacing what was there.
    ///
    /// Everything a screen holds must be seen: when the title, text, entry, keyboard and
    /// choices do not fit at the designed sizes (a long notice, a six-row keyboard), the
    /// type shrinks step by step, down to 60% (still 19 px at 480 lines), before anything
    /// would be cut off.
    public func render(_ content: ScreenContent, on canvas: inout Canvas, text: TextRenderer) {
        _ = place(content, on: &canvas, text: text, fit: measure(content, on: &canvas, text: text).fit, paint: true)
    }

    /// The type scale `content` is drawn at on `canvas`, and where its content then ends
    /// (at most the top of the footer band when everything fits).
    public func measure(_ content: ScreenContent, on canvas: inout Canvas, text: TextRenderer) -> (fit: Double, bottom: Int, limit: Int) {
        let limit = canvas.height - footerHeight(canvas.height)
        for fit in [1.0, 0.9, 0.8, 0.7, 0.6] {
            let bottom = place(content, on: &canvas, text: text, fit: fit, paint: false)
            if bottom <= limit || fit == 0.6 { return (fit, bottom, limit) }
        }
        return (0.6, limit, limit)
    }

    private func footerHeight(_ height: Int) -> Int { max(1, Int((56 * Double(height) / 480).rounded())) }

    /// Lays out (and, with `paint`, draws) `content` with type scaled by `fit`; returns
    /// where the content ends, so a dry run measures it.
    private func place(_ content: ScreenContent, on canvas: inout Canvas, text: TextRenderer, fit: Double, paint: Bool) -> Int {
        let w = canvas.width, h = canvas.height
        let scale = Double(h) / 480
        func px(_ value: Double) -> Int { max(1, Int((value * scale).rounded())) }
        func type(_ value: Double) -> Int { px(value * fit) }
        if paint { canvas.fill(PixelRect(x: 0, y: 0, width: w, height: h), Self.paper) }
        let rtl = content.direction == .rightToLeft
        let tag = content.languageTag
        let margin = px(24)
        let bottom = h - footerHeight(h) - px(8)

        // The preview takes the half of the screen the text does not start from.
        var textLeft = margin, textRight = w - margin
        if let frame = content.preview {
            let area = PixelRect(x: rtl ? margin : w / 2, y: margin, width: w / 2 - margin, height: h - px(64) - 2 * margin)
            if paint { drawPreview(frame, faceBox: content.faceBox, in: area, on: &canvas, thickness: px(4)) }
            if rtl { textLeft = w / 2 + margin / 2 } else { textRight = w / 2 - margin / 2 }
        }
        let columnWidth = textRight - textLeft
        let lineX = rtl ? textRight : textLeft
        var y = margin

        // Title.
        let titleSize = type(44)
        let titleMetrics = text.metrics(languageTag: tag, size: titleSize, bold: true)
        for line in text.wrap(content.title, width: columnWidth, languageTag: tag, size: titleSize, bold: true).prefix(2) {
            if paint {
                text.draw(line, x: lineX, baseline: y + titleMetrics.ascender, size: titleSize, color: Self.ink,
                          languageTag: tag, direction: content.direction, bold: true, on: &canvas)
            }
            y += titleMetrics.lineHeight
        }
        y += type(12)

        let bodySize = type(32)
        let body = text.metrics(languageTag: tag, size: bodySize)
        for paragraph in content.lines {
            for line in text.wrap(paragraph, width: columnWidth, languageTag: tag, size: bodySize) {
                if paint {
                    guard y + body.lineHeight <= bottom else { break }
                    text.draw(line, x: lineX, baseline: y + body.ascender, size: bodySize, color: Self.ink,
                              languageTag: tag, direction: content.direction, on: &canvas)
                }
                y += body.lineHeight
            }
        }

        if let entry = content.entry {
            y += type(8)
            let box = PixelRect(x: textLeft, y: y, width: columnWidth, height: body.lineHeight + type(12))
            if paint {
                canvas.stroke(box, Self.ink, thickness: px(3))
                let entryX = rtl ? textRight - px(12) : textLeft + px(12)
                text.draw(entry, x: entryX, baseline: y + type(6) + body.ascender,
                          size: bodySize, color: Self.ink, languageTag: tag, direction: content.direction, on: &canvas)
                // The cursor is a bar drawn after the text, not a glyph a font may lack.
                let typed = text.width(of: entry, languageTag: tag, size: bodySize)
                let cursorX = rtl ? entryX - typed - px(4) - px(3) : entryX + typed + px(4)
                canvas.fill(PixelRect(x: cursorX, y: y + type(8), width: px(3), height: body.lineHeight - type(4)), Self.ink)
            }
            y += box.height + type(8)
        }

        if let keyboard = content.keyboard {
            let keySize = type(28)
            let keyHeight = type(44)
            for (rowIndex, row) in keyboard.rows.enumerated() where !row.isEmpty {
                let keyWidth = columnWidth / max(row.count, 1)
                for (columnIndex, label) in row.enumerated() where paint {
                    let rect = PixelRect(x: textLeft + columnIndex * keyWidth, y: y, width: keyWidth - px(4), height: keyHeight - px(4))
                    let selected = rowIndex == keyboard.row && columnIndex == keyboard.column
                    if selected { canvas.fill(rect, Self.ink) } else { canvas.stroke(rect, Self.ink, thickness: px(1)) }
                    let color = selected ? Self.paper : Self.ink
                    if Self.drawKeyIcon(label, in: rect, color: color, thickness: max(2, type(3)), on: &canvas) { continue }
                    let labelWidth = text.width(of: label, languageTag: tag, size: keySize)
                    text.draw(label, x: rect.x + (rect.width - labelWidth) / 2, baseline: y + keyHeight * 3 / 4 - type(4), size: keySize,
                              color: color, languageTag: tag, direction: .leftToRight, on: &canvas)
                }
                y += keyHeight
            }
        }

        // Choices: the selected one white on black, the way a button is lit.
        for (index, choice) in content.choices.enumerated() {
            let height = body.lineHeight + type(12)
            if paint {
                guard y + height <= bottom + px(8) else { break }
                let selected = index == content.selectedChoice
                let rect = PixelRect(x: textLeft, y: y, width: columnWidth, height: height)
                if selected { canvas.fill(rect, Self.ink) } else { canvas.stroke(rect, Self.ink, thickness: px(2)) }
                text.draw(choice, x: rtl ? textRight - px(16) : textLeft + px(16), baseline: y + type(6) + body.ascender, size: bodySize,
                          color: selected ? Self.paper : Self.ink, languageTag: tag, direction: content.direction, on: &canvas)
            }
            y += height + type(8)
        }

        // Footer band: the buttons' meaning, always in the same place and size.
        if paint, !content.footer.isEmpty {
            let bandHeight = footerHeight(h)
            canvas.fill(PixelRect(x: 0, y: h - bandHeight, width: w, height: bandHeight), Self.ink)
            let footSize = px(26)
            let foot = text.metrics(languageTag: tag, size: footSize)
            text.draw(content.footer, x: rtl ? w - margin : margin, baseline: h - bandHeight + (bandHeight - foot.lineHeight) / 2 + foot.ascender,
                      size: footSize, color: Self.paper, languageTag: tag, direction: content.direction, on: &canvas)
        }
        return y
    }

    /// The keyboard's three action keys (space, delete, done) as drawn shapes: the text
    /// fonts have no glyphs for ␣ ⌫ ✓, and a blank box on the key that finishes a name would
    /// leave a person stuck. Returns false for any other label.
    static func drawKeyIcon(_ label: String, in rect: PixelRect, color: UInt32, thickness: Int, on canvas: inout Canvas) -> Bool {
        let cx = rect.x + rect.width / 2, cy = rect.y + rect.height / 2
        let unit = max(4, min(rect.width, rect.height) / 5)
        switch label {
        case "✓":
            canvas.line(from: (x: cx - 2 * unit, y: cy), to: (x: cx - unit / 2, y: cy + 3 * unit / 2), color, thickness: thickness)
            canvas.line(from: (x: cx - unit / 2, y: cy + 3 * unit / 2), to: (x: cx + 2 * unit, y: cy - 3 * unit / 2), color, thickness: thickness)
        case "⌫":
            // An arrow pointing back, the way the cursor goes.
            canvas.line(from: (x: cx - 2 * unit, y: cy), to: (x: cx + 2 * unit, y: cy), color, thickness: thickness)
            canvas.line(from: (x: cx - 2 * unit, y: cy), to: (x: cx - unit, y: cy - unit), color, thickness: thickness)
            canvas.line(from: (x: cx - 2 * unit, y: cy), to: (x: cx - unit, y: cy + unit), color, thickness: thickness)
        case "␣":
            // The open box typists know as the space sign.
            canvas.line(from: (x: cx - 2 * unit, y: cy), to: (x: cx - 2 * unit, y: cy + unit), color, thickness: thickness)
            canvas.line(from: (x: cx - 2 * unit, y: cy + unit), to: (x: cx + 2 * unit, y: cy + unit), color, thickness: thickness)
            canvas.line(from: (x: cx + 2 * unit, y: cy + unit), to: (x: cx + 2 * unit, y: cy), color, thickness: thickness)
        default:
            return false
        }
        return true
    }

    /// The camera picture scaled into `area` (aspect kept), the face box on it, and an arrow
    /// from the face toward the picture's centre when the face is off centre.
    public func drawPreview(_ frame: Frame, faceBox: PixelRect?, in area: PixelRect, on canvas: inout Canvas, thickness: Int) {
        guard frame.isWellFormed, frame.format != .mjpeg, area.width > 0, area.height > 0 else {
            canvas.stroke(area, Self.ink, thickness: thickness)
            return
        }
        let scale = min(Double(area.width) / Double(frame.width), Double(area.height) / Double(frame.height))
        let outW = max(1, Int(Double(frame.width) * scale)), outH = max(1, Int(Double(frame.height) * scale))
        let originX = area.x + (area.width - outW) / 2, originY = area.y + (area.height - outH) / 2
        let width = canvas.width
        // Nearest-neighbour sampling: only the pixels shown are converted, so a 640x480
        // YUYV frame costs what the preview's area costs, not the frame's.
        var xs = [Int](repeating: 0, count: outW)
        for x in 0..<outW { xs[x] = min(frame.width - 1, x * frame.width / outW) }
        frame.bytes.withUnsafeBufferPointer { src in
            canvas.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    let py = originY + y
                    guard py >= 0, py < canvas.height else { continue }
                    let sy = min(frame.height - 1, y * frame.height / outH)
                    let row = sy * frame.bytesPerRow
                    for x in 0..<outW {
                        let pxX = originX + x
                        guard pxX >= 0, pxX < width else { continue }
                        let sx = xs[x]
                        let color: UInt32
                        switch frame.format {
                        case .gray8:
                            let v = UInt32(src[row + sx])
                            color = (v << 16) | (v << 8) | v
                        case .rgb24:
                            let i = row + sx * 3
                            color = (UInt32(src[i]) << 16) | (UInt32(src[i + 1]) << 8) | UInt32(src[i + 2])
                        case .yuyv:
                            let pair = row + (sx & ~1) * 2
                            let luma = Int(src[pair + (sx & 1) * 2]) - 16
                            let u = Int(src[pair + 1]) - 128, v = Int(src[pair + 3]) - 128
                            // ITU-R BT.601 limited range to RGB, in 8.8 fixed point.
                            let c = 298 * luma
                            let r = (c + 409 * v + 128) >> 8, g = (c - 100 * u - 208 * v + 128) >> 8, b = (c + 516 * u + 128) >> 8
                            color = (UInt32(min(max(r, 0), 255)) << 16) | (UInt32(min(max(g, 0), 255)) << 8) | UInt32(min(max(b, 0), 255))
                        case .mjpeg:
                            color = Self.paper
                        }
                        dst[py * width + pxX] = color
                    }
                }
            }
        }
        guard let face = faceBox else { return }
        let box = PixelRect(x: originX + Int(Double(face.x) * scale), y: originY + Int(Double(face.y) * scale),
                            width: Int(Double(face.width) * scale), height: Int(Double(face.height) * scale))
        canvas.stroke(PixelRect(x: box.x - thickness, y: box.y - thickness, width: box.width + 2 * thickness, height: box.height + 2 * thickness),
                      Self.ink, thickness: thickness)
        canvas.stroke(box, Self.marker, thickness: thickness)
        let faceCentre = (x: box.x + box.width / 2, y: box.y + box.height / 2)
        let centre = (x: originX + outW / 2, y: originY + outH / 2)
        let dx = centre.x - faceCentre.x, dy = centre.y - faceCentre.y
        guard abs(dx) > outW / 10 || abs(dy) > outH / 10 else { return }
        // The arrow starts at the face and points the way the person should move.
        let length = Double(min(outW, outH)) / 4
        let norm = max(1, (Double(dx * dx + dy * dy)).squareRoot())
        let tip = (x: faceCentre.x + Int(Double(dx) / norm * length), y: faceCentre.y + Int(Double(dy) / norm * length))
        canvas.line(from: faceCentre, to: tip, Self.marker, thickness: thickness * 2)
        let back = (x: -Double(dx) / norm * length / 3, y: -Double(dy) / norm * length / 3)
        for turn in [0.5, -0.5] {
            let hx = back.x * cos(turn) - back.y * sin(turn), hy = back.x * sin(turn) + back.y * cos(turn)
            canvas.line(from: tip, to: (x: tip.x + Int(hx), y: tip.y + Int(hy)), Self.marker, thickness: thickness * 2)
        }
    }
}

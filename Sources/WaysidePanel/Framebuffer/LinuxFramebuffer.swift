#if canImport(Glibc)
import Glibc
#endif
import CPanelLinux
import WaysideCore

/// A Linux framebuffer (/dev/fbN) mapped into memory: geometry from FBIOGET_VSCREENINFO,
/// stride and size from FBIOGET_FSCREENINFO, pixels written through mmap. 16 bpp (RGB565
/// on small SPI panels) and 32 bpp (XRGB8888, DRM's fbdev emulation) are supported,
/// using the colour bitfields the driver reports rather than assuming an order.
public final class LinuxFramebuffer {
    public let device: String
    public let width: Int
    public let height: Int
    public let bitsPerPixel: Int
    public let stride: Int
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let firstRow: Int
    private let red: fb_bitfield, green: fb_bitfield, blue: fb_bitfield

    public init(device: String) throws(PanelError) {
        self.device = device
        fd = try PanelCall.perform("open", device: device) { open(device, O_RDWR | O_CLOEXEC) }
        var variable = fb_var_screeninfo()
        var fixed = fb_fix_screeninfo()
        do throws(PanelError) {
            let fd = self.fd
            try PanelCall.perform("FBIOGET_VSCREENINFO", device: device) { wayside_fb_get_var(fd, &variable) }
            try PanelCall.perform("FBIOGET_FSCREENINFO", device: device) { wayside_fb_get_fix(fd, &fixed) }
            guard variable.bits_per_pixel == 16 || variable.bits_per_pixel == 32 else {
                throw PanelError(operation: "format", device: device,
                                 detail: "\(variable.bits_per_pixel) bits per pixel; Wayside draws 16 and 32")
            }
            guard fixed.visual == UInt32(FB_VISUAL_TRUECOLOR) || fixed.visual == UInt32(FB_VISUAL_DIRECTCOLOR) else {
                throw PanelError(operation: "format", device: device, detail: "not a true-colour framebuffer (visual \(fixed.visual))")
            }
        } catch {
            close(fd)
            throw error
        }
        width = Int(variable.xres)
        height = Int(variable.yres)
        bitsPerPixel = Int(variable.bits_per_pixel)
        stride = Int(fixed.line_length)
        firstRow = Int(variable.yoffset)
        red = variable.red
        green = variable.green
        blue = variable.blue
        length = Int(fixed.smem_len) > 0 ? Int(fixed.smem_len) : stride * Int(variable.yres_virtual)
        let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            let error = Glibc.errno
            close(fd)
            throw PanelError(operation: "mmap", device: device, errno: error)
        }
        base = mapped
        guard stride * (firstRow + height) <= length, stride >= width * bitsPerPixel / 8 else {
            munmap(base, length)
            close(fd)
            throw PanelError(operation: "format", device: device, detail: "mapping of \(length) bytes is smaller than \(width)x\(height) at stride \(stride)")
        }
    }

    deinit {
        munmap(base, length)
        close(fd)
    }

    /// Copies `canvas` to the screen's top-left corner (clipped to the screen).
    public func show(_ canvas: Canvas) {
        let rows = min(height, canvas.height), columns = min(width, canvas.width)
        let canvasWidth = canvas.width
        let standardXRGB = bitsPerPixel == 32 && red.offset == 16 && green.offset == 8 && blue.offset == 0
        canvas.pixels.withUnsafeBufferPointer { source in
            for y in 0..<rows {
                let row = base + (firstRow + y) * stride
                let from = source.baseAddress! + y * canvasWidth
                if standardXRGB {
                    row.copyMemory(from: from, byteCount: columns * 4)
                } else if bitsPerPixel == 32 {
                    let out = row.assumingMemoryBound(to: UInt32.self)
                    for x in 0..<columns { out[x] = pack(from[x]) }
                } else {
                    let out = row.assumingMemoryBound(to: UInt16.self)
                    for x in 0..<columns { out[x] = UInt16(truncatingIfNeeded: pack(from[x])) }
                }
            }
        }
    }

    @inline(__always)
    private func pack(_ pixel: UInt32) -> UInt32 {
        PixelPacking.pack(pixel, red: (red.offset, red.length), green: (green.offset, green.length), blue: (blue.offset, blue.length))
    }
}

/// How a 0xRRGGBB pixel is laid out in a framebuffer, from the driver's bitfields.
public enum PixelPacking {
    /// Each channel cut to its field's length and put at its offset (RGB565 is red 11/5,
    /// green 5/6, blue 0/5; XRGB8888 red 16/8, green 8/8, blue 0/8).
    @inline(__always)
    public static func pack(_ pixel: UInt32, red: (offset: UInt32, length: UInt32), green: (offset: UInt32, length: UInt32),
                            blue: (offset: UInt32, length: UInt32)) -> UInt32 {
        @inline(__always)
        func channel(_ value: UInt32, _ field: (offset: UInt32, length: UInt32)) -> UInt32 {
            guard field.length > 0 else { return 0 }
            return (value >> (8 - min(8, field.length))) << field.offset
        }
        return channel((pixel >> 16) & 0xFF, red) | channel((pixel >> 8) & 0xFF, green) | channel(pixel & 0xFF, blue)
    }
}

/// A framebuffer as the kiosk's ``Screen``: each screen is drawn into a ``Canvas`` with
/// ``PanelLayout`` and copied to the mapped framebuffer.
public actor FramebufferScreen: Screen {
    public nonisolated let name: String
    private let framebuffer: LinuxFramebuffer?
    private let text: TextRenderer
    private let layout = PanelLayout()
    /// What is on the screen now, for screenshots.
    public private(set) var canvas: Canvas

    /// Opens `device`; fonts from `book`. With `size`, the screen is drawn at that size in
    /// the top-left corner (a panel smaller than the mode, or a benchmark at 800x480).
    public init(device: String, book: FontBook = .standard, size: (width: Int, height: Int)? = nil) throws(PanelError) {
        let framebuffer = try LinuxFramebuffer(device: device)
        self.framebuffer = framebuffer
        let width = min(size?.width ?? framebuffer.width, framebuffer.width)
        let height = min(size?.height ?? framebuffer.height, framebuffer.height)
        self.name = "framebuffer \(device) \(framebuffer.width)x\(framebuffer.height)x\(framebuffer.bitsPerPixel), drawing \(width)x\(height)"
        self.text = try TextRenderer(book: book)
        self.canvas = Canvas(width: width, height: height)
    }

    /// Draws off screen only (no device): for screenshots and tests on the build machine.
    public init(width: Int, height: Int, book: FontBook = .standard) throws(PanelError) {
        self.framebuffer = nil
        self.name = "canvas \(width)x\(height)"
        self.text = try TextRenderer(book: book)
        self.canvas = Canvas(width: width, height: height)
    }

    /// The capture screen the live picture is drawn into, once laid out around it.
    private var liveContent: ScreenContent?

    public func show(_ content: ScreenContent) async throws {
        liveContent = nil
        layout.render(content, on: &canvas, text: text)
        framebuffer?.show(canvas)
    }

    /// The first frame lays the screen out around the picture (text in the other half);
    /// later frames redraw only the picture.
    public func showLive(_ frame: Frame, faceBox: PixelRect?, on content: ScreenContent) async {
        guard frame.format != .mjpeg else { return }
        if liveContent != content {
            var framed = content
            framed.preview = frame
            framed.faceBox = faceBox
            layout.render(framed, on: &canvas, text: text)
            framebuffer?.show(canvas)
            liveContent = content
        } else {
            showPreview(frame, faceBox: faceBox, direction: content.direction)
        }
    }

    /// Only the preview area is redrawn: the camera's frames do not repaint the text.
    public func showPreview(_ frame: Frame, faceBox: PixelRect?, direction: TextDirection = .leftToRight) {
        let scale = Double(canvas.height) / 480
        let margin = Int(24 * scale)
        let area = PixelRect(x: direction == .rightToLeft ? margin : canvas.width / 2, y: margin,
                             width: canvas.width / 2 - margin, height: canvas.height - Int(64 * scale) - 2 * margin)
        canvas.fill(area, PanelLayout.paper)
        layout.drawPreview(frame, faceBox: faceBox, in: area, on: &canvas, thickness: max(1, Int(4 * scale)))
        framebuffer?.show(canvas)
    }

    /// Copies what is drawn to the framebuffer again: the bare cost of the device, for benchmarks.
    public func recopy() { framebuffer?.show(canvas) }

    /// The screen as a PNG file's bytes.
    public func screenshotPNG() -> [UInt8] { PNGEncoder.encode(canvas) }
}

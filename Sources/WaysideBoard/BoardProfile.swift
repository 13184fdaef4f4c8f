import WaysideCore

/// What the kiosk is for at this site.
public enum KioskRole: String, Sendable, Equatable, CaseIterable {
    /// Walk-up registration at a shelter.
    case shelter
    /// Officer's check-in station at a port of entry.
    case port
}

/// One board: which devices it has and where, read from `Board/<name>.toml`.
///
/// A profile is validated whole at start: an unknown key, a wrong type or a value
/// out of range is refused with the file, the key and what was expected.
public struct BoardProfile: Sendable, Equatable {
    public var name: String
    public var role: KioskRole
    /// Where the outbox, device key and logs live (systemd's `StateDirectory` overrides it).
    public var dataDirectory: String
    public var camera: CameraProfile
    public var buttons: ButtonsProfile
    public var display: DisplayProfile
    public var speaker: SpeakerProfile
    public var intake: IntakeProfile
    /// What a port station serves (role = port only).
    public var station: StationProfile?
    /// A receipt printer, if the board has one.
    public var printer: PrinterProfile?
}

/// A receipt printer.
public struct PrinterProfile: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// ESC/POS over a serial port (most thermal kiosk printers).
        case escpos
    }
    public var kind: Kind
    public var device: String
    public var baud: Int
    /// Dots per line: 384 for 58 mm paper, 576 for 80 mm.
    public var widthDots: Int
}

/// A port check-in station's settings.
public struct StationProfile: Sendable, Equatable {
    /// The port this station serves, as the intake's schedule names it ("San Ysidro").
    public var port: String
    /// The officer id written into check-in records (a station-local id, never a name).
    public var officer: String
}

/// The camera, or what stands in for it.
public struct CameraProfile: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A V4L2 device (`/dev/videoN` or a `/dev/v4l/by-id/...` name).
        case v4l2
        /// A folder of JPEG images played in name order.
        case imageFolder = "image-folder"
        /// A YUV4MPEG2 video file.
        case y4m
        /// One still JPEG image, repeated.
        case still
    }
    public enum Format: String, Sendable, CaseIterable {
        case yuyv, mjpeg
        /// Whatever the device offers, converted by libv4l2.
        case any
    }
    public var kind: Kind
    public var path: String
    public var width: Int
    public var height: Int
    public var format: Format
    public var framesPerSecond: Int
    /// For stand-ins: start over at the end instead of finishing.
    public var loop: Bool
    /// What proves a live person is in front of the camera before the photo is kept.
    public var liveness: Liveness

    /// The liveness check a board runs (docs/liveness.md).
    public enum Liveness: String, Sendable, CaseIterable {
        /// None: the photo is kept once it passes the quality gate (stand-in cameras
        /// that play still images, test-pattern cameras).
        case off
        /// The random head-movement challenge after the quality gate.
        case challenge
    }
}

/// The buttons, or what stands in for them.
public struct ButtonsProfile: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// GPIO lines through libgpiod.
        case gpio
        /// Keys typed in the terminal.
        case terminal
        /// A built-in scripted visitor (the sim board without a terminal).
        case script
    }
    public var kind: Kind
    /// The GPIO chip, e.g. "gpiochip0" or a label such as "pinctrl-bcm2711".
    public var chip: String
    /// Which line offset is which button (GPIO only).
    public var lines: [Button: Int]
    /// The line of the help lamp or buzzer, if any.
    public var helpLampLine: Int?
    /// Buttons are wired to ground with a pull-up: pressed reads low.
    public var activeLow: Bool
    public var debounceMilliseconds: Int
    public var longPressMilliseconds: Int
}

/// The screen.
public struct DisplayProfile: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A UART character LCD backpack (SparkFun SerLCD / OpenLCD command set).
        case serialLCD = "serial-lcd"
        /// A Linux framebuffer, `/dev/fbN`.
        case framebuffer
        /// The terminal the kiosk runs in (or its log, without one).
        case terminal
    }
    public var kind: Kind
    public var device: String
    public var baud: Int
    public var columns: Int
    public var rows: Int
}

/// Spoken prompts.
public struct SpeakerProfile: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// espeak-ng to the default ALSA device.
        case espeak
        /// espeak-ng to numbered WAV files in `path` (sim board, tests).
        case wavFolder = "wav-folder"
        /// No speech (a board without a speaker); prompts are still shown.
        case none
    }
    public var kind: Kind
    public var path: String
    /// Words per minute; slower than espeak's default, for clarity.
    public var wordsPerMinute: Int
}

/// Where submissions go.
public struct IntakeProfile: Sendable, Equatable {
    /// `embedded` starts an intake inside the kiosk process (sim board); otherwise an https URL.
    public var url: String
    public var isEmbedded: Bool { url == "embedded" }
}

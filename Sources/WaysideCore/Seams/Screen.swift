/// Which way a script runs; a renderer mirrors layout for right-to-left text.
public enum TextDirection: String, Sendable, Equatable {
    case leftToRight, rightToLeft
}

/// What a screen shows, independent of whether it is a 16x2 LCD or a framebuffer.
///
/// The flow describes content; each ``Screen`` decides how to fit it.
public struct ScreenContent: Sendable, Equatable {
    /// A stable identifier of the screen, for tests and logs (never personal data).
    public var id: String
    public var title: String
    public var lines: [String]
    /// Choices the person moves through with up/down and confirms with OK.
    public var choices: [String]
    public var selectedChoice: Int?
    /// A short hint of the buttons, e.g. "OK = continue, ? = help".
    public var footer: String
    public var direction: TextDirection
    /// BCP-47 language tag of the text, for font and shaping choices.
    public var languageTag: String
    /// A live camera preview and the face box, where the screen can show pictures.
    public var preview: Frame?
    public var faceBox: PixelRect?
    /// Text being typed, shown with a cursor.
    public var entry: String?
    /// The on-screen keyboard, when the step takes typed input.
    public var keyboard: KeyboardView?
    /// The screen asks for the photo just taken (the review): the flow holds no pixels, so
    /// the kiosk puts the picture in ``preview`` before the screen draws it.
    public var showsCapturedPhoto = false
    /// The screen shows the camera live (the capture screen): the kiosk sends it frames.
    public var showsLiveCamera = false

    public init(id: String, title: String, lines: [String] = [], choices: [String] = [],
                selectedChoice: Int? = nil, footer: String = "",
                direction: TextDirection = .leftToRight, languageTag: String = "en",
                preview: Frame? = nil, faceBox: PixelRect? = nil, entry: String? = nil, keyboard: KeyboardView? = nil) {
        self.id = id
        self.title = title
        self.lines = lines
        self.choices = choices
        self.selectedChoice = selectedChoice
        self.footer = footer
        self.direction = direction
        self.languageTag = languageTag
        self.preview = preview
        self.faceBox = faceBox
        self.entry = entry
        self.keyboard = keyboard
    }

    /// A blank screen: what is shown after a visit is forgotten.
    public static let blank = ScreenContent(id: "blank", title: "")
}

/// An on-screen keyboard as drawn: key labels by row, and the key under the cursor.
public struct KeyboardView: Sendable, Equatable {
    public var rows: [[String]]
    public var row: Int
    public var column: Int
    public init(rows: [[String]], row: Int, column: Int) {
        self.rows = rows
        self.row = row
        self.column = column
    }
}

/// A display: serial LCD, framebuffer, terminal.
public protocol Screen: Sendable {
    var name: String { get }
    /// Shows `content`, replacing what was there. Throws a ``DeviceFault`` when the
    /// display cannot be written; the kiosk goes on without it.
    func show(_ content: ScreenContent) async throws
    /// Shows `frame` as the live camera picture of `content` (the capture screen), with the
    /// face box, so a person sees themselves while the kiosk guides them. Screens that show
    /// no pictures (an LCD, a terminal) ignore it, which is the default.
    func showLive(_ frame: Frame, faceBox: PixelRect?, on content: ScreenContent) async
}

extension Screen {
    public func showLive(_ frame: Frame, faceBox: PixelRect?, on content: ScreenContent) async {}
}

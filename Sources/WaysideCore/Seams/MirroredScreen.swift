/// Shows the same content on several screens, e.g. the terminal and a scripted visitor
/// that watches it. A failing screen does not stop the others; the first error is rethrown.
public struct MirroredScreen: Screen {
    public let screens: [any Screen]
    public var name: String { screens.map(\.name).joined(separator: " + ") }

    public init(_ screens: [any Screen]) {
        self.screens = screens
    }

    public func show(_ content: ScreenContent) async throws {
        var firstError: (any Error)?
        for screen in screens {
            do { try await screen.show(content) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    public func showLive(_ frame: Frame, faceBox: PixelRect?, on content: ScreenContent) async {
        for screen in screens { await screen.showLive(frame, faceBox: faceBox, on: content) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import WaysideBoard
import WaysideCore
import WaysideDaemon
import WaysideDevices
import WaysidePanel

/// Why the board's devices could not be put together.
struct AssemblyError: Error, CustomStringConvertible {
    var key: String
    var detail: String
    var description: String { "\(key): \(detail)" }
}

/// Builds the kiosk's parts from a board profile: the one place where seams meet devices.
struct KioskAssembly {
    var parts: KioskParts
    /// The scripted visitor, when the buttons are played by a script.
    var visitor: ScriptedVisitor?

    init(profile: BoardProfile, forceScript: Bool, logger: Logger) throws {
        let camera: any FrameSource
        switch profile.camera.kind {
        case .imageFolder, .still:
            camera = ImageFolderCamera(path: profile.camera.path, framesPerSecond: profile.camera.framesPerSecond,
                                       loop: profile.camera.loop, clock: ContinuousClock())
        case .v4l2, .y4m:
            throw AssemblyError(key: "camera.kind", detail: "\(profile.camera.kind.rawValue) is not supported by this build yet")
        }

        var screens: [any Screen] = []
        switch profile.display.kind {
        case .terminal:
            screens.append(TerminalScreen())
        case .serialLCD:
            do {
                screens.append(try SerialLCD.open(device: profile.display.device, baud: profile.display.baud,
                                                  geometry: LCDGeometry(columns: profile.display.columns, rows: profile.display.rows)))
            } catch {
                throw AssemblyError(key: "display.device", detail: "\(error)")
            }
        case .framebuffer:
            do {
                screens.append(try FramebufferScreen(device: profile.display.device))
            } catch {
                throw AssemblyError(key: "display.device", detail: "\(error)")
            }
        }

        let buttons: any ButtonSource
        var helpSignal: (any HelpSignal)?
        let interactive = isatty(STDIN_FILENO) == 1 && !forceScript
        switch profile.buttons.kind {
        case .terminal where interactive:
            buttons = TerminalKeys()
        case .terminal, .script:
            let visitor = ScriptedVisitor(script: ScriptedVisitor.shelterVisit)
            self.visitor = visitor
            screens.append(visitor)
            buttons = visitor
        case .gpio:
            // A missing chip or busy line is not refused here: GPIOButtons reports it as a
            // fault on its stream and keeps retrying, so the kiosk starts and says so.
            buttons = GPIOButtons(chip: profile.buttons.chip, lines: profile.buttons.lines, activeLow: profile.buttons.activeLow,
                                  timing: ButtonTiming(debounce: .milliseconds(profile.buttons.debounceMilliseconds),
                                                       longPress: .milliseconds(profile.buttons.longPressMilliseconds)))
            if let line = profile.buttons.helpLampLine { helpSignal = GPIOHelpLamp(chip: profile.buttons.chip, offset: line) }
        }

        let voices = Dictionary(uniqueKeysWithValues: MessageCatalog.shippedLanguages.compactMap { language in
            language.espeakVoice.map { (language.tag, $0) }
        })
        let speaker: any Speaker
        switch profile.speaker.kind {
        case .wavFolder:
            speaker = WAVFolderSpeaker(folder: profile.speaker.path, voices: voices, wordsPerMinute: profile.speaker.wordsPerMinute)
        case .none:
            speaker = SilentSpeaker()
        case .espeak:
            speaker = EspeakSpeaker(output: .alsa, voices: voices, wordsPerMinute: profile.speaker.wordsPerMinute)
        }

        parts = KioskParts(camera: camera, buttons: buttons, screen: screens.count == 1 ? screens[0] : MirroredScreen(screens),
                           speaker: speaker, outbox: MemoryOutbox(), photoTaker: FirstFramePhotoTaker(), helpSignal: helpSignal)
    }
}

/// A board without a speaker: prompts are shown, not spoken.
struct SilentSpeaker: Speaker {
    let name = "none"
    func say(_ text: String, languageTag: String) {}
    func stop() {}
}

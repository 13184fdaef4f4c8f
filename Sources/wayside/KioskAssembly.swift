#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import WaysideBoard
import WaysideCore
import WaysideDaemon
import WaysideDevices
import WaysideFace
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
    /// What runs beside the kiosk: the forwarder, and the embedded intake on the sim board.
    var services: [any Service]

    init(profile: BoardProfile, forceScript: Bool, waitForReceipt: Bool = false, logger: Logger) throws {
        let camera: any FrameSource
        switch profile.camera.kind {
        case .imageFolder, .still:
            camera = ImageFolderCamera(path: profile.camera.path, framesPerSecond: profile.camera.framesPerSecond,
                                       loop: profile.camera.loop, clock: ContinuousClock())
        case .y4m:
            camera = Y4MCamera(path: profile.camera.path, framesPerSecond: profile.camera.framesPerSecond,
                               loop: profile.camera.loop, clock: ContinuousClock())
        case .v4l2:
            let format = V4L2FormatPreference(rawValue: profile.camera.format.rawValue) ?? .any
            camera = V4L2Camera(path: profile.camera.path,
                                request: V4L2CaptureRequest(width: profile.camera.width, height: profile.camera.height,
                                                            format: format, framesPerSecond: profile.camera.framesPerSecond))
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
            // With an embedded intake the receipt comes back within a second or two: the
            // script waits for it, so a scripted run proves the whole path, not only the outbox.
            var script = ScriptedVisitor.shelterVisit
            if profile.intake.url == "embedded" || waitForReceipt, let last = script.indices.last {
                script[last] = ScriptedVisitor.Step(on: "saved", press: .ok)
            }
            let visitor = ScriptedVisitor(script: script)
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

        let uplink = try UplinkAssembly(profile: profile, logger: logger)
        services = uplink.services
        parts = KioskParts(camera: camera, buttons: buttons, screen: screens.count == 1 ? screens[0] : MirroredScreen(screens),
                           speaker: speaker, outbox: uplink.outbox, photoTaker: Self.photoTaker(liveness: profile.camera.liveness, logger: logger), helpSignal: helpSignal)
    }

    /// The face engine's photo taker; without the models (not fetched yet) the first usable
    /// frame is the photo, and the log says how to fetch them.
    ///
    /// With `liveness = "challenge"` the photo is kept only after the random head-movement
    /// challenge; the texture check is not run on the kiosk yet (its false rejects differ
    /// 1.70x between groups on UTKFace, docs/liveness.md).
    static func photoTaker(liveness: CameraProfile.Liveness, logger: Logger) -> any PhotoTaker {
        do {
            return FacePhotoTaker(engine: try DlibFaceEngine(models: .standard(), options: .live),
                                  liveness: liveness == .challenge ? LivenessOptions() : nil)
        } catch {
            logger.warning("no face engine: photos are taken without a face check or template", metadata: ["error": "\(error)"])
            return FirstFramePhotoTaker()
        }
    }
}

/// A board without a speaker: prompts are shown, not spoken.
struct SilentSpeaker: Speaker {
    let name = "none"
    func say(_ text: String, languageTag: String) {}
    func stop() {}
}

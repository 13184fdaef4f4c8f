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
import WaysideStation
import WaysideStore

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
    /// The sim's second act: after the shelter visit, the same person checks in at a port
    /// station (its own parts and scripted officer) against the same embedded intake.
    var portDemo: (parts: KioskParts, visitor: ScriptedVisitor)?

    init(profile: BoardProfile, forceScript: Bool, waitForReceipt: Bool = false, scriptGPIOSim: String? = nil,
         lingerOnReceipt: Duration = .zero, controlSocket: String? = nil, screenshots: String? = nil, logger: Logger) throws {
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

        // Driven from outside (`--control-socket`): screens, speech and the help lamp go out
        // on the feed; presses come in on the socket and are debounced like GPIO edges.
        var feed: ControlFeed?
        if let controlSocket {
            do { feed = try ControlFeed(path: controlSocket + "/feed") } catch {
                throw AssemblyError(key: "--control-socket", detail: "\(error)")
            }
            screens.append(feed!)
        }

        let buttons: any ButtonSource
        var helpSignal: (any HelpSignal)? = feed
        let interactive = isatty(STDIN_FILENO) == 1 && !forceScript
        let pocket = VisitorPocket()
        switch profile.buttons.kind {
        case _ where controlSocket != nil:
            buttons = GPIOButtons(chip: controlSocket! + "/buttons", lines: ControlFeed.buttonOffsets,
                                  timing: ButtonTiming(debounce: .milliseconds(profile.buttons.debounceMilliseconds),
                                                       longPress: .milliseconds(profile.buttons.longPressMilliseconds)),
                                  opener: ControlSocketLines.opener(offsets: ControlFeed.buttonOffsets))
        case .terminal where interactive:
            buttons = TerminalKeys()
        case .terminal, .script:
            let visitor = ScriptedVisitor(script: Self.script(profile: profile, waitForReceipt: waitForReceipt, lingerOnReceipt: lingerOnReceipt),
                                          pocket: pocket)
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
            if let scriptGPIOSim {
                // The HIL VM: the scripted visitor's finger is gpio-sim, so every press travels
                // through the kernel's GPIO edges and the kiosk's own debounce.
                let actuator = GPIOSimActuator(directory: scriptGPIOSim, lines: profile.buttons.lines,
                                               activeLow: profile.buttons.activeLow)
                let hold = max(Duration.milliseconds(profile.buttons.debounceMilliseconds) * 3, .milliseconds(80))
                let chip = profile.buttons.chip
                let offsets = Array(profile.buttons.lines.values)
                let visitor = ScriptedVisitor(script: Self.script(profile: profile, waitForReceipt: waitForReceipt, lingerOnReceipt: lingerOnReceipt)) { button in
                    // The first screen shows before the GPIO lines are requested; an edge before
                    // that is lost (as a real press would be), so the finger waits for the kiosk
                    // to hold every button line.
                    try await Self.waitUntilHeld(chip: chip, offsets: offsets, limit: .seconds(30))
                    try await actuator.set(button, pressed: true)
                    try await actuator.hold(hold)
                    try await actuator.set(button, pressed: false)
                    try await actuator.hold(hold)
                }
                self.visitor = visitor
                screens.append(visitor)
            }
        }

        if let screenshots {
            do { screens.append(try ScreenshotScreen(directory: screenshots)) } catch {
                throw AssemblyError(key: "--screenshots", detail: "\(error)")
            }
        }

        let voices = Dictionary(uniqueKeysWithValues: MessageCatalog.shippedLanguages.compactMap { language in
            language.espeakVoice.map { (language.tag, $0) }
        })
        var speaker: any Speaker
        switch profile.speaker.kind {
        case .wavFolder:
            speaker = WAVFolderSpeaker(folder: profile.speaker.path, voices: voices, wordsPerMinute: profile.speaker.wordsPerMinute)
        case .none:
            speaker = SilentSpeaker()
        case .espeak:
            speaker = EspeakSpeaker(output: .alsa, voices: voices, wordsPerMinute: profile.speaker.wordsPerMinute)
        }

        if let feed { speaker = feed.speaker(wrapping: speaker) }

        let uplink = try UplinkAssembly(profile: profile, logger: logger)
        // The models load beside the kiosk, so its first screen (and READY=1) does not wait for them.
        // With `[camera] liveness = "challenge"` the photo is kept only after the random
        // head-movement challenge; the texture check is not run on the kiosk (its false rejects
        // differ 1.70x between groups on UTKFace, docs/liveness.md).
        let liveness = profile.camera.liveness == .challenge ? LivenessOptions() : nil
        let photoTaker = FaceEngineLoader(logger: logger, fallback: FirstFramePhotoTaker()) {
            FacePhotoTaker(engine: try DlibFaceEngine(models: .standard(), options: .live), liveness: liveness)
        }
        services = uplink.services + [photoTaker]
        var station: IntakePortStation?
        if profile.role == .port, let settings = profile.station {
            let made = try StationAssembly.make(port: settings.port, officer: settings.officer, data: profile.dataDirectory,
                                                intakeKey: uplink.intakeKey,
                                                connect: uplink.stationConnect(data: profile.dataDirectory, deviceID: "\(profile.name)-station"),
                                                logger: logger)
            station = made
            services.append(CheckInForwarder(station: made))
        }
        var printer: (any ReceiptPrinter)?
        if let settings = profile.printer {
            // A printer that is missing or unplugged costs the person nothing: the code is
            // shown and spoken; each failed print is logged with the reason.
            do { printer = try EscPosPrinter.open(device: settings.device, baud: settings.baud, widthDots: settings.widthDots) } catch {
                logger.error("receipt printer not available; receipts are shown and spoken only",
                             metadata: ["device": "\(settings.device)", "error": "\(error)"])
            }
        }
        parts = KioskParts(camera: camera, buttons: buttons, screen: screens.count == 1 ? screens[0] : MirroredScreen(screens),
                           speaker: speaker, outbox: uplink.outbox, photoTaker: photoTaker, helpSignal: helpSignal,
                           printer: printer, station: station,
                           statusLookup: profile.role == .shelter ? uplink.statusLookup(data: profile.dataDirectory) : nil)

        if let visitor, profile.role == .shelter, profile.intake.isEmbedded, scriptGPIOSim == nil {
            // The port act is a demonstration: without its parts (the trained comparison
            // back-end) the shelter visit still runs, and the log says why the port does not.
            do {
                portDemo = try Self.portDemo(profile: profile, uplink: uplink, base: parts, baseScreens: screens.filter { !($0 is ScriptedVisitor) },
                                             pocket: pocket, logger: logger)
            } catch {
                logger.warning("the sim's port check-in is skipped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The sim's port station: enrolled with the embedded intake as a port device in
    /// `<data>/port-station`, with a PIN made for this run that only its scripted officer knows.
    static func portDemo(profile: BoardProfile, uplink: UplinkAssembly, base: KioskParts, baseScreens: [any Screen],
                         pocket: VisitorPocket, logger: Logger) throws -> (parts: KioskParts, visitor: ScriptedVisitor) {
        let data = profile.dataDirectory + "/port-station"
        do { try FileIO.makePrivateDirectory(data) } catch { throw AssemblyError(key: "data_directory", detail: "\(error)") }
        let pin = String(format: "%06d", Int.random(in: 0...999_999))
        do { try OfficerPIN(pin: pin).write(to: data) } catch { throw AssemblyError(key: "data_directory", detail: "\(error)") }
        let port = ShelterFlow.Options().ports[0]
        let station = try StationAssembly.make(port: port, officer: "sim-officer", data: data, intakeKey: uplink.intakeKey,
                                               connect: uplink.stationConnect(data: data, deviceID: "\(profile.name)-port"), logger: logger)
        let visitor = ScriptedVisitor(script: ScriptedVisitor.portCheckIn(pin: pin), pocket: pocket)
        var parts = base
        parts.buttons = visitor
        parts.screen = MirroredScreen(baseScreens + [visitor])
        parts.station = station
        return (parts, visitor)
    }

    /// Waits until some consumer holds every one of `offsets` on `chip`.
    static func waitUntilHeld(chip: String, offsets: [Int], limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while try LibGPIODLines.consumers(chip: chip, offsets: offsets).values.contains(where: { $0 == nil }) {
            guard ContinuousClock.now < deadline else {
                throw PanelError(operation: "wait for line requests", device: chip,
                                 detail: "the kiosk did not request its button lines within \(limit)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The shelter visit a scripted visitor plays. With an embedded intake (or when asked)
    /// it ends only on the receipt screen, so a scripted run proves the whole path, not only
    /// the outbox.
    /// `lingerOnReceipt`: the visitor looks at the last screen this long before leaving.
    static func script(profile: BoardProfile, waitForReceipt: Bool, lingerOnReceipt: Duration = .zero) -> [ScriptedVisitor.Step] {
        var script = ScriptedVisitor.shelterVisit
        if profile.intake.url == "embedded" || waitForReceipt, let last = script.indices.last {
            script[last] = ScriptedVisitor.Step(on: "saved", press: .ok)
        }
        if let last = script.indices.last { script[last].pause = lingerOnReceipt }
        return script
    }
}

/// A board without a speaker: prompts are shown, not spoken.
struct SilentSpeaker: Speaker {
    let name = "none"
    func say(_ text: String, languageTag: String) {}
    func stop() {}
}

/// Draws every screen off screen at 800x480 and keeps the last of each as
/// `<dir>/<screen id>-<language>.png`: the README's pictures come from a real visit.
actor ScreenshotScreen: Screen {
    nonisolated let name: String
    private let directory: String
    private let screen: FramebufferScreen

    init(directory: String) throws {
        self.directory = directory
        self.name = "screenshots \(directory)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        screen = try FramebufferScreen(width: 800, height: 480)
    }

    func show(_ content: ScreenContent) async throws {
        guard content.id != "blank" else { return }
        try await screen.show(content)
        await save(content)
    }

    func showLive(_ frame: Frame, faceBox: PixelRect?, on content: ScreenContent) async {
        await screen.showLive(frame, faceBox: faceBox, on: content)
        await save(content)
    }

    private func save(_ content: ScreenContent) async {
        let png = await screen.screenshotPNG()
        FileManager.default.createFile(atPath: "\(directory)/\(content.id)-\(content.languageTag).png", contents: Data(png))
    }
}

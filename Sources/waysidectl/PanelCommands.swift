#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import WaysideBoard
import WaysideCore
import WaysidePanel

/// `waysidectl panel`: drive the kiosk's real panel devices one at a time: the HIL tests
/// run these against gpio-sim, the VM's serial port and its framebuffer.
struct PanelTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "Drive the panel's devices: GPIO buttons and help lamp, serial LCD, framebuffer, speech.",
        subcommands: [PanelButtons.self, PanelButtonsContract.self, PanelLamp.self, PanelLCDWrite.self, PanelFramebuffer.self, PanelScreenContract.self, PanelSay.self])
}

/// The board profile's buttons, with optional overrides of its timing.
struct ButtonBoardOptions: ParsableArguments {
    @Option(help: "Board profile name or .toml path (its [buttons] section names the chip and lines).")
    var board = "qemu-x86_64"

    @Option(help: "Debounce window in ms (default: the profile's).")
    var debounceMs: Int?

    @Option(help: "Long-press time in ms (default: the profile's).")
    var longPressMs: Int?

    @Option(help: "Auto-repeat interval in ms.")
    var repeatMs = 250

    func profile() throws -> ButtonsProfile {
        let profile = try BoardProfileLoader().load(board)
        guard profile.buttons.kind == .gpio else {
            throw ValidationError("board \(profile.name) has \(profile.buttons.kind.rawValue) buttons, not gpio")
        }
        return profile.buttons
    }

    func timing(_ buttons: ButtonsProfile) -> ButtonTiming {
        ButtonTiming(debounce: .milliseconds(debounceMs ?? buttons.debounceMilliseconds),
                     longPress: .milliseconds(longPressMs ?? buttons.longPressMilliseconds),
                     repeatInterval: .milliseconds(repeatMs))
    }
}

/// `waysidectl panel buttons`: print debounced events as they happen.
struct PanelButtons: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buttons", abstract: "Print the board's debounced button events (ACTION BUTTON per line).")

    @OptionGroup var options: ButtonBoardOptions

    @Option(help: "Exit after this many events (0: until interrupted).")
    var count = 0

    func run() async throws {
        let buttons = try options.profile()
        let source = GPIOButtons(chip: buttons.chip, lines: buttons.lines, activeLow: buttons.activeLow, timing: options.timing(buttons))
        var seen = 0
        for await input in source.inputs() {
            switch input {
            case .event(let event): print("\(event.action.rawValue) \(event.button.rawValue)")
            case .fault(let fault): print("fault \(fault.code.rawValue) \(fault)")
            case .recovered: print("recovered")
            }
            fflush(nil)  // a pipe to a test script: each event as it happens
            seen += 1
            if count > 0, seen >= count { return }
        }
    }
}

/// `waysidectl panel buttons-contract`: the button contract against gpio-sim.
struct PanelButtonsContract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buttons-contract",
        abstract: "Run the ButtonSource contract (press, chatter, long press) and the help lamp against a gpio-sim chip.")

    @OptionGroup var options: ButtonBoardOptions

    @Option(help: "The gpio-sim bank's sysfs directory (its sim_gpioN/pull files are the fingers).")
    var sim: String

    @Option(help: "The button to exercise.")
    var button = "ok"

    @Option(help: "Edges in the chatter burst.")
    var chatter = 30

    func run() async throws {
        let buttons = try options.profile()
        guard let which = Button(rawValue: button), buttons.lines[which] != nil else {
            throw ValidationError("--button must be one of \(buttons.lines.keys.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        let timing = options.timing(buttons)
        let actuator = GPIOSimActuator(directory: sim, lines: buttons.lines, activeLow: buttons.activeLow)
        // How long the chatter burst takes here, so the report says what "a few ms" was.
        let start = PanelCall.monotonicNow()
        for edge in 0..<chatter { try actuator.setNow(which, pressed: edge % 2 == 0) }
        try actuator.setNow(which, pressed: false)
        let burst = PanelCall.monotonicNow() - start
        print("note  a burst of \(chatter) edges takes \(String(format: "%.2f", burst.milliseconds)) ms here (debounce \(timing.debounce))")

        let source = GPIOButtons(chip: buttons.chip, lines: buttons.lines, activeLow: buttons.activeLow, timing: timing)
        let report = await ButtonContract(button: which, timing: timing, chatterEdges: chatter).check(source, actuator: actuator)
        var failures = report.failures
        for note in report.notes { print("note  \(note)") }

        if let lampLine = buttons.helpLampLine {
            let lamp = GPIOHelpLamp(chip: buttons.chip, offset: lampLine)
            let valueFile = "\(sim)/sim_gpio\(lampLine)/value"
            await lamp.set(true)
            let on = GPIOSimActuator.read(valueFile)
            await lamp.set(false)
            let off = GPIOSimActuator.read(valueFile)
            if let fault = lamp.lastFault { failures.append("help lamp: \(fault)") }
            if on != "1" || off != "0" { failures.append("help lamp line \(lampLine): read \(on) when on and \(off) when off, expected 1 and 0") }
            print("note  help lamp line \(lampLine): on reads \(on), off reads \(off)")
        }
        for failure in failures { print("FAIL  \(failure)") }
        if !failures.isEmpty { throw ExitCode(1) }
        print("PASS  \(buttons.chip) meets the button contract")
    }
}

/// `waysidectl panel lamp on|off`.
struct PanelLamp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lamp", abstract: "Switch the help lamp on or off and hold it for a while.")

    @OptionGroup var options: ButtonBoardOptions

    @Argument(help: "on or off")
    var state: String

    @Option(help: "Seconds to hold the line before exiting (the kernel releases it on exit).")
    var hold = 0.0

    func run() async throws {
        let buttons = try options.profile()
        guard let line = buttons.helpLampLine else { throw ValidationError("the board has no buttons.help_lamp_line") }
        guard state == "on" || state == "off" else { throw ValidationError("say on or off, not '\(state)'") }
        let lamp = GPIOHelpLamp(chip: buttons.chip, offset: line)
        await lamp.set(state == "on")
        if let fault = lamp.lastFault {
            print("FAIL  \(fault)")
            throw ExitCode(1)
        }
        print("lamp \(state)")
        if hold > 0 { try await Task.sleep(for: .milliseconds(Int(hold * 1000))) }
    }
}

/// What a screen-writing command shows.
struct ScreenTextOptions: ParsableArguments {
    @Option(help: "Language of a catalog screen (attract screen) when no --title is given.")
    var language = "en"

    @Option(help: "Title text (instead of the catalog's attract screen).")
    var title: String?

    @Option(help: "A line of text (repeatable).")
    var line: [String] = []

    @Option(help: "A choice (repeatable); the first is selected.")
    var choice: [String] = []

    func content() throws -> ScreenContent {
        let catalog = try MessageCatalog.bundled()
        guard let lang = catalog.language(tagged: language) else {
            throw ValidationError("no language '\(language)'; shipped: \(MessageCatalog.shippedLanguages.map(\.tag).joined(separator: ", "))")
        }
        if let title {
            return ScreenContent(id: "custom", title: title, lines: line, choices: choice, selectedChoice: choice.isEmpty ? nil : 0,
                                 direction: lang.direction, languageTag: language)
        }
        return ScreenContent(id: "attract", title: catalog.text("attract.title", in: lang), lines: [catalog.text("attract.body", in: lang)],
                             choices: [catalog.text("language.name", in: lang), "English"], selectedChoice: 0,
                             footer: catalog.text("language.hint", in: lang), direction: lang.direction, languageTag: language)
    }
}

/// `waysidectl panel lcd-write`: one screen to a serial LCD.
struct PanelLCDWrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lcd-write", abstract: "Show one screen on an OpenLCD serial LCD; --print-hex prints the bytes sent.")

    @Option(help: "The serial port.")
    var device = "/dev/ttyS1"

    @Option(help: "Baud rate.")
    var baud = 9600

    @Option(help: "COLUMNSxROWS: 16x2 or 20x4.")
    var size = "16x2"

    @Flag(help: "Print the byte stream as hex (one line) after writing it.")
    var printHex = false

    @OptionGroup var text: ScreenTextOptions

    func run() async throws {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--size must look like 16x2") }
        let geometry = LCDGeometry(columns: parts[0], rows: parts[1])
        let content = try text.content()
        var encoder = OpenLCDEncoder(geometry: geometry)
        let bytes = encoder.encode(content)
        do {
            let lcd = try SerialLCD.open(device: device, baud: baud, geometry: geometry)
            try await lcd.show(content)
            let dropped = await lcd.droppedBytes
            print("wrote \(bytes.count - dropped) of \(bytes.count) bytes to \(device) at \(baud) baud (\(dropped) dropped)")
        } catch let error as PanelError {
            print("FAIL  \(error.fault)")
            throw ExitCode(1)
        }
        if printHex { print(bytes.map { String(format: "%02x", $0) }.joined()) }
    }
}

/// `waysidectl panel fb-render`: one screen to a framebuffer (or off screen), with a screenshot.
struct PanelFramebuffer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fb-render", abstract: "Draw one screen on a framebuffer (or off screen with --size) and save a PNG screenshot.")

    @Option(help: "The framebuffer device; 'none' draws off screen at --size.")
    var device = "/dev/fb0"

    @Option(help: "Off-screen size WIDTHxHEIGHT (with --device none).")
    var size = "800x480"

    @Option(help: "Write the drawn screen as PNG here.")
    var screenshot: String?

    @Flag(help: "Add a synthetic camera preview with a face box.")
    var preview = false

    @OptionGroup var text: ScreenTextOptions

    func run() async throws {
        var content = try text.content()
        if preview {
            content.preview = PanelBench.testFrame(sequence: 0)
            content.faceBox = PixelRect(x: 120, y: 140, width: 180, height: 200)
        }
        do {
            let screen: FramebufferScreen
            if device == "none" {
                let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("--size must look like 800x480") }
                screen = try FramebufferScreen(width: parts[0], height: parts[1])
            } else {
                screen = try FramebufferScreen(device: device)
            }
            try await screen.show(content)
            print("drew '\(content.id)' (\(content.languageTag)) on \(screen.name)")
            if let screenshot {
                let png = await screen.screenshotPNG()
                guard FileManager.default.createFile(atPath: screenshot, contents: Data(png)) else {
                    throw ValidationError("cannot write \(screenshot)")
                }
                print("screenshot \(screenshot) (\(png.count) bytes)")
            }
        } catch let error as PanelError {
            print("FAIL  \(error.fault)")
            throw ExitCode(1)
        }
    }
}

/// `waysidectl panel say`: one prompt through espeak-ng to a WAV file.
struct PanelSay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "say", abstract: "Speak a prompt with espeak-ng into a WAV file folder.")

    @Option(help: "Language tag (its espeak-ng voice is used).")
    var language = "en"

    @Option(help: "Folder for the WAV files.")
    var wav = "."

    @Argument(help: "What to say.")
    var text: String

    func run() async throws {
        let voices = Dictionary(uniqueKeysWithValues: MessageCatalog.shippedLanguages.compactMap { l in l.espeakVoice.map { (l.tag, $0) } })
        let speaker = EspeakSpeaker(output: .wavFolder(wav), voices: voices)
        try await speaker.say(text, languageTag: language)
        print("wrote \(await speaker.written.joined(separator: " "))")
    }
}

/// `waysidectl panel screen-contract`: the screen contract on a real LCD port and framebuffer.
struct PanelScreenContract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen-contract",
        abstract: "Show every language's prompt and the edge cases on a serial LCD and/or a framebuffer; none may be refused.")

    @Option(help: "Serial LCD port (20x4 at --baud).")
    var lcd: String?

    @Option(help: "Baud rate of the LCD.")
    var baud = 9600

    @Option(help: "Framebuffer device.")
    var fb: String?

    func run() async throws {
        guard lcd != nil || fb != nil else { throw ValidationError("name --lcd and/or --fb") }
        let catalog = try MessageCatalog.bundled()
        let prompts = MessageCatalog.shippedLanguages.map { language in
            (tag: language.tag, direction: language.direction, title: catalog.text("attract.title", in: language),
             body: catalog.text("attract.body", in: language))
        }
        let contents = ScreenContract.contents(prompts: prompts)
        var screens: [any Screen] = []
        do {
            if let lcd { screens.append(try SerialLCD.open(device: lcd, baud: baud, geometry: .size20x4)) }
            if let fb { screens.append(try FramebufferScreen(device: fb, size: (800, 480))) }
        } catch {
            print("FAIL  \(error)")
            throw ExitCode(1)
        }
        var failed = false
        for screen in screens {
            let report = await ScreenContract.check(screen, contents: contents)
            for failure in report.failures { print("FAIL  \(failure)") }
            if let lcd = screen as? SerialLCD {
                print("note  \(screen.name): \(await lcd.droppedFrames) screens cut short, \(await lcd.droppedBytes) bytes dropped (non-blocking port)")
            }
            print("\(report.passed ? "PASS" : "FAIL")  \(screen.name): \(report.shown) of \(contents.count) screens shown")
            failed = failed || !report.passed
        }
        if failed { throw ExitCode(1) }
    }
}

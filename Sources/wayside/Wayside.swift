#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WaysideBoard
import WaysideCore
import WaysideDaemon
import WaysideDevices

/// The kiosk daemon.
@main
struct Wayside: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wayside",
        abstract: "The Wayside kiosk: registration at a shelter, check-in at a port.",
        discussion: """
        Reads the board profile named by --board (Board/<name>.toml, or a path to a .toml file) \
        and runs the kiosk on that board's devices until SIGTERM or SIGINT.

        On the sim board in a terminal, use the arrow keys, Enter (OK), Backspace (back), \
        h (help), r (repeat) and q (quit). Without a terminal, the sim board plays a scripted \
        visit and exits 0 when it completes, 1 if it stalls.

        Exit codes: 0 done, 1 runtime failure, 2 bad board profile or arguments.
        Examples:
          wayside --board sim
          wayside --board Board/raspberry-pi-4.toml --log-level debug
        """)

    @Option(name: .long, help: "Board profile name (see Board/) or path to a .toml file.")
    var board: String

    @Flag(name: .long, help: "Play the scripted visit even in a terminal.")
    var scripted = false

    @Flag(name: .long, help: "A scripted visit ends only on the intake's receipt (always so with an embedded intake).")
    var waitForReceipt = false

    @Option(name: .long, help: "On a GPIO board: a scripted visitor presses the buttons through this gpio-sim bank's sysfs directory (the HIL VM).")
    var scriptGPIOSim: String?

    @Option(name: .long, help: "Seconds a scripted visitor looks at the last screen (the receipt) before leaving, e.g. for a screenshot.")
    var lingerOnReceipt: Int = 0

    @Option(name: .long, help: "Drive the kiosk through Unix datagram sockets in this directory: presses arrive on DIR/buttons ('press ok', 'release ok'), and every screen, prompt and help-lamp change is sent as JSON to DIR/feed when a driver has bound it.")
    var controlSocket: String?

    @Option(name: .long, help: "Also draw every screen off screen (800x480) and keep the last of each as DIR/<screen>-<language>.png.")
    var screenshots: String?

    @Option(name: .long, help: "Seconds a scripted visit may take before it counts as stalled.")
    var visitTimeout: Int = 120

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = JournalLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "wayside")

        let profile: BoardProfile
        do {
            profile = try BoardProfileLoader().load(board)
        } catch {
            FileHandle.standardError.write(Data("wayside: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let assembly: KioskAssembly
        do {
            assembly = try KioskAssembly(profile: profile, forceScript: scripted, waitForReceipt: waitForReceipt,
                                        scriptGPIOSim: scriptGPIOSim, lingerOnReceipt: .seconds(lingerOnReceipt),
                                        controlSocket: controlSocket, screenshots: screenshots, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("wayside: board \(profile.name): \(error)\n".utf8))
            throw ExitCode(2)
        }
        logger.info("starting", metadata: ["board": "\(profile.name)", "role": "\(profile.role.rawValue)",
                                           "camera": "\(assembly.parts.camera.name)", "buttons": "\(assembly.parts.buttons.name)",
                                           "screen": "\(assembly.parts.screen.name)"])

        let notifier = SystemdNotifier()
        let heartbeat = Heartbeat()
        let catalog = try MessageCatalog.bundled()
        let flow: any VisitFlow = profile.role == .port ? PortFlow(catalog: catalog) : ShelterFlow(catalog: catalog)
        var kiosk: any Service = KioskService(parts: assembly.parts, flow: flow, logger: logger, heartbeat: heartbeat, notifier: notifier)
        var visitors = assembly.visitor.map { [$0] } ?? []
        if let demo = assembly.portDemo {
            // The sim's second act: the person who just registered checks in at a port station.
            kiosk = KioskSequence(kiosks: [kiosk, KioskService(parts: demo.parts, flow: PortFlow(catalog: catalog), logger: logger,
                                                               heartbeat: heartbeat, notifier: notifier)], logger: logger)
            visitors.append(demo.visitor)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: kiosk, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: WatchdogService(notifier: notifier, heartbeat: heartbeat, logger: logger), successTerminationBehavior: .ignore),
        ]
        for service in assembly.services {
            services.append(.init(service: service, successTerminationBehavior: .ignore))
        }
        if !visitors.isEmpty {
            // A finished visit ends the run: with a gpio-sim finger the buttons never end on
            // their own, as the scripted visitor's own button stream does.
            services.append(.init(service: StallGuard(visitors: visitors, limit: .seconds(visitTimeout)),
                                  successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let started = ContinuousClock.now
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("wayside: \(error)\n".utf8))
            throw ExitCode(1)
        }
        for visitor in visitors where await !visitor.finished {
            let waiting = await visitor.waitingFor.map { $0.screens.sorted().joined(separator: " or ") } ?? "?"
            FileHandle.standardError.write(Data("wayside: the scripted visit ended early, waiting for screen \(waiting)\n".utf8))
            throw ExitCode(1)
        }
        if let visitor = assembly.visitor {
            // Kiosk time of a cooperative visit: what the person waits for, not what they read.
            let presses = await visitor.pressCount
            var metadata: Logger.Metadata = ["presses": "\(presses)", "kiosk_seconds": "\(started.duration(to: .now).components.seconds)"]
            if let port = assembly.portDemo?.visitor { metadata["port_check_in_presses"] = "\(await port.pressCount)" }
            logger.info("scripted visit finished", metadata: metadata)
        }
        logger.info("stopped")
    }
}

/// Runs kiosks one after another (the sim's shelter visit, then its port check-in).
struct KioskSequence: Service {
    let kiosks: [any Service]
    let logger: Logger
    func run() async throws {
        for kiosk in kiosks {
            try await kiosk.run()
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
        }
    }
}

/// Fails the run when a scripted visit does not finish in time, naming the screen it waited for.
struct StallGuard: Service {
    let visitors: [ScriptedVisitor]
    let limit: Duration

    struct Stalled: Error, CustomStringConvertible {
        var waitingFor: String
        /// The last screens the visitor saw, and what its finger reported, for the person debugging it.
        var lastSeen: [String]
        var fingerError: String?
        var description: String {
            "the scripted visit stalled waiting for screen \(waitingFor); last screens seen: "
                + (lastSeen.isEmpty ? "none" : lastSeen.joined(separator: ", "))
                + (fingerError.map { "; pressing failed: \($0)" } ?? "")
        }
    }

    func run() async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var allFinished = true
            for visitor in visitors where await !visitor.finished { allFinished = false }
            if allFinished { return }
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
            if Task.isShuttingDownGracefully { return }
        }
        var stalled = visitors[0]
        for visitor in visitors where await !visitor.finished { stalled = visitor; break }
        let waiting = await stalled.waitingFor.map { $0.screens.sorted().joined(separator: " or ") } ?? "?"
        throw Stalled(waitingFor: waiting, lastSeen: Array(await stalled.screensSeen.suffix(6)), fingerError: await stalled.fingerError)
    }
}

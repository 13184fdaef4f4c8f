import Foundation
import Logging
import ServiceLifecycle
import WaysideCore

/// The devices and services a kiosk visit runs on, as seams.
public struct KioskParts: Sendable {
    public var camera: any FrameSource
    public var buttons: any ButtonSource
    public var screen: any Screen
    public var speaker: any Speaker
    public var outbox: any Outbox
    public var photoTaker: any PhotoTaker
    public var helpSignal: (any HelpSignal)?
    public var printer: (any ReceiptPrinter)?
    /// The port station's services (role = port only).
    public var station: (any PortStation)?
    /// Where a shelter kiosk asks after a request by its code.
    public var statusLookup: (any StatusLookup)?

    public init(camera: any FrameSource, buttons: any ButtonSource, screen: any Screen, speaker: any Speaker,
                outbox: any Outbox, photoTaker: any PhotoTaker, helpSignal: (any HelpSignal)? = nil,
                printer: (any ReceiptPrinter)? = nil, station: (any PortStation)? = nil, statusLookup: (any StatusLookup)? = nil) {
        self.camera = camera
        self.buttons = buttons
        self.screen = screen
        self.speaker = speaker
        self.outbox = outbox
        self.photoTaker = photoTaker
        self.helpSignal = helpSignal
        self.printer = printer
        self.station = station
        self.statusLookup = statusLookup
    }
}

/// Runs a ``VisitFlow`` (shelter or port) against real or stand-in devices: turns device input into flow
/// events and performs the flow's effects.
///
/// On graceful shutdown it stops taking input, lets a submission that is being committed
/// finish (the person was promised it is saved), and closes the devices by ending their
/// sequences. When the buttons' sequence ends (a scripted visitor is done) it finishes
/// after the current visit, so `wayside --board sim` without a terminal exits by itself.
public final class KioskService: Service, Sendable {
    private let parts: KioskParts
    private let initialFlow: any VisitFlow
    private let logger: Logger
    private let heartbeat: Heartbeat
    private let notifier: SystemdNotifier
    /// How long to wait for the intake's receipt after a submission is saved.
    private let receiptWait: Duration

    public init(parts: KioskParts, flow: any VisitFlow, logger: Logger, heartbeat: Heartbeat = Heartbeat(),
                notifier: SystemdNotifier = SystemdNotifier(environment: [:]), receiptWait: Duration = .seconds(10)) {
        self.parts = parts
        self.initialFlow = flow
        self.logger = logger
        self.heartbeat = heartbeat
        self.notifier = notifier
        self.receiptWait = receiptWait
    }

    /// What reaches the loop: flow events and the loop's own housekeeping.
    private enum Input: Sendable {
        case flow(FlowEvent)
        case timer(generation: Int)
        case deviceFault(DeviceFault)
        case buttonsEnded
        case commitFinished
        case shutdown
        /// The photo just taken, kept for the review screen until the visit moves on.
        case photoTaken(CapturedPhoto)
        /// A camera frame for the capture screen's live picture.
        case live(Frame, PixelRect?)
    }

    public func run() async throws {
        let (inputs, sink) = AsyncStream.makeStream(of: Input.self)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [parts] in
                    for await input in parts.buttons.inputs() {
                        switch input {
                        case .event(let event): sink.yield(.flow(.button(event)))
                        case .fault(let fault): sink.yield(.deviceFault(fault))
                        case .recovered: break
                        }
                    }
                    sink.yield(.buttonsEnded)
                }
                await loop(inputs: inputs, sink: sink)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            sink.yield(.shutdown)
        }
        try? notifier.notify("STOPPING=1")
    }

    /// Where the request with `code` stands: still sealed in this kiosk's outbox (the code
    /// is derived from the submission id), else what the intake says, else "cannot check now".
    static func status(of code: String, parts: KioskParts, logger: Logger) async -> StatusAnswer {
        if let waiting = try? await parts.outbox.pending(limit: 10_000),
           waiting.contains(where: { ConfirmationCode.make(for: $0.id) == code }) {
            return .waitingToSend
        }
        guard let lookup = parts.statusLookup else { return .unreachable }
        do { return try await lookup.status(code: code) } catch {
            logger.notice("status lookup failed", metadata: ["error": "\(error)"])
            return .unreachable
        }
    }

    private func loop(inputs: AsyncStream<Input>, sink: AsyncStream<Input>.Continuation) async {
        var flow = initialFlow
        var timerGeneration = 0
        var timerTask: Task<Void, Never>?
        var captureTask: Task<Void, Never>?
        var speechTask: Task<Void, Never>?
        var commitsInFlight = 0
        var buttonsEnded = false
        var shuttingDown = false
        var announcedReady = false
        /// The last photo's pixels, only while the person may still be reviewing it.
        var reviewPhoto: CapturedPhoto?
        /// The capture screen being shown, which live frames are drawn into; and when the
        /// last one was, so a slow screen is sent at most about 15 frames a second.
        var liveScreen: ScreenContent?
        var lastLiveFrame = ContinuousClock.now - .seconds(1)

        func perform(_ effects: [FlowEffect]) async {
            for effect in effects {
                switch effect {
                case .show(var content):
                    if content.showsCapturedPhoto, let reviewPhoto, let picture = reviewPhoto.picture {
                        content.preview = reviewPhoto.faceBox.flatMap { picture.portrait(around: $0) } ?? picture
                    }
                    liveScreen = content.showsLiveCamera ? content : nil
                    do {
                        try await parts.screen.show(content)
                    } catch {
                        logger.warning("screen write failed", metadata: ["screen": "\(parts.screen.name)", "error": "\(error)"])
                    }
                    if !announcedReady {
                        announcedReady = true
                        do { try notifier.notify("READY=1") } catch {
                            logger.warning("systemd notify failed", metadata: ["error": "\(error)"])
                        }
                    }
                case .say(let text, let tag):
                    // Speech runs behind the loop, in order, so a long prompt never delays a button.
                    let previous = speechTask
                    speechTask = Task { [parts, logger] in
                        await previous?.value
                        do { try await parts.speaker.say(text, languageTag: tag) } catch {
                            logger.warning("speech failed", metadata: ["speaker": "\(parts.speaker.name)", "error": "\(error)"])
                        }
                    }
                case .capturePhoto:
                    captureTask?.cancel()
                    captureTask = Task { [parts, logger] in
                        do {
                            let photo = try await parts.photoTaker.takePhoto(from: parts.camera, guidance: { key in
                                sink.yield(.flow(.guidance(key)))
                            }, preview: { frame, face in
                                sink.yield(.live(frame, face))
                            })
                            // What the photo is, never what it shows: enough to see from a log
                            // whether the face check ran.
                            logger.info("photo taken", metadata: [
                                "jpeg_bytes": "\(photo.jpeg.count)",
                                "face": "\(photo.faceBox.map { "\($0.width)x\($0.height)" } ?? "none")",
                                "has_template": "\(photo.template == nil ? "no" : "yes")",
                            ])
                            sink.yield(.photoTaken(photo))
                            sink.yield(.flow(.photoCaptured(jpeg: photo.jpeg, template: photo.template)))
                        } catch {
                            if !Task.isCancelled { sink.yield(.flow(.captureFailed(reason: "\(error)"))) }
                        }
                    }
                case .stopCamera:
                    liveScreen = nil
                    captureTask?.cancel()
                    captureTask = nil
                case .submit(let submission):
                    reviewPhoto = nil
                    commitsInFlight += 1
                    // Not cancelled on shutdown: a commit the person was told about must complete.
                    Task { [parts, logger, receiptWait] in
                        do {
                            try await parts.outbox.commit(submission)
                            logger.info("submission saved", metadata: ["submission": "\(submission.id)"])
                            sink.yield(.commitFinished)
                            sink.yield(.flow(.saved))
                        } catch {
                            let code = (error as? OutboxError)?.code ?? .storage
                            logger.error("submission not saved", metadata: ["submission": "\(submission.id)", "error": "\(error)"])
                            sink.yield(.commitFinished)
                            sink.yield(.flow(.saveFailed(code)))
                            return
                        }
                        let deadline = ContinuousClock.now + receiptWait
                        while ContinuousClock.now < deadline, !Task.isCancelled {
                            if let receipt = try? await parts.outbox.receipt(for: submission.id) {
                                // The code itself stays out of the log: a log outlives the visit.
                                logger.info("receipt received", metadata: ["submission": "\(submission.id)",
                                                                           "appointment": "\(receipt.appointmentTime == nil ? "none" : "yes")"])
                                sink.yield(.flow(.receiptArrived(receipt)))
                                return
                            }
                            try? await Task.sleep(for: .milliseconds(200))
                        }
                    }
                case .helpLamp(let on):
                    await parts.helpSignal?.set(on)
                case .startTimer(let duration):
                    timerTask?.cancel()
                    timerGeneration += 1
                    let generation = timerGeneration
                    timerTask = Task {
                        try? await Task.sleep(for: duration)
                        if !Task.isCancelled { sink.yield(.timer(generation: generation)) }
                    }
                case .forgetVisit:
                    reviewPhoto = nil
                    captureTask?.cancel()
                    await parts.speaker.stop()
                case .printReceipt(let receipt):
                    guard let printer = parts.printer else { break }
                    Task { [logger] in
                        do { try await printer.print(receipt) } catch {
                            logger.warning("receipt printer failed", metadata: ["error": "\(error)"])
                        }
                    }
                case .verifyPIN(let pin):
                    Task { [parts] in
                        let ok = await parts.station?.verifyPIN(pin) ?? false
                        sink.yield(.flow(.pinChecked(ok)))
                    }
                case .lookUp(let query):
                    Task { [parts, logger] in
                        do {
                            sink.yield(.flow(.lookedUp(try await parts.station?.lookUp(query))))
                        } catch {
                            logger.error("appointment lookup failed", metadata: ["error": "\(error)"])
                            sink.yield(.flow(.lookedUp(nil)))
                        }
                    }
                case .match(let template, let expected):
                    Task { [parts] in
                        do {
                            guard let station = parts.station else { throw DeviceFault(.missing, device: "station", operation: "match") }
                            sink.yield(.flow(.matched(try await station.match(template, expected: expected))))
                        } catch {
                            sink.yield(.flow(.matchFailed(reason: "\(error)")))
                        }
                    }
                case .lookUpStatus(let code):
                    Task { [parts, logger] in
                        sink.yield(.flow(.statusAnswered(await Self.status(of: code, parts: parts, logger: logger))))
                    }
                case .recordCheckIn(let record):
                    commitsInFlight += 1
                    Task { [parts, logger] in
                        do {
                            try await parts.station?.record(record)
                            logger.info("check-in recorded", metadata: ["check_in": "\(record.id)", "outcome": "\(record.outcome.rawValue)"])
                        } catch {
                            logger.error("check-in not recorded", metadata: ["check_in": "\(record.id)", "error": "\(error)"])
                        }
                        sink.yield(.commitFinished)
                        sink.yield(.flow(.checkInRecorded))
                    }
                }
            }
        }

        await perform(flow.start())
        heartbeat.beat()
        for await input in inputs {
            heartbeat.beat()
            switch input {
            case .flow(let event):
                if shuttingDown, case .button = event { continue }
                await perform(flow.handle(event, now: Date()))
            case .timer(let generation):
                if generation == timerGeneration { await perform(flow.handle(.timerExpired, now: Date())) }
            case .deviceFault(let fault):
                logger.error("device fault", metadata: ["fault": "\(fault)"])
            case .buttonsEnded:
                buttonsEnded = true
            case .commitFinished:
                commitsInFlight -= 1
            case .photoTaken(let photo):
                reviewPhoto = photo
            case .live(let frame, let face):
                guard let screen = liveScreen, lastLiveFrame.duration(to: .now) >= .milliseconds(66) else { break }
                lastLiveFrame = .now
                await parts.screen.showLive(frame, faceBox: face, on: screen)
            case .shutdown:
                logger.info("shutting down", metadata: ["commits_in_flight": "\(commitsInFlight)"])
                shuttingDown = true
            }
            if shuttingDown, commitsInFlight == 0 { break }
            if buttonsEnded, commitsInFlight == 0, flow.isResting { break }
        }
        timerTask?.cancel()
        captureTask?.cancel()
        await speechTask?.value
    }
}

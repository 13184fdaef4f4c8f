import Crypto
import Foundation
import Logging
import ServiceLifecycle
import WaysideCore
import WaysideMatch
import WaysideStore
import WaysideUplink
import WaysideWire

/// The port station's services over a real intake: the officer's PIN, today's gallery
/// (fetched sealed to this station and opened only in memory), the calibrated matcher, and
/// the durable, sealed queue of check-in records.
///
/// Offline, the station keeps working on the gallery it last fetched: lookups, matching and
/// check-ins all run locally, and the queue sends the records when the intake is back. The
/// gallery is never written to disk: a stolen station holds nothing readable.
public actor IntakePortStation: PortStation {
    /// Where the station's numbers and data come from.
    public struct Configuration: Sendable {
        /// The port this station serves, as the intake's schedule names it.
        public var port: String
        /// The officer's id in check-in records (a station-local id, never a name).
        public var officer: String
        /// A gallery older than this is fetched again at the next lookup (best effort).
        public var galleryMaxAge: Duration
        public init(port: String, officer: String = "officer", galleryMaxAge: Duration = .seconds(300)) {
            self.port = port
            self.officer = officer
            self.galleryMaxAge = galleryMaxAge
        }
    }

    /// How the station reaches the intake: its signed uplink and its own keys.
    public struct Link: Sendable {
        public var uplink: HTTPUplink
        public var identity: DeviceIdentity
        public init(uplink: HTTPUplink, identity: DeviceIdentity) {
            self.uplink = uplink
            self.identity = identity
        }
    }

    private let configuration: Configuration
    /// Resolves the link; an embedded intake is reachable only once it listens and the
    /// station has enrolled with it.
    private let connect: @Sendable () async throws -> Link
    private var link: Link?
    private let queue: CheckInQueue
    private let policy: DecisionPolicy
    private let backend: ComparisonBackend?
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var gate: PINGate
    private var entries: [GalleryEntry] = []
    private var matcher: StationMatcher?
    private var fetchedAt: ContinuousClock.Instant?
    /// Codes checked in on this station since the gallery was fetched (the intake may not know yet).
    private var checkedIn: Set<String> = []

    public init(configuration: Configuration, link: Link, queue: CheckInQueue,
                pin: OfficerPIN, policy: DecisionPolicy, backend: ComparisonBackend?, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.init(configuration: configuration, connect: { link }, queue: queue, pin: pin, policy: policy,
                  backend: backend, logger: logger, now: now)
    }

    /// A station whose link is found later (`connect` is called until it succeeds).
    public init(configuration: Configuration, connect: @escaping @Sendable () async throws -> Link, queue: CheckInQueue,
                pin: OfficerPIN, policy: DecisionPolicy, backend: ComparisonBackend?, logger: Logger,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.connect = connect
        self.queue = queue
        self.gate = PINGate(pin: pin)
        self.policy = policy
        self.backend = backend
        self.logger = logger
        self.now = now
    }

    /// How many people today's gallery holds, and how many of them with a template.
    public var gallerySize: (appointments: Int, templates: Int) {
        (entries.count, entries.filter { $0.template != nil }.count)
    }

    public func verifyPIN(_ pin: String) async -> Bool {
        guard gate.check(pin, now: .now) else {
            logger.notice("wrong officer PIN")
            return false
        }
        // The officer starts a shift: bring the gallery up to date while they choose.
        do { try await refreshGallery() } catch {
            logger.warning("gallery not refreshed at unlock; using the last one", metadata: ["error": "\(error)"])
        }
        return true
    }

    /// Fetches today's gallery for this port, opens it with the station's key and rebuilds
    /// the matcher. On failure the previous gallery stays in use.
    public func refreshGallery() async throws {
        let (uplink, identity) = try await resolvedLink()
        let day = Self.day(now())
        let wire = try await uplink.gallery(port: configuration.port, day: day)
        let opened = try Sealing.open(wire.sealed, with: identity.sealingKey, purpose: .gallery,
                                      associatedData: Data("\(identity.deviceID)/\(wire.port)/\(wire.day)".utf8))
        let fetched = try WireCoding.decoder().decode([GalleryEntry].self, from: opened)
        let model = backend?.model ?? policy.calibration.model
        let matcher = try StationMatcher(gallery: Gallery(model: model), policy: policy, backend: backend)
        var skipped = 0
        for entry in fetched {
            guard let data = entry.template else { continue }
            do {
                try await matcher.add(try WireCoding.decoder().decode(FaceTemplate.self, from: data), for: entry.submissionID)
            } catch {
                // Another engine's template (or a damaged one): that person goes the documents' way.
                skipped += 1
            }
        }
        entries = fetched
        self.matcher = matcher
        fetchedAt = .now
        checkedIn = []
        logger.info("gallery fetched", metadata: ["port": "\(configuration.port)", "day": "\(day)",
                                                  "appointments": "\(fetched.count)", "unusable_templates": "\(skipped)"])
    }

    public func lookUp(_ query: PersonQuery) async throws -> AppointmentSummary? {
        if fetchedAt.map({ $0.duration(to: .now) > configuration.galleryMaxAge }) ?? true {
            do { try await refreshGallery() } catch {
                logger.warning("gallery not refreshed; using the last one", metadata: ["error": "\(error)"])
            }
        }
        let found = entries.first { entry in
            switch query {
            case .confirmationCode(let code):
                return ConfirmationCode.normalise(entry.confirmationCode) == ConfirmationCode.normalise(code)
            case .aNumber(let digits):
                return Self.aNumberDigits(entry.details.aNumber) == Self.aNumberDigits(digits)
            }
        }
        if let found, !checkedIn.contains(found.confirmationCode) {
            var template = false
            if found.template != nil, let matcher {
                // Only a template the matcher took counts: otherwise the documents decide.
                template = await matcher.holds(found.submissionID)
            }
            return AppointmentSummary(submissionID: found.submissionID, confirmationCode: found.confirmationCode,
                                      details: found.details, languageTag: found.languageTag, port: configuration.port,
                                      time: found.appointmentTime, hasTemplate: template, status: .pending)
        }
        // Not expected here today: the intake knows where it stands (another day or port,
        // already checked in, closed). Unreachable: the error reaches the log, the officer
        // sees "not found" and can take the documents' way.
        let uplink = try await resolvedLink().0
        let status: WireStatus
        switch query {
        case .confirmationCode(let code): status = try await uplink.status(code: code)
        case .aNumber(let digits): status = try await uplink.status(aNumber: digits)
        }
        let state: AppointmentStatus = switch status.state {
        case .pending: .pending
        case .checkedIn: .checkedIn
        case .closed: .closed
        case .notFound: .notFound
        }
        return AppointmentSummary(submissionID: UUID(), confirmationCode: status.confirmationCode ?? "",
                                  details: PersonDetails(), languageTag: "en", port: status.appointmentPort ?? "",
                                  time: status.appointmentTime, hasTemplate: false, status: state == .pending ? .elsewhere : state)
    }

    public func match(_ template: FaceTemplate, expected: UUID) async throws -> MatchDecision {
        guard let matcher else {
            throw MatchError(code: .notInGallery, operation: "match", file: nil, detail: "no gallery has been fetched yet")
        }
        return try await matcher.match(template, expected: expected)
    }

    public func record(_ checkIn: CheckInRecord) async throws {
        guard let entry = entries.first(where: { $0.submissionID == checkIn.submissionID }) else {
            throw MatchError(code: .notInGallery, operation: "record check-in", file: nil, detail: "the appointment is not in today's gallery")
        }
        let outcome: String = switch (checkIn.method, checkIn.outcome, checkIn.decision?.band) {
        case (_, .referred, _): "officer-review"
        case (.biographic, _, _): "photo-free"
        case (.photo, _, .match?): "match"
        default: "officer-review"
        }
        let wire = WireCheckIn(confirmationCode: entry.confirmationCode, time: checkIn.time, outcome: outcome, officer: configuration.officer)
        try queue.enqueue(wire, id: checkIn.id, createdAt: checkIn.time)
        checkedIn.insert(entry.confirmationCode)
        _ = try? await matcher?.remove(entry.submissionID)
        await flush()
    }

    private func resolvedLink() async throws -> (HTTPUplink, DeviceIdentity) {
        if let link { return (link.uplink, link.identity) }
        let found = try await connect()
        link = found
        return (found.uplink, found.identity)
    }

    /// Sends the waiting check-ins; returns how many still wait.
    @discardableResult
    public func flush() async -> Int {
        guard let uplink = try? await resolvedLink().0 else { return queue.pending().count }
        return await queue.flush(logger: logger) { body in
            try await uplink.send(method: .POST, path: WirePath.checkIns, body: body).0
        }
    }

    static func day(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
    }

    static func aNumberDigits(_ text: String?) -> String? {
        guard let digits = text?.filter(\.isNumber), digits.count == 8 || digits.count == 9 else { return nil }
        return digits.count == 8 ? "0" + digits : digits
    }
}

/// Sends a port station's waiting check-ins every `interval` while the kiosk runs.
public struct CheckInForwarder: Service {
    let station: IntakePortStation
    let interval: Duration
    public init(station: IntakePortStation, interval: Duration = .seconds(15)) {
        self.station = station
        self.interval = interval
    }
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            await station.flush()
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
        }
    }
}

import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import WaysideCore
import WaysideWire

/// How the intake runs.
public struct IntakeConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` by default.
    public var host: String
    /// Port to bind; 0 picks a free port (tests).
    public var port: Int
    /// The bearer token `waysidectl enrol` must present to enrol a device.
    public var enrolmentToken: String
    /// Largest request body accepted, in bytes (a photo, a template and details fit in 2 MiB).
    public var maxBodyBytes: Int
    /// A signed request older or newer than this, in seconds, is refused as a possible replay.
    public var replayWindow: TimeInterval
    /// Ports and appointment rules.
    public var schedule: Schedule
    /// How long biometric data is kept.
    public var retention: RetentionPolicy
    /// How often the retention purge runs.
    public var purgeInterval: Duration

    /// Makes a configuration.
    public init(host: String = "127.0.0.1", port: Int = 8080, enrolmentToken: String, maxBodyBytes: Int = 2 << 20,
                replayWindow: TimeInterval = 300, schedule: Schedule = Schedule(ports: []),
                retention: RetentionPolicy = .init(), purgeInterval: Duration = .seconds(3600)) {
        self.host = host
        self.port = port
        self.enrolmentToken = enrolmentToken
        self.maxBodyBytes = maxBodyBytes
        self.replayWindow = replayWindow
        self.schedule = schedule
        self.retention = retention
        self.purgeInterval = purgeInterval
    }
}

/// Builds the intake's HTTP application. Run it with `runService()` or put it in a
/// `ServiceGroup`; with `port: 0` the bound port is passed to `onServerRunning`.
///
/// - Parameters:
///   - storage: where submissions live; migrated before the server starts.
///   - keys: the intake's sealing and lookup keys.
///   - now: the wall clock for the replay window and timestamps (tests move it).
///   - onServerRunning: called with the bound port once the server listens.
public func buildApplication(
    configuration: IntakeConfiguration,
    storage: any IntakeStorage,
    keys: IntakeKeys,
    now: @escaping @Sendable () -> Date = Date.init,
    logger: Logger = Logger(label: "wayside.intake"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try await storage.migrate()
    let handlers = IntakeHandlers(configuration: configuration, storage: storage, keys: keys, now: now, logger: logger)
    let router = Router(context: BasicRequestContext.self)
    router.post(RouterPath(WirePath.devices)) { request, _ in await handlers.respond { try await handlers.enrol(request) } }
    router.get(RouterPath(WirePath.sealingKey)) { _, _ in await handlers.respond { try handlers.sealingKey() } }
    router.post(RouterPath(WirePath.submissions)) { request, _ in await handlers.respond { try await handlers.submit(request) } }
    router.get(RouterPath(WirePath.status)) { request, _ in await handlers.respond { try await handlers.status(request) } }
    router.post(RouterPath(WirePath.appointments + "/:code/cancel")) { request, context in
        await handlers.respond { try await handlers.cancel(request, code: context.parameters.get("code") ?? "") }
    }
    router.post(RouterPath(WirePath.appointments + "/:code/reschedule")) { request, context in
        await handlers.respond { try await handlers.reschedule(request, code: context.parameters.get("code") ?? "") }
    }
    router.get(RouterPath(WirePath.gallery)) { request, _ in await handlers.respond { try await handlers.gallery(request) } }
    router.post(RouterPath(WirePath.checkIns)) { request, _ in await handlers.respond { try await handlers.checkIn(request) } }
    router.get(RouterPath(WirePath.statusPage)) { _, _ in await handlers.respond { try await handlers.statusPage() } }
    let retention = RetentionService(storage: storage, policy: configuration.retention, interval: configuration.purgeInterval,
                                     clock: ContinuousClock(), now: now, logger: logger)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "wayside-intake"),
        services: [retention],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// A refusal with its HTTP status and a wire problem body.
struct Refusal: Error {
    var status: HTTPResponse.Status
    var problem: WireProblem
    init(_ status: HTTPResponse.Status, _ code: String, _ detail: String) {
        self.status = status
        self.problem = WireProblem(error: code, detail: detail)
    }
}

/// The request handlers, apart from routing so each reads as one story.
struct IntakeHandlers: Sendable {
    let configuration: IntakeConfiguration
    let storage: any IntakeStorage
    let keys: IntakeKeys
    let now: @Sendable () -> Date
    let logger: Logger

    func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let r as Refusal {
            return json(r.problem, status: r.status)
        } catch {
            logger.error("request failed", metadata: ["error": "\(error)"])
            return json(WireProblem(error: "internal", detail: "the intake failed; the request may be retried"), status: .internalServerError)
        }
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let data = (try? WireCoding.encoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func body(_ request: Request) async throws -> Data {
        do {
            return Data(try await request.body.collect(upTo: configuration.maxBodyBytes).readableBytesView)
        } catch {
            throw Refusal(.contentTooLarge, "too-large", "the body exceeds \(configuration.maxBodyBytes) bytes")
        }
    }

    func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    /// Checks the device signature and the replay window; returns the device.
    func authenticate(_ request: Request, body: Data, role: DeviceRole?) async throws -> EnrolledDevice {
        guard let deviceID = header(request, SignatureHeader.device), let timeText = header(request, SignatureHeader.time),
              let digest = header(request, SignatureHeader.bodyDigest), let signature = header(request, SignatureHeader.signature) else {
            throw Refusal(.unauthorized, "unsigned", "the request carries no device signature; is the device enrolled?")
        }
        guard let time = Int64(timeText) else { throw Refusal(.unauthorized, "bad-time", "wayside-time is not a number of seconds") }
        let skew = abs(now().timeIntervalSince1970 - Double(time))
        guard skew <= configuration.replayWindow else {
            throw Refusal(.unauthorized, "stale-request", "the request was signed \(Int(skew)) s away from the intake's time (window \(Int(configuration.replayWindow)) s): a replay, or the device clock is wrong")
        }
        guard digest == RequestSigning.digest(body) else {
            throw Refusal(.badRequest, "digest-mismatch", "the body does not match wayside-body-sha256")
        }
        guard let device = try await storage.device(deviceID),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: device.signingKey) else {
            throw Refusal(.unauthorized, "unknown-device", "device \(deviceID) is not enrolled; run `waysidectl enrol`")
        }
        guard RequestSigning.verify(signature: signature, method: request.method.rawValue, path: request.uri.string,
                                    bodyDigest: digest, time: time, deviceID: deviceID, publicKey: key) else {
            throw Refusal(.unauthorized, "bad-signature", "the signature does not verify with the device's enrolled key")
        }
        if let role, device.role != role {
            throw Refusal(.forbidden, "wrong-role", "this request is for \(role.rawValue) devices; \(deviceID) is a \(device.role.rawValue)")
        }
        return device
    }

    // MARK: Enrolment

    func enrol(_ request: Request) async throws -> Response {
        let body = try await body(request)
        let expected = Data("Bearer \(configuration.enrolmentToken)".utf8)
        let given = Data((header(request, "authorization") ?? "").utf8)
        // Compare digests so the comparison takes the same time whatever the token.
        guard !configuration.enrolmentToken.isEmpty, SHA256.hash(data: given) == SHA256.hash(data: expected) else {
            throw Refusal(.unauthorized, "bad-token", "enrolment needs the operator's enrolment token (Authorization: Bearer ...)")
        }
        guard let e = try? WireCoding.decoder().decode(WireEnrolment.self, from: body) else {
            throw Refusal(.badRequest, "malformed", "the body is not an enrolment request (see openapi.yaml)")
        }
        let validID = !e.deviceID.isEmpty && e.deviceID.count <= 64 && e.deviceID.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        guard validID else { throw Refusal(.badRequest, "bad-device-id", "a device id is 1 to 64 ASCII letters, digits, '-' or '.'") }
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: e.signingKey)) != nil else {
            throw Refusal(.badRequest, "bad-key", "signingKey is not a 32-byte Ed25519 public key")
        }
        if let s = e.sealingKey, (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: s)) == nil {
            throw Refusal(.badRequest, "bad-key", "sealingKey is not a 32-byte X25519 public key")
        }
        try await storage.enrol(EnrolledDevice(id: e.deviceID, role: e.role, signingKey: e.signingKey, sealingKey: e.sealingKey, enrolledAt: now()))
        try await storage.audit(AuditEntry(at: now(), actor: "operator", action: "enrol", subject: e.deviceID))
        logger.info("device enrolled", metadata: ["device": "\(e.deviceID)", "role": "\(e.role.rawValue)"])
        return json(WireEnrolmentAccepted(deviceID: e.deviceID, intakeSealingKey: keys.sealingKey.publicKey.rawRepresentation), status: .created)
    }

    func sealingKey() throws -> Response {
        json(["intakeSealingKey": keys.sealingKey.publicKey.rawRepresentation], status: .ok)
    }

    // MARK: Submissions

    func submit(_ request: Request) async throws -> Response {
        let body = try await body(request)
        let device = try await authenticate(request, body: body, role: .shelter)
        guard let envelope = try? WireCoding.decoder().decode(WireSubmission.self, from: body) else {
            throw Refusal(.badRequest, "malformed", "the body is not a sealed submission (see openapi.yaml)")
        }
        // Idempotency first: a redelivery is answered from storage without opening the seal again.
        if let known = try await storage.receipt(for: envelope.id, deviceID: device.id) {
            return try outcome(known, envelope: envelope)
        }
        let plaintext: Data
        do {
            plaintext = try Sealing.open(envelope.sealed, with: keys.sealingKey, purpose: .submission, associatedData: Data(envelope.id.uuidString.utf8))
        } catch {
            throw Refusal(.unprocessableContent, "unsealable", "the submission is not sealed to this intake's key; enrol the kiosk again to fetch the current key")
        }
        guard let submission = try? WireCoding.decoder().decode(Submission.self, from: plaintext), submission.id == envelope.id else {
            throw Refusal(.unprocessableContent, "bad-content", "the sealed content is not a submission with this id")
        }
        let details = try WireCoding.encoder().encode(StoredDetails(details: submission.details, consent: submission.consent))
        let template = try submission.template.map { try WireCoding.encoder().encode($0) }
        // The code is the one the kiosk already showed and spoke, derived from the submission
        // id: a person who left with an offline receipt holds the code the intake files it under.
        // Only if another request already holds that code (40 bits: rare, but possible over
        // years of submissions) is a fresh one drawn; the receipt then carries it to the kiosk.
        var code = WaysideCore.ConfirmationCode.make(for: submission.id)
        if try await storage.status(code: code).state != .notFound,
           try await storage.receipt(for: submission.id, deviceID: device.id) == nil {
            logger.warning("a derived confirmation code is taken; drawing another", metadata: ["submission": "\(submission.id)"])
            code = WaysideWire.ConfirmationCode.random().value
        }
        let record = SubmissionRecord(
            id: submission.id, deviceID: device.id, createdAt: envelope.createdAt, receivedAt: now(),
            code: code, requestedPort: submission.details.port,
            aNumberDigest: submission.details.aNumber.flatMap { $0.isEmpty ? nil : keys.aNumberDigest($0) },
            details: details, template: template, photo: submission.photoJPEG)
        let result = try await storage.insert(record, schedule: configuration.schedule)
        logger.info("submission stored", metadata: ["submission": "\(submission.id)", "device": "\(device.id)"])
        return try outcome(result, envelope: envelope)
    }

    func outcome(_ outcome: InsertOutcome, envelope: WireSubmission) throws -> Response {
        switch outcome {
        case .inserted(let r): return json(r, status: .created)
        case .existing(let r): return json(r, status: .ok)
        case .conflict: throw Refusal(.conflict, "id-conflict", "submission \(envelope.id) was already sent by another device")
        }
    }

    // MARK: Appointments

    func status(_ request: Request) async throws -> Response {
        let device = try await authenticate(request, body: try await body(request), role: nil)
        let query = request.uri.queryParameters
        let result: WireStatus
        if let code = query["code"] {
            guard let parsed = ConfirmationCode(parsing: String(code)) else {
                throw Refusal(.badRequest, "bad-code", "the confirmation code's check character does not match; check the code for a typo")
            }
            result = try await storage.status(code: parsed.value)
        } else if let aNumber = query["a-number"], !aNumber.isEmpty {
            result = try await storage.status(aNumberDigest: keys.aNumberDigest(String(aNumber)))
        } else {
            throw Refusal(.badRequest, "missing-query", "give ?code= or ?a-number=")
        }
        try await storage.audit(AuditEntry(at: now(), actor: device.id, action: "status-lookup", subject: result.confirmationCode ?? "not-found"))
        return json(result, status: .ok)
    }

    func parsedCode(_ code: String) throws -> String {
        guard let parsed = ConfirmationCode(parsing: code) else {
            throw Refusal(.badRequest, "bad-code", "the confirmation code's check character does not match; check the code for a typo")
        }
        return parsed.value
    }

    func cancel(_ request: Request, code: String) async throws -> Response {
        let device = try await authenticate(request, body: try await body(request), role: nil)
        let c = try parsedCode(code)
        guard try await storage.cancel(code: c, at: now()) else {
            throw Refusal(.notFound, "no-open-appointment", "no open appointment has this code")
        }
        try await storage.audit(AuditEntry(at: now(), actor: device.id, action: "cancel", subject: c))
        return json(try await storage.status(code: c), status: .ok)
    }

    func reschedule(_ request: Request, code: String) async throws -> Response {
        let body = try await body(request)
        let device = try await authenticate(request, body: body, role: nil)
        let c = try parsedCode(code)
        guard let r = try? WireCoding.decoder().decode(WireReschedule.self, from: body), let day = Allocator.time(day: r.notBefore, slot: "00:00") else {
            throw Refusal(.badRequest, "malformed", "give {\"notBefore\": \"YYYY-MM-DD\"}")
        }
        let status = try await storage.reschedule(code: c, notBefore: max(day, Allocator.dayStart(now(), plus: configuration.schedule.leadDays)), schedule: configuration.schedule)
        guard status.state == .pending else { throw Refusal(.notFound, "no-open-appointment", "no open appointment has this code") }
        try await storage.audit(AuditEntry(at: now(), actor: device.id, action: "reschedule", subject: c))
        return json(status, status: .ok)
    }

    // MARK: Port stations

    func gallery(_ request: Request) async throws -> Response {
        let device = try await authenticate(request, body: try await body(request), role: .port)
        guard let port = request.uri.queryParameters["port"].map(String.init) else {
            throw Refusal(.badRequest, "missing-query", "give ?port=")
        }
        guard let raw = device.sealingKey, let stationKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw Refusal(.forbidden, "no-station-key", "the station enrolled without a sealing key; enrol it again")
        }
        let day = request.uri.queryParameters["day"].map(String.init) ?? Allocator.day(now())
        let entries = try await storage.gallery(port: port, day: day).compactMap { row -> GalleryEntry? in
            guard let stored = try? WireCoding.decoder().decode(StoredDetails.self, from: row.details) else {
                logger.error("a stored submission's details do not decode; left out of the gallery", metadata: ["submission": "\(row.submissionID)"])
                return nil
            }
            return GalleryEntry(confirmationCode: row.code, submissionID: row.submissionID, appointmentTime: row.appointmentTime,
                                languageTag: stored.consent.languageTag, details: stored.details, template: row.template)
        }
        let plaintext = try WireCoding.encoder().encode(entries)
        let sealed = try Sealing.seal(plaintext, to: stationKey, purpose: .gallery, associatedData: Data("\(device.id)/\(port)/\(day)".utf8))
        try await storage.audit(AuditEntry(at: now(), actor: device.id, action: "gallery-read", subject: "\(port)/\(day) (\(entries.count))"))
        return json(WireGallery(port: port, day: day, sealed: sealed), status: .ok)
    }

    func checkIn(_ request: Request) async throws -> Response {
        let body = try await body(request)
        let device = try await authenticate(request, body: body, role: .port)
        guard let envelope = try? WireCoding.decoder().decode(WireSubmission.self, from: body) else {
            throw Refusal(.badRequest, "malformed", "the body is not a sealed check-in")
        }
        guard let plaintext = try? Sealing.open(envelope.sealed, with: keys.sealingKey, purpose: .checkIn, associatedData: Data(envelope.id.uuidString.utf8)),
              let record = try? WireCoding.decoder().decode(WireCheckIn.self, from: plaintext) else {
            throw Refusal(.unprocessableContent, "unsealable", "the check-in is not sealed to this intake's key")
        }
        let c = try parsedCode(record.confirmationCode)
        let changed = try await storage.checkIn(code: c, at: record.time)
        try await storage.audit(AuditEntry(at: now(), actor: device.id, action: "check-in", subject: c))
        let status = try await storage.status(code: c)
        guard changed || status.state == .checkedIn else { throw Refusal(.notFound, "no-open-appointment", "no open appointment has this code") }
        return json(status, status: .ok)
    }

    // MARK: Operators

    func statusPage() async throws -> Response {
        let today = Allocator.day(now())
        let s = try await storage.summary(day: today)
        let html = StatusPage.render(summary: s, day: today, now: now())
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The person's details and consent as stored (the biometric parts are kept apart).
struct StoredDetails: Codable {
    var details: PersonDetails
    var consent: ConsentRecord
}

import Foundation
import Logging
import ServiceLifecycle
import WaysideBoard
import WaysideCore
import Crypto
import WaysideIntake
import WaysideStation
import WaysideStore
import WaysideUplink
import WaysideWire

/// Where a kiosk's submissions go: the sealed outbox in the board's data directory, and
/// the services that forward it to the intake.
///
/// The data directory holds what `waysidectl enrol` writes there (device.key,
/// enrolment.json) and `outbox.sqlite`, so `waysidectl outbox` reads the same files.
/// `intake.url = "embedded"` (the sim and laptop boards) starts an intake inside the
/// kiosk process, on 127.0.0.1 and a free port, with its SQLite database and key in
/// `<data>/embedded-intake`: the whole path a submission travels, sealed, signed,
/// acknowledged, with no second program to start.
struct UplinkAssembly {
    /// The sealed outbox the kiosk commits to.
    var outbox: SealedOutbox
    /// The embedded intake (if any) and the forwarder, to run beside the kiosk.
    var services: [any Service]
    /// The key everything is sealed to.
    var intakeKey: Curve25519.KeyAgreement.PublicKey
    /// The embedded intake's address once it listens (nil with a remote intake).
    var embeddedAddress: IntakeAddress?
    /// A remote intake's signed link (nil with an embedded intake).
    private var remoteLink: IntakePortStation.Link?

    /// How a shelter kiosk asks the intake where a request stands: with its own enrolled key,
    /// once an embedded intake listens and the kiosk has enrolled (a few seconds at most).
    func statusLookup(data: String) -> IntakeStatusLookup {
        if let remoteLink { return IntakeStatusLookup { remoteLink.uplink } }
        let address = embeddedAddress!
        return IntakeStatusLookup {
            let (url, _) = try await address.wait()
            for _ in 0..<50 {
                if let identity = try? DeviceIdentity.load(from: data), (try? Enrolment.load(from: data)) != nil {
                    return HTTPUplink(baseURL: url, identity: identity, timeout: .seconds(8))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw UplinkError(.unreachable, "this kiosk has not enrolled with the embedded intake yet")
        }
    }

    /// How a port station in `data` reaches the intake. With the embedded intake the
    /// station enrols itself (role port, its own keys in `data`) once the intake listens.
    func stationConnect(data: String, deviceID: String) -> @Sendable () async throws -> IntakePortStation.Link {
        if let remoteLink { return { remoteLink } }
        let address = embeddedAddress!
        let expectedKey = intakeKey.rawRepresentation
        return {
            let (url, token) = try await address.wait()
            if let identity = try? DeviceIdentity.load(from: data), let enrolment = try? Enrolment.load(from: data),
               enrolment.intakeSealingKey == expectedKey {
                return .init(uplink: HTTPUplink(baseURL: url, identity: identity), identity: identity)
            }
            try? FileManager.default.removeItem(atPath: data + "/" + Enrolment.fileName)
            try? FileManager.default.removeItem(atPath: data + "/" + DeviceIdentity.keyFileName)
            let (identity, _) = try await Enroller.enrol(stateDirectory: data, intakeURL: url, token: token, deviceID: deviceID, role: .port)
            return .init(uplink: HTTPUplink(baseURL: url, identity: identity), identity: identity)
        }
    }

    init(profile: BoardProfile, logger: Logger) throws {
        let data = profile.dataDirectory
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw AssemblyError(key: "data_directory", detail: "cannot create \(data): \(error.localizedDescription)")
        }
        let role = DeviceRole(rawValue: profile.role.rawValue) ?? .shelter
        if profile.intake.url == "embedded" {
            try self.init(embeddedIn: data, role: role, boardName: profile.name, logger: logger)
        } else {
            try self.init(enrolledIn: data, intakeURL: profile.intake.url, logger: logger)
        }
    }

    /// A kiosk enrolled with a remote intake by `waysidectl enrol`.
    private init(enrolledIn data: String, intakeURL: String, logger: Logger) throws {
        let identity: DeviceIdentity, enrolment: Enrolment
        do {
            identity = try DeviceIdentity.load(from: data)
            enrolment = try Enrolment.load(from: data)
        } catch {
            throw AssemblyError(key: "intake.url", detail: """
                this kiosk is not enrolled with \(intakeURL) (\(error)); enrol it once with \
                `waysidectl enrol --state-dir \(data) --intake \(intakeURL) --token-file FILE --device-id NAME`
                """)
        }
        intakeKey = try enrolment.intakeKey()
        outbox = try SealedOutbox(path: data + "/outbox.sqlite", recipient: intakeKey)
        let uplink = HTTPUplink(baseURL: enrolment.intakeURL, identity: identity)
        remoteLink = .init(uplink: uplink, identity: identity)
        let forwarder = Forwarder(outbox: outbox, uplink: uplink, clock: ContinuousClock(), logger: Logger(label: "wayside.uplink"))
        services = [forwarder]
    }

    /// A kiosk with its own intake in the same process.
    private init(embeddedIn data: String, role: DeviceRole, boardName: String, logger: Logger) throws {
        let intakeDirectory = data + "/embedded-intake"
        try FileManager.default.createDirectory(atPath: intakeDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let keys = try IntakeKeys.loadOrCreate(in: intakeDirectory)
        // An enrolment with another intake's key (the embedded intake's folder was deleted)
        // would seal to a key nobody holds: start the device afresh.
        if let enrolment = try? Enrolment.load(from: data),
           enrolment.intakeSealingKey != keys.sealingKey.publicKey.rawRepresentation {
            logger.warning("the embedded intake has a new key; enrolling this kiosk again", metadata: ["data": "\(data)"])
            try? FileManager.default.removeItem(atPath: data + "/" + Enrolment.fileName)
            try? FileManager.default.removeItem(atPath: data + "/" + DeviceIdentity.keyFileName)
        }
        intakeKey = keys.sealingKey.publicKey
        outbox = try SealedOutbox(path: data + "/outbox.sqlite", recipient: intakeKey)

        // The port schedule the person picks from; every port has four slots a day.
        let ports = ShelterFlow.Options().ports.map {
            PortSchedule(port: $0, dailyCapacity: 200, slots: ["08:00", "10:00", "13:00", "15:00"])
        }
        let token = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        // Appointments from today on (a real intake books a day ahead): the sim's port
        // check-in follows its shelter visit at once, on today's gallery.
        let configuration = IntakeConfiguration(host: "127.0.0.1", port: 0, enrolmentToken: token,
                                                schedule: Schedule(ports: ports, leadDays: 0))
        let storage = try SQLiteStorage(path: intakeDirectory + "/intake.sqlite")
        let address = IntakeAddress()
        embeddedAddress = address
        let intake = EmbeddedIntake(configuration: configuration, storage: storage, keys: keys) { port in
            await address.set(url: "http://127.0.0.1:\(port)", token: token)
        }
        let uplink = EmbeddedUplink(address: address, data: data, role: role,
                                    deviceID: "\(boardName)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))", outbox: outbox)
        services = [intake, uplink]
    }
}

/// The intake service running inside the kiosk process (sim and laptop boards).
struct EmbeddedIntake: Service {
    let configuration: IntakeConfiguration
    let storage: SQLiteStorage
    let keys: IntakeKeys
    let onListening: @Sendable (Int) async -> Void

    func run() async throws {
        let logger = Logger(label: "wayside.intake")
        let app = try await buildApplication(configuration: configuration, storage: storage, keys: keys,
                                             logger: logger, onServerRunning: onListening)
        try await app.run()
    }
}

/// Waits for the embedded intake to listen, enrols the kiosk with it on first start, then
/// forwards the outbox to it.
struct EmbeddedUplink: Service {
    let address: IntakeAddress
    let data: String
    let role: DeviceRole
    let deviceID: String
    let outbox: SealedOutbox

    func run() async throws {
        let logger = Logger(label: "wayside.uplink")
        // Until the intake listens there is nothing to forward to; a shutdown ends the wait.
        guard let (url, token) = try? await cancelWhenGracefulShutdown({ try await address.wait() }) else { return }
        let identity: DeviceIdentity
        if let known = try? DeviceIdentity.load(from: data), (try? Enrolment.load(from: data)) != nil {
            identity = known
        } else {
            try? FileManager.default.removeItem(atPath: data + "/" + DeviceIdentity.keyFileName)
            (identity, _) = try await Enroller.enrol(stateDirectory: data, intakeURL: url, token: token,
                                                     deviceID: deviceID, role: role)
            logger.info("enrolled with the embedded intake", metadata: ["device": "\(deviceID)"])
        }
        // A short poll: the person is waiting at the screen for the intake's receipt.
        let forwarder = Forwarder(outbox: outbox, uplink: HTTPUplink(baseURL: url, identity: identity),
                                  clock: ContinuousClock(), policy: RetryPolicy(pollInterval: .milliseconds(250)),
                                  logger: logger)
        try await forwarder.run()
    }
}

/// The embedded intake's URL and enrolment token, once it listens; whoever needs them waits.
actor IntakeAddress {
    private var known: (url: String, token: String)?

    func set(url: String, token: String) { known = (url, token) }

    /// Waits (cancellably: a shutdown before the intake listens must not hang) for the address.
    func wait() async throws -> (String, String) {
        while true {
            if let known { return known }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

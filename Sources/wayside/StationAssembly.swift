import Crypto
import Foundation
import Logging
import WaysideBoard
import WaysideMatch
import WaysideStation
import WaysideStore

/// Builds a port station's services: the officer's PIN from the data directory, the
/// calibrated comparison back-end from `Models/`, and the sealed check-in queue.
enum StationAssembly {
    /// Where the trained comparison back-end is looked for, in order: the working directory
    /// (a source checkout), beside an installed binary, the system share, and the checkout a
    /// development build sits in (`.build/release/wayside`).
    static func modelsSearchPath() -> [String] {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        return [
            FileManager.default.currentDirectoryPath + "/Models",
            executable.appendingPathComponent("../share/wayside/Models").standardized.path,
            "/usr/share/wayside/Models",
            executable.appendingPathComponent("../../Models").standardized.path,
        ]
    }

    /// The station over `connect`, for the board's data directory `data`.
    static func make(port: String, officer: String, data: String, intakeKey: Curve25519.KeyAgreement.PublicKey,
                     connect: @escaping @Sendable () async throws -> IntakePortStation.Link, logger: Logger) throws -> IntakePortStation {
        let pin: OfficerPIN
        do { pin = try OfficerPIN.load(from: data) } catch {
            throw AssemblyError(key: "station", detail: "\(error)")
        }
        let fileName = "comparison-backend.json"
        let candidates = modelsSearchPath()
        guard let path = candidates.map({ $0 + "/" + fileName }).first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw AssemblyError(key: "station", detail: "\(fileName) not found in \(candidates.joined(separator: ", ")); "
                                + "it ships in the repository's Models/ (made by `waysidectl train comparison`)")
        }
        let policy: DecisionPolicy, backend: ComparisonBackend
        do {
            let loaded = try ComparisonBackendFile.load(from: path, for: LFWTemplates.model)
            policy = try DecisionPolicy(calibration: loaded.file.calibration)
            backend = loaded.backend
        } catch {
            throw AssemblyError(key: "station", detail: "\(error)")
        }
        let queue: CheckInQueue
        do { queue = try CheckInQueue(directory: data + "/check-ins", intakeKey: intakeKey) } catch {
            throw AssemblyError(key: "data_directory", detail: "\(error)")
        }
        logger.info("port station ready", metadata: ["port": "\(port)", "comparison": "\(path)",
                                                     "check_ins_waiting": "\(queue.pending().count)"])
        return IntakePortStation(configuration: .init(port: port, officer: officer), connect: connect, queue: queue,
                                 pin: pin, policy: policy, backend: backend, logger: logger)
    }
}

import ArgumentParser
import Foundation
import WaysideStore
import WaysideUplink
import WaysideWire

/// `waysidectl enrol`: makes this device's keys and registers it with an intake.
struct EnrolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol",
        abstract: "Make this device's keys and register it with an intake.",
        discussion: """
            Writes device.key (mode 0600) and enrolment.json into --state-dir (made mode 0700).
            The private keys never leave the device; the intake receives the public halves.
            Refuses to replace an existing key: remove the state directory to enrol again.

            Example:
              waysidectl enrol --state-dir /var/lib/wayside --intake https://intake.example.org \\
                  --token-file /root/enrol.token --device-id shelter-tijuana-1 --role shelter
            """)

    @Option(help: "The device's state directory.")
    var stateDir: String = "/var/lib/wayside"

    @Option(help: "The intake's base URL.")
    var intake: String

    @Option(help: "File holding the operator's enrolment token.")
    var tokenFile: String

    @Option(help: "The id the intake will know this device by (letters, digits, '-', '.').")
    var deviceId: String

    @Option(help: "shelter (registration kiosk) or port (check-in station).")
    var role: String = "shelter"

    func run() async throws {
        guard let role = DeviceRole(rawValue: role) else { throw ValidationError("--role is shelter or port") }
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw ValidationError("cannot read the enrolment token from \(tokenFile)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let (identity, enrolment) = try await Enroller.enrol(stateDirectory: stateDir, intakeURL: intake, token: token, deviceID: deviceId, role: role)
        print("enrolled \(identity.deviceID) as \(enrolment.role.rawValue) with \(enrolment.intakeURL)")
        print("signing key (Ed25519, public): \(identity.signingKey.publicKey.rawRepresentation.base64EncodedString())")
    }
}

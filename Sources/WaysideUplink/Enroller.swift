import AsyncHTTPClient
import Foundation
import NIOCore
import WaysideCore
import WaysideStore
import WaysideWire

/// Enrols this device with an intake: makes its keys in the state directory, registers the
/// public halves with the operator's token, and records the intake's sealing key.
public enum Enroller {
    /// Enrols and returns the new identity and the enrolment record (both saved in `stateDirectory`).
    /// - Throws: ``StoreError`` `.alreadyEnrolled` if the directory already holds a key;
    ///   ``UplinkError`` when the intake cannot be reached or refuses the token.
    public static func enrol(stateDirectory: String, intakeURL: String, token: String, deviceID: String, role: DeviceRole,
                             client: HTTPClient = .shared) async throws -> (DeviceIdentity, Enrolment) {
        let identity: DeviceIdentity
        if (try? DeviceIdentity.load(from: stateDirectory)) != nil {
            throw StoreError(.alreadyEnrolled, operation: "enrol", path: stateDirectory + "/" + DeviceIdentity.keyFileName,
                             detail: "this device already has a key; remove the state directory first to enrol it anew")
        }
        identity = try DeviceIdentity.create(deviceID: deviceID, in: stateDirectory)
        let base = intakeURL.hasSuffix("/") ? String(intakeURL.dropLast()) : intakeURL
        let body = try WireCoding.encoder().encode(WireEnrolment(
            deviceID: deviceID, role: role, signingKey: identity.signingKey.publicKey.rawRepresentation,
            sealingKey: role == .port ? identity.sealingKey.publicKey.rawRepresentation : nil))
        var request = HTTPClientRequest(url: base + WirePath.devices)
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int, bytes: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw UplinkError(.unreachable, "cannot reach the intake at \(base): \(error)")
        }
        guard status == 201 || status == 200 else { throw HTTPUplink.error(status: status, body: Data(bytes.readableBytesView)) }
        let accepted: WireEnrolmentAccepted
        do { accepted = try WireCoding.decoder().decode(WireEnrolmentAccepted.self, from: Data(bytes.readableBytesView)) } catch {
            throw UplinkError(.serverError, "the intake's enrolment answer does not decode: \(error)")
        }
        let enrolment = Enrolment(deviceID: deviceID, role: role, intakeURL: base, intakeSealingKey: accepted.intakeSealingKey)
        _ = try enrolment.intakeKey()
        try enrolment.save(in: stateDirectory)
        return (identity, enrolment)
    }
}

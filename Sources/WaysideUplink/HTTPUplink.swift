import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WaysideCore
import WaysideStore
import WaysideWire

/// Delivers sealed submissions to the intake over HTTP(S) with AsyncHTTPClient, each
/// request signed by the device key (see ``RequestSigning``).
public struct HTTPUplink: Uplink {
    private let baseURL: String
    private let identity: DeviceIdentity
    private let client: HTTPClient
    private let timeout: TimeAmount
    private let now: @Sendable () -> Date

    /// Makes an uplink to `baseURL` (e.g. `https://intake.example.org`).
    /// - Parameters:
    ///   - client: the HTTP client; its owner shuts it down. `HTTPClient.shared` by default.
    ///   - timeout: the deadline for one request.
    ///   - now: the wall clock the signature's time comes from.
    public init(baseURL: String, identity: DeviceIdentity, client: HTTPClient = .shared,
                timeout: Duration = .seconds(30), now: @escaping @Sendable () -> Date = Date.init) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.identity = identity
        self.client = client
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        self.now = now
    }

    /// Posts `entry` to the intake and returns the receipt it gives back. Delivering the
    /// same entry again returns the same receipt (the id is the idempotency key).
    /// - Throws: ``UplinkError``: `.unreachable` and `.serverError` are worth retrying;
    ///   `.rejected` means the intake refused the request itself.
    public func deliver(_ entry: OutboxEntry) async throws -> Receipt {
        let body: Data
        do {
            body = try WireCoding.encoder().encode(WireSubmission(id: entry.id, createdAt: entry.createdAt, sealed: entry.sealed))
        } catch {
            throw UplinkError(.rejected, "cannot encode the envelope: \(error)")
        }
        let (status, responseBody) = try await send(method: .POST, path: WirePath.submissions, body: body)
        guard (200..<300).contains(status) else {
            throw Self.error(status: status, body: responseBody)
        }
        do {
            let r = try WireCoding.decoder().decode(WireReceipt.self, from: responseBody)
            guard r.submissionID == entry.id else {
                throw UplinkError(.serverError, "the intake acknowledged \(r.submissionID) for \(entry.id)")
            }
            return Receipt(submissionID: r.submissionID, confirmationCode: r.confirmationCode,
                           appointmentPort: r.appointmentPort, appointmentTime: r.appointmentTime)
        } catch let e as UplinkError {
            throw e
        } catch {
            throw UplinkError(.serverError, "the intake's receipt does not decode: \(error)")
        }
    }

    /// Looks up a request's status by confirmation code or A-Number (signed `GET`).
    public func status(code: String? = nil, aNumber: String? = nil) async throws -> WireStatus {
        var query: [String] = []
        if let code { query.append("code=\(Self.escape(code))") }
        if let aNumber { query.append("a-number=\(Self.escape(aNumber))") }
        let (status, body) = try await send(method: .GET, path: WirePath.status + "?" + query.joined(separator: "&"), body: Data())
        guard status == 200 else { throw Self.error(status: status, body: body) }
        do { return try WireCoding.decoder().decode(WireStatus.self, from: body) } catch {
            throw UplinkError(.serverError, "the intake's status does not decode: \(error)")
        }
    }

    /// A port's gallery for `day` (`YYYY-MM-DD`), still sealed to this station (signed `GET`).
    public func gallery(port: String, day: String) async throws -> WireGallery {
        let (status, body) = try await send(method: .GET, path: WirePath.gallery + "?port=\(Self.escape(port))&day=\(Self.escape(day))", body: Data())
        guard status == 200 else { throw Self.error(status: status, body: body) }
        do { return try WireCoding.decoder().decode(WireGallery.self, from: body) } catch {
            throw UplinkError(.serverError, "the intake's gallery does not decode: \(error)")
        }
    }

    /// Sends one signed request and returns the status and body.
    public func send(method: HTTPMethod, path: String, body: Data) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        let signed: [(String, String)]
        do {
            signed = try RequestSigning.headers(method: method.rawValue, path: path, body: body,
                                                time: Int64(now().timeIntervalSince1970), deviceID: identity.deviceID,
                                                key: identity.signingKey)
        } catch {
            throw UplinkError(.rejected, "cannot sign the request: \(error)")
        }
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        if !body.isEmpty {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch let e as UplinkError {
            throw e
        } catch {
            throw UplinkError(.unreachable, "cannot reach the intake at \(baseURL): \(error)")
        }
    }

    static func error(status: Int, body: Data) -> UplinkError {
        let problem = (try? WireCoding.decoder().decode(WireProblem.self, from: body)).map { "\($0.error): \($0.detail)" } ?? "no detail"
        switch status {
        case 408, 425, 429: return UplinkError(.serverError, "the intake asked to retry later (HTTP \(status))")
        case 400..<500: return UplinkError(.rejected, "the intake refused the request (HTTP \(status), \(problem))")
        default: return UplinkError(.serverError, "the intake failed (HTTP \(status), \(problem))")
        }
    }

    private static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_."))) ?? ""
    }
}

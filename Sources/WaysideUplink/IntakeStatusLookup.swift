import Foundation
import WaysideCore
import WaysideWire

/// A shelter kiosk's status lookup over the intake's signed `GET /v1/status`.
public struct IntakeStatusLookup: StatusLookup {
    /// The uplink, once there is one (an embedded intake listens only after start).
    let connect: @Sendable () async throws -> HTTPUplink

    public init(connect: @escaping @Sendable () async throws -> HTTPUplink) {
        self.connect = connect
    }

    public func status(code: String) async throws -> StatusAnswer {
        let found = try await connect().status(code: code)
        switch found.state {
        case .pending: return .pending(port: found.appointmentPort, time: found.appointmentTime)
        case .checkedIn: return .checkedIn
        case .closed: return .closed
        case .notFound: return .notFound
        }
    }
}

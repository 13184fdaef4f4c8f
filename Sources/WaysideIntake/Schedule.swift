import Foundation

/// A port's appointment schedule: how many people a day, in which slots.
public struct PortSchedule: Sendable, Equatable, Codable {
    /// The port's name as the kiosk offers it.
    public var port: String
    /// People a day.
    public var dailyCapacity: Int
    /// Slot start times, `HH:mm` in UTC; the day's capacity is spread evenly across them.
    public var slots: [String]
    /// Makes a schedule.
    public init(port: String, dailyCapacity: Int, slots: [String]) {
        self.port = port
        self.dailyCapacity = dailyCapacity
        self.slots = slots.isEmpty ? ["09:00"] : slots
    }
    /// People per slot (the last slots may get one fewer).
    func capacity(ofSlot index: Int) -> Int {
        let base = dailyCapacity / slots.count
        return base + (index < dailyCapacity % slots.count ? 1 : 0)
    }
}

/// All ports' schedules and the allocation rules.
public struct Schedule: Sendable, Equatable {
    /// The ports.
    public var ports: [PortSchedule]
    /// The earliest appointment is this many days after the submission arrives.
    public var leadDays: Int
    /// How far ahead to look for room.
    public var horizonDays: Int
    /// Makes a schedule.
    public init(ports: [PortSchedule], leadDays: Int = 1, horizonDays: Int = 60) {
        self.ports = ports
        self.leadDays = leadDays
        self.horizonDays = horizonDays
    }

    /// The schedule of `port`, if the intake serves it.
    public func port(_ name: String) -> PortSchedule? { ports.first { $0.port == name } }
}

/// What has been taken on one day at one port, for the allocator.
struct DayLoad: Sendable {
    /// People per slot index.
    var perSlot: [Int: Int] = [:]
    /// People per kiosk.
    var perDevice: [String: Int] = [:]
}

/// The allocation rule, shared by every storage so both give the same answers.
///
/// First come, first served, but fair across kiosks: on any day, one kiosk may take at
/// most its share of the day's capacity (capacity divided by the number of kiosks that
/// sent submissions in the last day), so a burst from one kiosk (a backlog draining after
/// an outage, say) cannot take every slot of a day while other kiosks are busy. Quiet
/// kiosks reserve nothing. Within a day, the least-filled slot is chosen, earliest first.
enum Allocator {
    /// The `YYYY-MM-DD` (UTC) of `date`.
    static func day(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// The start of the UTC day `offset` days after `date`'s.
    static func dayStart(_ date: Date, plus offset: Int) -> Date {
        let start = Calendar.utc.startOfDay(for: date)
        return Calendar.utc.date(byAdding: .day, value: offset, to: start) ?? start
    }

    /// Days to consider, in order.
    static func candidateDays(from date: Date, schedule: Schedule) -> [String] {
        (schedule.leadDays..<(schedule.leadDays + schedule.horizonDays)).map { day(dayStart(date, plus: $0)) }
    }

    /// Picks a day and slot, or nil when the horizon is full.
    static func allocate(port: PortSchedule, days: [String], loads: [String: DayLoad], deviceID: String, activeKiosks: Int) -> (day: String, slot: Int, time: Date)? {
        let share = Int((Double(port.dailyCapacity) / Double(max(1, activeKiosks))).rounded(.up))
        for d in days {
            let load = loads[d] ?? DayLoad()
            if (load.perDevice[deviceID] ?? 0) >= share { continue }
            var best: (index: Int, taken: Int)?
            for i in port.slots.indices {
                let taken = load.perSlot[i] ?? 0
                guard taken < port.capacity(ofSlot: i) else { continue }
                if let b = best, taken >= b.taken { continue }
                best = (i, taken)
            }
            if let best, let time = time(day: d, slot: port.slots[best.index]) {
                return (d, best.index, time)
            }
        }
        return nil
    }

    /// The instant of `slot` (`HH:mm` UTC) on `day`.
    static func time(day: String, slot: String) -> Date? {
        let dp = day.split(separator: "-").compactMap { Int($0) }
        let tp = slot.split(separator: ":").compactMap { Int($0) }
        guard dp.count == 3, tp.count == 2 else { return nil }
        return Calendar.utc.date(from: DateComponents(year: dp[0], month: dp[1], day: dp[2], hour: tp[0], minute: tp[1]))
    }
}

extension Calendar {
    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = .gmt
        return c
    }()
}

extension PortSchedule {
    /// Parses `NAME:CAPACITY:HH:MM[,HH:MM...]`, the daemon's `--port-schedule` form.
    public init?(parsing spec: String) {
        let parts = spec.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let capacity = Int(parts[1]), capacity > 0 else { return nil }
        let slots = parts[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !slots.isEmpty, slots.allSatisfy({ Allocator.time(day: "2000-01-01", slot: $0) != nil }) else { return nil }
        self.init(port: String(parts[0]), dailyCapacity: capacity, slots: slots)
    }
}

public import Foundation
public import WebAPI

/// When a job is due next. Pure: computed from the service clock's time.
public enum JobSchedule: Sendable, Equatable {
    /// Every `seconds`, first at start.
    case every(seconds: Int)
    /// Once a day at `hour`:`minute` in `timeZone` (an IANA name).
    case daily(hour: Int, minute: Int, timeZone: String)

    /// The first due time of a job seen for the first time at `now`.
    public func firstDue(now: Date) -> Date {
        switch self {
        case .every: now
        case .daily: next(after: now)
        }
    }

    /// The next due time strictly after `now`; a job that was down for days runs once, not once per missed day.
    public func next(after now: Date) -> Date {
        switch self {
        case .every(let seconds):
            return now.addingTimeInterval(TimeInterval(max(seconds, 1)))
        case .daily(let hour, let minute, let zone):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: zone) ?? .gmt
            let today = calendar.date(bySettingHour: hour, minute: minute, second: 0, of: now) ?? now
            if today > now { return today }
            return calendar.date(byAdding: .day, value: 1, to: today) ?? now.addingTimeInterval(86_400)
        }
    }
}

/// Time-dependent work of a service (auto-charge, statements, installments due, pruning). It runs in one
/// `Change` — rows, events and audit lines commit together with the record that it ran.
public struct ScheduledJob: Sendable {
    public var name: String
    public var schedule: JobSchedule
    /// `change.now` is the service clock's time; `dueAt` the time the run was due.
    public var run: @Sendable (_ dueAt: Date, _ change: inout Change) async throws -> Void

    public init(name: String, schedule: JobSchedule,
                run: @escaping @Sendable (_ dueAt: Date, _ change: inout Change) async throws -> Void) {
        self.name = name
        self.schedule = schedule
        self.run = run
    }
}

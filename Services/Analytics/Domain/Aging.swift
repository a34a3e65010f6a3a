import Contracts
import Foundation

/// The age of what a patient owes, counted from the date of service, in the buckets practices report.
public enum AgingBucket: String, CaseIterable, Codable, Sendable {
    case current = "0-30"
    case days31to60 = "31-60"
    case days61to90 = "61-90"
    case over90 = "90+"

    /// The bucket of an amount from `serviceDate`, seen on `today`. Future-dated charges are current.
    public static func of(serviceDate: CalendarDate, today: CalendarDate) -> AgingBucket {
        let days = daysBetween(serviceDate, today)
        switch days {
        case ...30: return .current
        case 31...60: return .days31to60
        case 61...90: return .days61to90
        default: return .over90
        }
    }

    static func daysBetween(_ from: CalendarDate, _ to: CalendarDate) -> Int {
        func noon(_ day: CalendarDate) -> Date { Timestamp("\(day)T12:00:00Z")!.date }
        return Int((noon(to).timeIntervalSince(noon(from)) / 86_400).rounded())
    }
}

/// What the practice is owed in one currency, in total and by age.
public struct ReceivablesSummary: Codable, Equatable, Sendable {
    public var currency: String
    public var total: Money
    public var patientsWithBalance: Int
    public var aging: [BucketAmount]

    public struct BucketAmount: Codable, Equatable, Sendable {
        public var bucket: AgingBucket
        public var amount: Money
    }

    /// Adds up open charges by bucket; every bucket is listed, in order, even when zero.
    public static func aging(of openCharges: [(serviceDate: CalendarDate, amount: Int64)], currency: String,
                             today: CalendarDate) -> [BucketAmount] {
        var sums = Dictionary(uniqueKeysWithValues: AgingBucket.allCases.map { ($0, Int64(0)) })
        for charge in openCharges {
            sums[AgingBucket.of(serviceDate: charge.serviceDate, today: today), default: 0] += charge.amount
        }
        return AgingBucket.allCases.map { BucketAmount(bucket: $0, amount: Money(amount: sums[$0]!, currency: currency)) }
    }
}

/// One patient's open items in one currency, with credits applied the way practices age them: a credit
/// (write-off, discount, later a payment) pays the oldest items first. Pure.
public struct PatientItems: Sendable {
    /// Charges, and other changes that raised the balance, dated.
    public var items: [(date: CalendarDate, amount: Int64)] = []
    /// The sum of what lowered the balance other than voids (positive).
    public var credits: Int64 = 0

    public init() {}

    /// What is still open after the credits, oldest first; a credit beyond every item is left out (a
    /// credit balance is not aged).
    public func open() -> [(serviceDate: CalendarDate, amount: Int64)] {
        var remaining = credits
        var open: [(serviceDate: CalendarDate, amount: Int64)] = []
        for item in items.sorted(by: { $0.date < $1.date }) {
            let paid = min(max(remaining, 0), item.amount)
            remaining -= paid
            if item.amount - paid > 0 { open.append((item.date, item.amount - paid)) }
        }
        return open
    }
}

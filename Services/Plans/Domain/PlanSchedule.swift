import Contracts
import Foundation

/// How often a plan's installments fall due.
enum PaymentFrequency: String, Codable, Sendable, CaseIterable {
    case weekly = "WEEKLY"
    case biweekly = "BIWEEKLY"
    case monthly = "MONTHLY"

    /// Periods in a year, for the APR's periodic rate.
    var periodsPerYear: Int {
        switch self {
        case .weekly: 52
        case .biweekly: 26
        case .monthly: 12
        }
    }

    /// The date `periods` periods after `start`. Monthly dates fall on `dayOfMonth` (the plan's day,
    /// by default the start's) clamped to the month's end (Jan 31 → Feb 28/29 → Mar 31): each date is
    /// computed from the start, never from the previous date, so a short month does not pull later dates in.
    func date(_ periods: Int, after start: CalendarDate, dayOfMonth: Int? = nil) -> CalendarDate {
        switch self {
        case .weekly: start.adding(days: 7 * periods)
        case .biweekly: start.adding(days: 14 * periods)
        case .monthly: start.adding(months: periods, day: dayOfMonth ?? start.day)
        }
    }

    /// About how many months `count` installments span (for the policy's maximum term).
    func months(for count: Int) -> Int {
        switch self {
        case .monthly: count
        case .biweekly: (count * 12 + 25) / 26
        case .weekly: (count * 12 + 51) / 52
        }
    }
}

/// One amount due on a plan: installment 1…n, or number 0 for the down payment.
struct ScheduledPayment: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        /// Not yet due or not yet asked for.
        case scheduled = "SCHEDULED"
        /// Asked of payments (autopay); waiting for its answer.
        case requested = "REQUESTED"
        case paid = "PAID"
        /// Its charge failed for good, or it went unpaid past the grace days. Still owed.
        case missed = "MISSED"
        /// The plan was cancelled or paid off before it fell due.
        case cancelled = "CANCELLED"
    }

    /// Unique per plan and amount (payments charges each id once): a recalculated installment gets a new id.
    var id: String
    var number: Int
    var dueDate: CalendarDate
    /// Principal plus interest.
    var amount: Int64
    var principal: Int64
    var interest: Int64
    var paid: Int64 = 0
    var status: Status = .scheduled
    var paidAt: Date? = nil
    var missedAt: Date? = nil
    /// Days after the due date it was paid (0 on time); nil while unpaid.
    var daysLate: Int? = nil

    var isDownPayment: Bool { number == 0 }
    var owed: Int64 { status == .cancelled ? 0 : amount - paid }
    var isOpen: Bool { status == .scheduled || status == .requested || status == .missed }
    /// Not yet asked for and nothing paid on it: a change of terms may recalculate it.
    var isRecalculable: Bool { status == .scheduled && paid == 0 && number > 0 }
}

/// The installments of an amount: exact to the minor unit.
///
/// Rounding rule (one for the suite): without interest every installment is the amount divided by the
/// count, rounded down, and the **last** installment takes the remainder, so the installments sum to the
/// amount exactly. With an APR the periodic rate is APR ÷ periods per year; the level payment is rounded
/// **up** to the minor unit; each period's interest is the open principal × rate rounded **half up**; the
/// last installment is whatever clears the principal plus its interest.
enum InstallmentCalculator {
    struct Line: Equatable {
        var dueDate: CalendarDate
        var principal: Int64
        var interest: Int64
        var amount: Int64 { principal + interest }
    }

    /// `count` installments of `amount`, the first due on `firstDue`, monthly ones on `dayOfMonth`.
    static func lines(amount: Int64, count: Int, frequency: PaymentFrequency, firstDue: CalendarDate,
                      dayOfMonth: Int? = nil, aprBasisPoints: Int = 0) -> [Line] {
        precondition(count > 0 && amount >= 0)
        let dates = (0..<count).map { frequency.date($0, after: firstDue, dayOfMonth: dayOfMonth) }
        guard aprBasisPoints > 0 else {
            let base = amount / Int64(count)
            let remainder = amount - base * Int64(count)
            return dates.enumerated().map { index, date in
                Line(dueDate: date, principal: base + (index == count - 1 ? remainder : 0), interest: 0)
            }
        }
        let rate = Decimal(aprBasisPoints) / 10_000 / Decimal(frequency.periodsPerYear)
        let payment = levelPayment(principal: amount, rate: rate, count: count)
        var open = amount
        return dates.enumerated().map { index, date in
            let interest = periodInterest(open, aprBasisPoints: aprBasisPoints, periods: frequency.periodsPerYear)
            let principal = index == count - 1 ? open : min(open, max(0, payment - interest))
            open -= principal
            return Line(dueDate: date, principal: principal, interest: interest)
        }
    }

    /// open × APR ÷ periods, rounded half up, in integers (a decimal rate such as 0.12 ÷ 52 cannot be
    /// written exactly, and an exact half would round the wrong way).
    static func periodInterest(_ open: Int64, aprBasisPoints: Int, periods: Int) -> Int64 {
        let denominator = Int64(10_000 * periods)
        return (open * Int64(aprBasisPoints) * 2 + denominator) / (2 * denominator)
    }

    /// P·r / (1 − (1 + r)^−n), rounded up to the minor unit.
    static func levelPayment(principal: Int64, rate: Decimal, count: Int) -> Int64 {
        var growth: Decimal = 1
        for _ in 0..<count { growth *= (1 + rate) }
        let payment = Decimal(principal) * rate * growth / (growth - 1)
        return round(payment, .up)
    }

    static func round(_ value: Decimal, _ mode: NSDecimalNumber.RoundingMode) -> Int64 {
        var input = value, output = Decimal()
        NSDecimalRound(&output, &input, 0, mode)
        return NSDecimalNumber(decimal: output).int64Value
    }
}

extension CalendarDate {
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private var noonUTC: Date {
        Self.utc.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
    }

    func adding(days: Int) -> CalendarDate {
        CalendarDate(containing: noonUTC.addingTimeInterval(Double(days) * 86_400))
    }

    /// `months` later on `day` (by default this date's day), clamped to that month's last day.
    func adding(months: Int, day wanted: Int? = nil) -> CalendarDate {
        let total = (year * 12 + (month - 1)) + months
        let (y, m) = (total / 12, total % 12 + 1)
        let last = Self.utc.range(of: .day, in: .month, for: Self.utc.date(from: DateComponents(year: y, month: m, day: 1))!)!.count
        return CalendarDate(year: y, month: m, day: min(wanted ?? day, last))!
    }

    func days(until other: CalendarDate) -> Int {
        Int(((other.noonUTC.timeIntervalSince(noonUTC)) / 86_400).rounded())
    }
}

/// The model's inputs, derived from a `PaymentHistory`. Every feature is 0 for a patient with no history and lies
/// in −0.5…1, so one learning rate suits them all in `fit`, and a weight reads as "the effect at the cap".
/// Negative counts (bad data) count as 0.
enum Feature: String, CaseIterable, Sendable {
    /// Smoothed share of payments on time, (onTime + 1) / (total + 2), minus the 0.5 it starts from:
    /// 0 with no history, +0.42 for 10 of 10, −0.42 for 0 of 10. Smoothing keeps one payment from looking perfect.
    case onTimeRate
    /// Late payments ÷ (total + 2): 0…1, smoothed toward 0 so one late payment among few is not the whole story.
    case lateRate
    /// Missed payments, capped at 5, ÷ 5.
    case missedPayments
    /// Card declines in the last 12 months, capped at 5, ÷ 5.
    case declines
    /// Defaulted plans, capped at 3, ÷ 3.
    case defaults
    /// Age of the oldest unpaid balance in months (days ÷ 30), capped at 12, ÷ 12.
    case oldestUnpaidMonths
    /// Completed plans, capped at 3, ÷ 3.
    case completedPlans

    /// Caps keep one extreme count from dominating and bound every feature, which keeps training stable.
    static let missedCap = 5.0, declinesCap = 5.0, defaultsCap = 3.0
    static let oldestUnpaidMonthsCap = 12.0, completedPlansCap = 3.0

    /// The fixed order every sum runs in, so scores and training are bit-for-bit repeatable.
    static let ordered: [Feature] = allCases

    func value(_ h: PaymentHistory) -> Double {
        func capped(_ count: Int, _ cap: Double) -> Double { min(Double(max(0, count)), cap) / cap }
        let total = Double(h.totalPayments)
        switch self {
        case .onTimeRate: return (Double(max(0, h.onTimePayments)) + 1) / (total + 2) - 0.5
        case .lateRate: return Double(max(0, h.latePayments)) / (total + 2)
        case .missedPayments: return capped(h.missedPayments, Self.missedCap)
        case .declines: return capped(h.declines, Self.declinesCap)
        case .defaults: return capped(h.defaults, Self.defaultsCap)
        case .oldestUnpaidMonths:
            return min(Double(max(0, h.oldestUnpaidDays)) / 30, Self.oldestUnpaidMonthsCap) / Self.oldestUnpaidMonthsCap
        case .completedPlans: return capped(h.completedPlans, Self.completedPlansCap)
        }
    }

    /// The fact behind the feature, in the words a clerk would use with the patient.
    func fact(_ h: PaymentHistory) -> String {
        switch self {
        case .onTimeRate: return "\(max(0, h.onTimePayments)) of " + counted(h.totalPayments, "payment", "payments") + " on time"
        case .lateRate: return "\(max(0, h.latePayments)) of " + counted(h.totalPayments, "payment", "payments") + " late"
        case .missedPayments: return counted(h.missedPayments, "missed payment", "missed payments")
        case .declines: return counted(h.declines, "card decline", "card declines") + " in the last 12 months"
        case .defaults: return counted(h.defaults, "payment plan", "payment plans") + " defaulted"
        case .oldestUnpaidMonths: return "oldest unpaid balance is " + counted(h.oldestUnpaidDays, "day", "days") + " old"
        case .completedPlans: return counted(h.completedPlans, "payment plan", "payment plans") + " paid off"
        }
    }

    private func counted(_ n: Int, _ one: String, _ many: String) -> String {
        let n = max(0, n)
        return "\(n) \(n == 1 ? one : many)"
    }
}

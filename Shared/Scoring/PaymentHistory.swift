/// What a patient has done with money owed to the practice: payment behaviour and nothing else.
///
/// Deliberately no demographics (age, sex, language, address, name, postcode…): the score decides payment-plan
/// terms and collections order, so it may only learn from how someone has paid, never from who they are.
/// `Tests/ScoringTests` pins the exact field list; adding a field means changing that test on purpose.
public struct PaymentHistory: Codable, Sendable, Equatable {
    /// Payments made by their due date (installments, statements).
    public var onTimePayments: Int
    /// Payments made after their due date (but made).
    public var latePayments: Int
    /// Plan installments missed, or payments that failed for good.
    public var missedPayments: Int
    /// Card declines in the last 12 months.
    public var declines: Int
    /// Payment plans that ended in default.
    public var defaults: Int
    /// Age in days of the oldest unpaid balance; 0 when nothing is overdue.
    public var oldestUnpaidDays: Int
    /// Payment plans paid off in full.
    public var completedPlans: Int

    public init(
        onTimePayments: Int = 0, latePayments: Int = 0, missedPayments: Int = 0, declines: Int = 0,
        defaults: Int = 0, oldestUnpaidDays: Int = 0, completedPlans: Int = 0
    ) {
        self.onTimePayments = onTimePayments
        self.latePayments = latePayments
        self.missedPayments = missedPayments
        self.declines = declines
        self.defaults = defaults
        self.oldestUnpaidDays = oldestUnpaidDays
        self.completedPlans = completedPlans
    }

    /// A patient the practice knows nothing about yet.
    public static let empty = PaymentHistory()

    /// Payments with a known outcome (on time, late or missed).
    public var totalPayments: Int { max(0, onTimePayments) + max(0, latePayments) + max(0, missedPayments) }

    private enum CodingKeys: String, CodingKey {
        case onTimePayments, latePayments, missedPayments, declines, defaults, oldestUnpaidDays, completedPlans
    }

    /// Each service keeps its own copy of the history; a count it does not record (or one added later) reads as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        self.init(
            onTimePayments: try count(.onTimePayments), latePayments: try count(.latePayments),
            missedPayments: try count(.missedPayments), declines: try count(.declines), defaults: try count(.defaults),
            oldestUnpaidDays: try count(.oldestUnpaidDays), completedPlans: try count(.completedPlans)
        )
    }
}

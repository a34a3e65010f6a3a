/// How likely a patient is to pay, with the facts that moved the estimate.
public struct Propensity: Codable, Sendable, Equatable {
    /// 0…1, rounded to 3 decimals so stored and displayed scores do not churn in the last digits.
    public var probability: Double
    public var tier: RiskTier
    /// The facts that moved the score away from the intercept (a patient with no history), largest effect first.
    /// Only non-zero contributions; contributions + intercept ≈ the logit of `probability` (up to rounding).
    public var reasons: [Reason]

    public init(probability: Double, tier: RiskTier, reasons: [Reason]) {
        self.probability = probability
        self.tier = tier
        self.reasons = reasons
    }

    /// One fact and how far it moved the score.
    public struct Reason: Codable, Sendable, Equatable {
        /// Plain words, e.g. "9 of 10 payments on time".
        public var fact: String
        /// The feature name, as in `PropensityModel.weights`.
        public var feature: String
        /// weight × feature value, in logits (log-odds), rounded to 3 decimals; negative lowers the probability.
        public var contribution: Double

        public init(fact: String, feature: String, contribution: Double) {
            self.fact = fact
            self.feature = feature
            self.contribution = contribution
        }
    }
}

/// Risk of not paying, for choosing plan terms and collections effort.
public enum RiskTier: String, Codable, Sendable, CaseIterable {
    case low, medium, high

    /// At or above this probability of paying, risk is low: standard terms.
    public static let lowRiskFrom = 0.75
    /// Below this probability of paying, risk is high: shorter terms, bigger down payment.
    public static let highRiskBelow = 0.5

    public init(probability: Double) {
        if probability >= Self.lowRiskFrom {
            self = .low
        } else if probability < Self.highRiskBelow {
            self = .high
        } else {
            self = .medium
        }
    }
}

import Foundation

/// The suite's one propensity-to-pay model: logistic regression over features of a `PaymentHistory`.
/// P(paid) = 1 / (1 + e^−(intercept + Σ weight × feature)). Features are documented on `Feature`.
public struct PropensityModel: Codable, Sendable, Equatable {
    /// The log-odds of paying for a patient with no history (every feature is 0 then).
    public var intercept: Double
    /// Keyed by feature name (`featureNames`); a missing weight counts as 0, unknown names are ignored.
    public var weights: [String: Double]

    public init(intercept: Double, weights: [String: Double]) {
        self.intercept = intercept
        self.weights = weights
    }

    /// Every feature the model reads, in the order sums are taken.
    public static let featureNames: [String] = Feature.ordered.map(\.rawValue)

    /// Hand-set weights for a practice with no history of its own to train on. Each weight is the change in
    /// log-odds at the feature's cap, so they compare directly:
    /// - intercept 0.75: a new patient pays with probability ≈ 0.68 (medium risk; most patients do pay);
    /// - onTimeRate +3.0: ±1.3 for a long all-on-time / all-missed record; the strongest signal, paying habit;
    /// - lateRate −1.0: late but paid is a mild warning;
    /// - missedPayments −2.0: a missed payment costs more than a late one (it also lowers onTimeRate);
    /// - declines −1.5: declines predict failed installments, but cards expire, so less than a missed payment;
    /// - defaults −2.5: a defaulted plan is the strongest evidence against a new plan;
    /// - oldestUnpaidMonths −1.5: an old unpaid balance is seldom paid without help;
    /// - completedPlans +1.0: having paid a plan off is evidence the next one will be.
    public static let standard = PropensityModel(
        intercept: 0.75,
        weights: [
            Feature.onTimeRate.rawValue: 3.0,
            Feature.lateRate.rawValue: -1.0,
            Feature.missedPayments.rawValue: -2.0,
            Feature.declines.rawValue: -1.5,
            Feature.defaults.rawValue: -2.5,
            Feature.oldestUnpaidMonths.rawValue: -1.5,
            Feature.completedPlans.rawValue: 1.0,
        ]
    )

    /// The feature values for a history (all 0 for `PaymentHistory.empty`).
    public func features(_ h: PaymentHistory) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: Feature.ordered.map { ($0.rawValue, $0.value(h)) })
    }

    public func score(_ h: PaymentHistory) -> Propensity {
        var logit = intercept
        var reasons: [(reason: Propensity.Reason, order: Int)] = []
        for (order, feature) in Feature.ordered.enumerated() {
            let contribution = (weights[feature.rawValue] ?? 0) * feature.value(h)
            logit += contribution
            let shown = Self.rounded(contribution)
            if shown != 0 {
                reasons.append((Propensity.Reason(fact: feature.fact(h), feature: feature.rawValue, contribution: shown), order))
            }
        }
        // Largest effect first; equal effects keep feature order so output is stable.
        reasons.sort { a, b in
            let (x, y) = (abs(a.reason.contribution), abs(b.reason.contribution))
            return x != y ? x > y : a.order < b.order
        }
        let probability = Self.rounded(Self.sigmoid(logit))
        return Propensity(probability: probability, tier: RiskTier(probability: probability), reasons: reasons.map(\.reason))
    }

    static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    static func rounded(_ x: Double) -> Double {
        let r = (x * 1000).rounded() / 1000
        return r == 0 ? 0 : r  // no "-0.0" in output
    }
}

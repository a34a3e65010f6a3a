import Scoring

/// How the suite's propensity score shapes a plan's terms: a patient likely to pay gets the policy's
/// longest terms; a high risk gets shorter terms and a larger down payment. The score reads payment
/// behaviour only (see `PaymentHistory`), never demographics.
enum RiskTerms {
    /// A patient without payment history gets the policy's own terms: no facts, no adjustment.
    static func adjustment(for score: Propensity) -> RiskAdjustment {
        score.reasons.isEmpty ? .none : adjustment(for: score.tier)
    }

    static func adjustment(for tier: RiskTier) -> RiskAdjustment {
        switch tier {
        case .low: .none
        case .medium: RiskAdjustment(maxTermMonths: 12, extraDownPaymentPercent: 5)
        case .high: RiskAdjustment(maxTermMonths: 6, extraDownPaymentPercent: 15)
        }
    }

    /// For the audit trail: the score, its tier and the facts that moved it.
    static func summary(_ score: Propensity) -> String {
        let reasons = score.reasons.map { "\($0.fact) (\($0.contribution >= 0 ? "+" : "")\($0.contribution))" }
        return "propensity \(score.probability), \(score.tier.rawValue) risk" + (reasons.isEmpty ? ": no payment history" : ": " + reasons.joined(separator: "; "))
    }
}

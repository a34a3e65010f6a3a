import Contracts
import Foundation
import Privacy
import Scoring
import ServiceRuntime
import WebAPI

/// Seed 000: "if no card is stored, offer a payment plan". A balance payments could not collect because
/// no card may be charged becomes an offer: options within the clinic's policy, shaped by the patient's
/// payment behaviour, and a single-use link that notifications sends.
enum OfferHandler {
    /// The reasons of `payments.balance.due.v1` that an offer answers (a declined card is retried by payments).
    static let offeredFor: Set = ["no_authorized_method", "method_needs_updating"]

    static func balanceDue(_ due: BalanceDue, _ context: inout EventContext, _ settings: PlansSettings) async throws {
        let clinicId = context.envelope.clinicId
        let facts = FactsStore(connection: context.connection, logger: context.logger)
        try await facts.setUnpaidSince(due.oldestServiceDate ?? due.runDate, clinicId: clinicId, patientId: due.patientId)
        guard offeredFor.contains(due.reason) else { return }
        let offers = OfferStore(connection: context.connection, logger: context.logger)
        let policy = try await PlanStore(connection: context.connection, logger: context.logger).policy(clinicId: clinicId)
        guard due.collectible.amount >= 2 * policy.minInstallment,
              try await !offers.hasOpenOfferOrPlan(clinicId: clinicId, patientId: due.patientId, now: Date())
        else { return }
        let today = settings.today(context.now)
        let score = PropensityModel.standard.score(try await facts.history(clinicId: clinicId, patientId: due.patientId, today: today))
        let options = Array(PlanOptions.calculate(
            total: due.collectible, treatmentType: nil, frequencies: [.monthly], startDate: today, policy: policy,
            risk: RiskTerms.adjustment(for: score)).prefix(4))
        guard !options.isEmpty else { return }
        // The link expires on wall time (security clocks are never moved).
        let offer = OfferStore.Offer(clinicId: clinicId, offerId: NewId.make("off_"), patientId: due.patientId,
                                     amount: due.collectible, options: options,
                                     expiresAt: Date().addingTimeInterval(Double(settings.offerDays) * 86_400))
        let token = OfferLink.newToken()
        let risk = String(decoding: try JSONEncoder().encode(score), as: UTF8.self)
        try await offers.insert(offer, token: token, risk: risk, reason: "balance_due:\(due.reason)", at: context.now)
        try context.publish(PlanOffered(
            offerId: offer.offerId, patientId: due.patientId, amount: due.collectible, options: options.map(OfferLink.describe),
            link: settings.publicURL + "/plan-offers/" + token, expiresAt: Timestamp(offer.expiresAt),
            reason: "balance_due:\(due.reason)"), aggregateId: due.patientId)
        context.audit("plan.offered", objectType: "plan_offer", objectId: offer.offerId,
                      summary: "\(options.count) options for \(due.collectible.display) to patient \(due.patientId); " + RiskTerms.summary(score))
    }
}

enum OfferLink {
    /// 32 random bytes, base64url: the link's only secret.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(bytes)
    }

    /// "6 monthly payments of 160.00 USD after 240.00 USD down".
    static func describe(_ option: PlanOption) -> String {
        let installments = option.installmentAmount == option.lastInstallmentAmount
            ? "\(option.numberOfPayments) \(option.frequency.rawValue.lowercased()) payments of \(option.installmentAmount.display)"
            : "\(option.numberOfPayments) \(option.frequency.rawValue.lowercased()) payments of \(option.installmentAmount.display) (last \(option.lastInstallmentAmount.display))"
        return installments + (option.downPayment.amount > 0 ? " after \(option.downPayment.display) down" : "")
    }
}

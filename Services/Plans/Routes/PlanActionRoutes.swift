import Contracts
import Crypto
import Foundation
import Storage
import WebAPI

/// What is done to one plan: its schedule and agreement, signing, pause and resume, early payoff, cancel.
enum PlanActionRoutes {
    struct Sign: APIExample {
        /// The signer's name as typed (or the staff member taking an in-person signature).
        var signedBy: String
        /// `typed_name` (default), `drawn`, `in_person` or `portal`.
        var method: String?
        /// SHA-256 (hex) of the agreement PDF the signer saw; refused if the terms changed since.
        var agreementSHA256: String?

        static let example = Sign(signedBy: "Ana Lopez", method: "typed_name",
                                  agreementSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    }

    /// Send `days` or `until` (the example shows both fields; a request with both is refused).
    struct Pause: APIExample {
        var days: Int?
        var until: CalendarDate?
        static let example = Pause(days: 30, until: CalendarDate(year: 2027, month: 3, day: 1))
    }

    struct Payoff: APIExample {
        /// `card` (default: the plan's saved method, through payments) or `cash` (paid at the desk as a
        /// payment naming the plan).
        var method: String?
        static let example = Payoff(method: "card")
    }

    struct PayoffQuote: APIExample {
        var planId: String
        var payoffAmount: Money
        var remainingBalance: Money
        /// Interest not yet due that a payoff today does not charge.
        var interestWaived: Money
        /// `requested` after a card payoff was asked of payments; `quote` otherwise.
        var state: String
        var instructions: String

        static let example = PayoffQuote(
            planId: "plan_5f1c", payoffAmount: Money(amount: 64_000, currency: "USD"),
            remainingBalance: Money(amount: 64_000, currency: "USD"), interestWaived: Money(amount: 0, currency: "USD"),
            state: "quote", instructions: "POST …/payoff to charge the plan's card, or take 640.00 USD at the desk naming the plan")
    }

    struct Cancel: APIExample {
        var reason: String?
        static let example = Cancel(reason: "treatment not done")
    }

    static func add(to api: APIRoutes, _ context: PlansContext) {
        let base = PlanRoutes.base + "/:planId"
        api.get(base + "/schedule", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "A plan's payment schedule: down payment and installments with their status", output: ScheduleView.self) { call in
            ScheduleView(try await context.read(call))
        }

        api.document(base + "/agreement.pdf", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                     summary: "The plan's agreement (PDF): full terms, disclosure, schedule, and the signature once signed",
                     contentType: "application/pdf") { call in
            let plan = try await context.read(call)
            let policy = try await context.resources.client.withConnection { connection in
                try await PlanStore(connection: connection, logger: context.resources.logger).policy(clinicId: plan.clinicId)
            }
            return PlanAgreement.render(plan, practice: context.settings.practiceName, policy: policy)
        }

        api.write(.post, base + "/sign", .staffOrOwnPatient(.billingUpdate, patient: .ownPlanSign),
                  summary: "Sign the plan's current agreement (the patient, or staff taking the signature in person)",
                  idempotent: false, input: Sign.self, output: PlanView.self) { request, call, change in
            let signer = request.signedBy.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !signer.isEmpty, signer.count <= 200 else {
                throw APIError.invalid("signedBy must name the signer (1–200 characters)", param: "signedBy")
            }
            let method = request.method ?? (call.caller.role == .patient ? "portal" : "typed_name")
            guard ["typed_name", "drawn", "in_person", "portal"].contains(method) else {
                throw APIError.invalid("method must be typed_name, drawn, in_person or portal", param: "method")
            }
            return try await context.change(call, &change) { plan, today, change in
                let policy = try await PlanStore(connection: change.connection, logger: change.logger).policy(clinicId: plan.clinicId)
                let shown = PlanAgreement.render(plan, practice: context.settings.practiceName, policy: policy)
                let hash = Hex.encode(SHA256.hash(data: shown))
                if let seen = request.agreementSHA256, seen.lowercased() != hash {
                    throw PlanProblem(code: "agreement_changed",
                                      message: "the agreement changed since it was shown (terms version \(plan.termsVersion)): show it again before signing",
                                      param: "agreementSHA256")
                }
                let news = try plan.sign(by: signer, method: method, agreementSHA256: hash, today: today, at: change.now)
                try change.note("plan.signed", clinicId: plan.clinicId, objectId: plan.id,
                                summary: "terms version \(plan.termsVersion) signed by \(signer) (\(method), caller \(call.caller.subject)); agreement sha256 \(hash)")
                return news
            }
        }

        api.write(.post, base + "/pause", .staff(.billingUpdate),
                  summary: "Pause an active plan for some days or until a date (at most the clinic's maximum in total)",
                  idempotent: false, input: Pause.self, output: PlanView.self) { request, call, change in
            try await context.change(call, &change) { plan, today, change in
                let until: CalendarDate
                switch (request.days, request.until) {
                case (let days?, nil): until = today.adding(days: days)
                case (nil, let date?): until = date
                default: throw PlanProblem(code: "parameter_invalid", message: "send either days or until", param: "days")
                }
                let policy = try await PlanStore(connection: change.connection, logger: change.logger).policy(clinicId: plan.clinicId)
                return try plan.pause(until: until, today: today, maxPauseDays: policy.maxPauseDays, at: change.now,
                                      by: call.caller.subject)
            }
        }

        api.write(.post, base + "/resume", .staff(.billingUpdate),
                  summary: "Resume a paused plan now; its open installments move later by the days it was paused",
                  idempotent: false, input: NoBody.self, output: PlanView.self) { _, call, change in
            try await context.change(call, &change) { plan, today, change in
                guard plan.status == .paused else {
                    throw PlanProblem(code: "plan_not_paused", message: "only a PAUSED plan can be resumed; this one is \(plan.status.rawValue)")
                }
                return plan.resume(today: today, at: change.now, by: call.caller.subject)
            }
        }

        api.get(base + "/payoff", .staffOrOwnPatient(.billingRead, patient: .ownRecordsRead),
                summary: "What paying the plan off today costs (no penalty, no unearned interest)", output: PayoffQuote.self) { call in
            quote(try await context.read(call))
        }

        api.write(.post, base + "/payoff", .staff(.billingUpdate),
                  summary: "Pay the plan off: charged to its card through payments, or taken at the desk (method cash)",
                  idempotent: true, input: Payoff.self, output: PayoffQuote.self) { request, call, change in
            let method = request.method ?? "card"
            guard method == "card" || method == "cash" else { throw APIError.invalid("method must be card or cash", param: "method") }
            var changed: PaymentPlan?
            _ = try await context.change(call, &change) { plan, today, change in
                defer { changed = plan }
                guard method == "card" else {
                    guard !plan.status.isFinal else { throw PlanProblem(code: "plan_closed", message: "the plan is already \(plan.status.rawValue)") }
                    return []
                }
                return try plan.requestPayoff(today: today, at: change.now, by: call.caller.subject)
            }
            guard let plan = changed else { throw APIError.server(requestId: call.requestId) }
            var answer = quote(plan)
            answer.state = method == "card" ? "requested" : "quote"
            answer.instructions = method == "card"
                ? "\(answer.payoffAmount.display) asked of payments on \(plan.paymentMethodId ?? "the saved method"); the plan completes when it succeeds"
                : "take \(answer.payoffAmount.display) at the desk with POST /v1/payments naming planId \(plan.id); the plan completes when it is recorded"
            return answer
        }

        api.write(.post, base + "/cancel", .staff(.billingUpdate),
                  summary: "Cancel a plan: no more installments; what it still financed is an ordinary balance again",
                  idempotent: false, input: Cancel.self, output: PlanView.self) { request, call, change in
            try await context.change(call, &change) { plan, _, change in
                let news = try plan.cancel(at: change.now, by: call.caller.subject)
                try change.note("plan.cancel-reason", clinicId: plan.clinicId, objectId: plan.id,
                                summary: request.reason ?? "no reason given")
                return news
            }
        }
    }

    static func quote(_ plan: PaymentPlan) -> PayoffQuote {
        let payoff = plan.status.isFinal ? 0 : plan.payoffAmount
        let remaining = plan.status.isFinal ? 0 : plan.remainingBalance
        return PayoffQuote(
            planId: plan.id, payoffAmount: Money(amount: payoff, currency: plan.currency),
            remainingBalance: Money(amount: remaining, currency: plan.currency),
            interestWaived: Money(amount: remaining - payoff, currency: plan.currency), state: "quote",
            instructions: plan.status.isFinal ? "the plan is \(plan.status.rawValue): nothing to pay off"
                : "POST …/payoff to charge the plan's card, or take \(Money(amount: payoff, currency: plan.currency).display) at the desk naming planId \(plan.id)")
    }
}

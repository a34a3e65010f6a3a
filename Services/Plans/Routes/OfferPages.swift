import Contracts
import Crypto
import Foundation
import Hummingbird
import Storage
import WebAPI

/// `/plan-offers/{token}`: the page an offer's link opens — plain HTML that works on a phone. The patient
/// picks an option, reads the agreement, signs with their typed name and gives a card (a gateway token:
/// the sandbox's test-token field; a real deployment puts the gateway's card form here). The plan is made
/// with the same rules as staff's, signed, and payments saves the card (`plans.payment-method.submitted.v1`);
/// autopay then takes the down payment. No bearer token: the single-use, expiring link is the protection.
enum OfferPages {
    static let prefix = "/plan-offers/"

    static func add(to api: APIRoutes, _ context: PlansContext) {
        let html = ["type": "string"] as JSONValue
        api.catalog.add(.publicRoute(method: "GET", path: prefix + ":token",
                                     summary: "A plan offer's enrolment page (single-use link; no bearer token)",
                                     output: html, contentType: "text/html", errorStatuses: [404, 410], errorContentType: "text/html"))
        api.catalog.add(.publicRoute(method: "POST", path: prefix + ":token",
                                     summary: "Enrol in an offered plan: option, typed signature, card token (form post)",
                                     output: html, contentType: "text/html", errorStatuses: [400, 404, 410, 422],
                                     status: 201, errorContentType: "text/html"))
        api.router.get(RouterPath(prefix + ":token")) { _, request in
            let token = try request.parameters.require("token")
            let offer = try await context.resources.client.withConnection { connection in
                try await OfferStore(connection: connection, logger: context.resources.logger).find(token: token, lock: false)
            }
            guard let offer else { return page(.notFound, "Offer not found", "<p>This link is not valid. Ask the practice for a new one.</p>") }
            if let closed = closedReason(offer) { return page(.gone, "Offer closed", "<p>\(escape(closed))</p>") }
            return page(.ok, "Your payment plan options", form(offer, token: token, problem: nil))
        }
        api.catalog.add(.publicRoute(method: "GET", path: prefix + ":token/agreement.pdf",
                                     summary: "The agreement of an offered option (?option=N) before enrolling, the signed one after",
                                     output: ["type": "string", "format": "binary"], contentType: "application/pdf",
                                     errorStatuses: [404, 410], errorContentType: "text/html"))
        api.router.get(RouterPath(prefix + ":token/agreement.pdf")) { request, requestContext in
            let token = try requestContext.parameters.require("token")
            let option = request.uri.queryParameters.get("option").flatMap { Int($0) } ?? 0
            return try await agreement(token: token, option: option, context)
        }
        api.router.post(RouterPath(prefix + ":token")) { request, requestContext in
            let token = try requestContext.parameters.require("token")
            let fields = FormBody.parse(Array(buffer: try await request.body.collect(upTo: 65_536)))
            return try await enrol(token: token, fields: fields, requestId: requestContext.requestId, context)
        }
    }

    /// Before enrolling, the agreement the patient would sign for an option (its plan number is given at
    /// signing); once enrolled, the plan's signed agreement — the link stays the patient's copy.
    static func agreement(token: String, option: Int, _ context: PlansContext) async throws -> Response {
        let resources = context.resources
        return try await resources.client.withConnection { connection in
            let offers = OfferStore(connection: connection, logger: resources.logger)
            let plans = PlanStore(connection: connection, logger: resources.logger)
            guard let offer = try await offers.find(token: token, lock: false) else {
                return page(.notFound, "Offer not found", "<p>This link is not valid.</p>")
            }
            let policy = try await plans.policy(clinicId: offer.clinicId)
            let plan: PaymentPlan
            if let planId = offer.planId, let enrolled = try await plans.load(clinicId: offer.clinicId, planId: planId) {
                plan = enrolled
            } else {
                if offer.expiresAt < Date() { return page(.gone, "Offer closed", "<p>This offer has expired.</p>") }
                guard offer.options.indices.contains(option) else { return page(.notFound, "No such option", "") }
                plan = preview(offer, option: offer.options[option], policy: policy, today: context.settings.today(resources.clock.now()))
            }
            let bytes = PlanAgreement.render(plan, practice: context.settings.practiceName, policy: policy)
            return Response(status: .ok, headers: [.contentType: "application/pdf"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// The plan an option makes, as the agreement shows it before the patient signs.
    static func preview(_ offer: OfferStore.Offer, option: PlanOption, policy: PlanPolicy, today: CalendarDate) -> PaymentPlan {
        PaymentPlan.new(
            id: NewId.derived("plan_", from: "\(offer.clinicId)\n\(offer.offerId)"), clinicId: offer.clinicId,
            patientId: offer.patientId, planNumber: "(given when you sign)", terms: terms(offer, option, today: today),
            policy: policy, paymentMethodId: nil, autoPay: true, treatmentPlanId: nil, estimateId: nil,
            description: "Enrolled from offer \(offer.offerId)", by: "patient:\(offer.patientId)", at: Date())
    }

    static func terms(_ offer: OfferStore.Offer, _ option: PlanOption, today: CalendarDate) -> PlanTerms {
        PlanTerms(total: offer.amount, downPayment: option.downPayment.amount, numberOfPayments: option.numberOfPayments,
                  frequency: option.frequency, startDate: today, treatmentType: nil)
    }

    static func closedReason(_ offer: OfferStore.Offer) -> String? {
        if offer.usedAt != nil { return "This offer was already used to set up a plan. Contact the practice with any question." }
        if offer.expiresAt < Date() { return "This offer has expired. Ask the practice for a new one." }
        return nil
    }

    static func enrol(token: String, fields: [String: String], requestId: String, _ context: PlansContext) async throws -> Response {
        let resources = context.resources
        let peek = try await resources.client.withConnection { connection in
            try await OfferStore(connection: connection, logger: resources.logger).find(token: token, lock: false)
        }
        guard let peek else { return page(.notFound, "Offer not found", "<p>This link is not valid.</p>") }
        return try await resources.runner.run(actor: ("patient:\(peek.patientId)", "patient"), clinicId: peek.clinicId,
                                              correlationId: requestId, requestId: requestId) { change in
            let offers = OfferStore(connection: change.connection, logger: change.logger)
            guard let offer = try await offers.find(token: token, lock: true) else { return page(.notFound, "Offer not found", "") }
            if let closed = closedReason(offer) { return page(.gone, "Offer closed", "<p>\(escape(closed))</p>") }
            func again(_ problem: String) -> Response { page(.unprocessableContent, "Please check", form(offer, token: token, problem: problem)) }
            guard let index = fields["option"].flatMap(Int.init), offer.options.indices.contains(index) else { return again("Pick one of the options.") }
            let signer = (fields["signedBy"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard (2...200).contains(signer.count) else { return again("Type your full name to sign.") }
            let card = (fields["cardToken"] ?? "").trimmingCharacters(in: .whitespaces)
            guard card.hasPrefix("tok_") || card.hasPrefix("btok_") || card.hasPrefix("pm_") else { return again("Enter your card.") }
            guard fields["agree"] == "yes" else { return again("Tick the box to agree to the plan and its automatic payments.") }
            let option = offer.options[index]
            let store = PlanStore(connection: change.connection, logger: change.logger)
            let policy = try await store.policy(clinicId: offer.clinicId)
            let today = context.settings.today(change.now)
            let terms = terms(offer, option, today: today)
            if let problem = terms.problems(under: policy, today: today).first { return again(problem.message) }
            let planId = NewId.derived("plan_", from: "\(offer.clinicId)\n\(offer.offerId)")
            var plan = PaymentPlan.new(
                id: planId, clinicId: offer.clinicId, patientId: offer.patientId,
                planNumber: try await store.nextPlanNumber(year: today.year), terms: terms, policy: policy, paymentMethodId: nil,
                autoPay: true, treatmentPlanId: nil, estimateId: nil, description: "Enrolled from offer \(offer.offerId)",
                by: "patient:\(offer.patientId)", at: change.now)
            var news = plan.start(today: today, at: change.now)
            let shown = PlanAgreement.render(plan, practice: context.settings.practiceName, policy: policy)
            news += try plan.sign(by: signer, method: "portal", agreementSHA256: Hex.encode(SHA256.hash(data: shown)),
                                  today: today, at: change.now)
            try await PlanCommit.record(plan, was: nil, news: news, at: change.now, &change)
            try await offers.markUsed(clinicId: offer.clinicId, offerId: offer.offerId, planId: planId, at: change.now)
            let consent = "I authorize the practice to charge this card for plan \(plan.planNumber): the down payment and each installment on its due date."
            try change.publish(PlanCardSubmitted(
                planId: planId, patientId: offer.patientId, token: card,
                autoCharge: AutoChargeAuthorization(consentText: consent, authorizedBy: offer.patientId,
                                                    authorizedAt: Timestamp(change.now), channel: "portal", maximumPerCharge: nil)),
                clinicId: offer.clinicId, aggregateId: offer.patientId)
            try change.audit("plan.enrolled", objectType: "payment_plan", objectId: planId,
                             summary: "patient \(offer.patientId) chose option \(index + 1) of offer \(offer.offerId) and signed as \(signer)")
            return page(.created, "Thank you", """
                <p>Your plan <b>\(escape(plan.planNumber))</b> is set up: \(escape(OfferLink.describe(option))).</p>
                <p>Your card will be charged \(escape(option.downPayment.display)) for the down payment, then each installment on its due date.
                You can pay the rest at any time with no penalty.</p>
                <p><a href="\(prefix)\(escape(token))/agreement.pdf">Your signed agreement (PDF)</a></p>
                """)
        }
    }

    static func form(_ offer: OfferStore.Offer, token: String, problem: String?) -> String {
        let options = offer.options.enumerated().map { index, option in
            """
            <label class="option"><input type="radio" name="option" value="\(index)"\(index == 0 ? " checked" : "")>
            \(escape(OfferLink.describe(option))) — first payment \(option.firstPaymentDate), last \(option.lastPaymentDate);
            total \(escape(Money(amount: option.downPayment.amount + option.totalOfPayments.amount, currency: option.totalOfPayments.currency).display)),
            APR \(PlanAgreement.percent(option.aprBasisPoints))
            (<a href="\(prefix)\(escape(token))/agreement.pdf?option=\(index)">agreement</a>)</label>
            """
        }.joined(separator: "\n")
        return """
            \(problem.map { "<p class=\"problem\">\(escape($0))</p>" } ?? "")
            <p>You owe <b>\(escape(offer.amount.display))</b>. Choose how you would like to pay it:</p>
            <form method="post" action="\(prefix)\(escape(token))">
            \(options)
            <h2>Agreement</h2>
            <p>Payments are charged automatically to the card below on their due dates. You may pay off the balance at any
            time with no penalty. Three missed payments in a row end the plan and the rest becomes due. If your insurance
            pays part of your treatment, your remaining payments go down.</p>
            <label>Card (test token, e.g. tok_visa)<input name="cardToken" autocomplete="off" required></label>
            <label>Type your full name to sign<input name="signedBy" required></label>
            <label><input type="checkbox" name="agree" value="yes" required> I agree to this plan and authorize its automatic payments.</label>
            <button type="submit">Sign and set up my plan</button>
            </form>
            """
    }

    static func page(_ status: HTTPResponse.Status, _ title: String, _ body: String) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;line-height:1.4}
            label{display:block;margin:.6rem 0}.option{border:1px solid #ccc;border-radius:.4rem;padding:.5rem}
            input[name=cardToken],input[name=signedBy]{display:block;width:100%;padding:.4rem;font-size:1rem}
            button{font-size:1rem;padding:.6rem 1rem}.problem{color:#a00;font-weight:bold}</style></head>
            <body><h1>\(escape(title))</h1>\(body)</body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// `application/x-www-form-urlencoded` fields (the last value of a repeated name wins).
enum FormBody {
    static func parse(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first, !name.isEmpty { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}

import Contracts
import Foundation
import PaymentsService
import Testing

/// Stripe's answers, as its API reference shows them, and what the suite makes of them.
@Suite struct StripeResponsesTests {
    func bytes(_ json: String) -> [UInt8] { Array(json.utf8) }

    func declineBody(code: String, declineCode: String?, paymentIntent: String? = "pi_1") -> [UInt8] {
        let decline = declineCode.map { #""decline_code": "\#($0)","# } ?? ""
        let intent = paymentIntent.map { #", "payment_intent": {"id": "\#($0)", "object": "payment_intent", "status": "requires_payment_method"}"# } ?? ""
        return bytes(#"{"error": {"type": "card_error", "code": "\#(code)", \#(decline) "message": "Your card was declined."\#(intent)}}"#)
    }

    @Test func aSucceededPaymentIntentWithItsExpandedCharge() throws {
        let body = bytes("""
            {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 1000, "currency": "usd", "created": 1,
             "metadata": {"idempotency_key": "pay_1"},
             "latest_charge": {"id": "ch_1", "object": "charge",
                               "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}}}}
            """)
        #expect(try StripeResponses.chargeOutcome(status: 200, body: body)
            == .succeeded(GatewayCharge(id: "pi_1", cardBrand: "visa", cardLast4: "4242")))
    }

    @Test func aChargeIdInsteadOfAnExpandedChargeIsFine() throws {
        let body = bytes(#"{"id": "pi_2", "status": "processing", "latest_charge": "ch_2", "metadata": {}}"#)
        #expect(try StripeResponses.chargeOutcome(status: 200, body: body) == .processing(GatewayCharge(id: "pi_2")))
    }

    @Test func aFailedAttemptOnThePaymentIntentIsADecline() throws {
        let body = bytes("""
            {"id": "pi_3", "status": "requires_payment_method", "metadata": {},
             "last_payment_error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."}}
            """)
        let failure = PaymentFailure(code: "card_declined", declineCode: "generic_decline", message: "Your card was declined.")
        #expect(try StripeResponses.chargeOutcome(status: 200, body: body)
            == .declined(GatewayDecline(failure: failure, soft: false), charge: GatewayCharge(id: "pi_3")))
    }

    @Test(arguments: [
        ("card_declined", "insufficient_funds", true, false),
        ("card_declined", "generic_decline", false, false),
        ("card_declined", "try_again_later", true, false),
        ("expired_card", "expired_card", false, true),
        ("card_declined", "lost_card", false, true),
        ("card_declined", "stolen_card", false, true),
        ("incorrect_number", nil, false, true),
        ("processing_error", "processing_error", true, false),
        ("processing_error", nil, true, false),
    ] as [(String, String?, Bool, Bool)])
    func cardErrorsAreDeclinesThatSayWhatToDoNext(code: String, declineCode: String?, soft: Bool, needsUpdating: Bool) throws {
        let outcome = try StripeResponses.chargeOutcome(status: 402, body: declineBody(code: code, declineCode: declineCode))
        let failure = PaymentFailure(code: code, declineCode: declineCode, message: "Your card was declined.")
        #expect(outcome == .declined(GatewayDecline(failure: failure, soft: soft, methodNeedsUpdating: needsUpdating),
                                     charge: GatewayCharge(id: "pi_1")))
    }

    @Test func aDeclineWithoutAPaymentIntentHasNoCharge() throws {
        let outcome = try StripeResponses.chargeOutcome(status: 402, body: declineBody(code: "card_declined", declineCode: "generic_decline", paymentIntent: nil))
        guard case .declined(_, let charge) = outcome else { Issue.record("not a decline: \(outcome)"); return }
        #expect(charge == nil)
    }

    @Test func refusalsOfTheRequestAreInvalidRequests() {
        let missing = bytes(#"{"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such token: 'tok_nope'", "param": "payment_method_data[card][token]"}}"#)
        #expect(throws: GatewayError.invalidRequest(code: "resource_missing", message: "No such token: 'tok_nope'")) {
            try StripeResponses.chargeOutcome(status: 400, body: missing)
        }
        #expect(throws: GatewayError.invalidRequest(code: "resource_missing", message: "No such token: 'tok_nope'")) {
            try StripeResponses.chargeOutcome(status: 404, body: missing)
        }
        let reused = bytes(#"{"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}}"#)
        #expect(throws: GatewayError.invalidRequest(code: "idempotency_error", message: "Keys for idempotent requests can only be used with the same parameters they were first used with.")) {
            try StripeResponses.chargeOutcome(status: 400, body: reused)
        }
    }

    @Test func anythingElseLeavesTheOutcomeUnknown() {
        let apiError = bytes(#"{"error": {"type": "api_error", "message": "An unknown error occurred"}}"#)
        let inFlight = bytes(#"{"error": {"type": "idempotency_error", "code": "idempotency_key_in_use", "message": "in use"}}"#)
        let cases: [(Int, [UInt8])] = [
            (500, apiError), (503, bytes("<html>Service Unavailable</html>")), (409, inFlight), (429, apiError),
            (400, bytes("not json")), (200, bytes("{\"id\": \"pi_1\"")), (200, bytes(#"{"object": "payment_intent"}"#)),
            (200, bytes(#"{"id": "pi_1", "status": "requires_capture", "metadata": {}}"#)),
        ]
        for (status, body) in cases {
            #expect(performing: { try StripeResponses.chargeOutcome(status: status, body: body) },
                    throws: { if case .outcomeUnknown = $0 as? GatewayError { true } else { false } })
        }
    }

    @Test func refunds() throws {
        #expect(try StripeResponses.refundOutcome(status: 200, body: bytes(#"{"id": "re_1", "status": "succeeded"}"#)) == .succeeded(refundId: "re_1"))
        #expect(try StripeResponses.refundOutcome(status: 200, body: bytes(#"{"id": "re_2", "status": "pending"}"#)) == .pending(refundId: "re_2"))
        let failed = try StripeResponses.refundOutcome(status: 200, body: bytes(#"{"id": "re_3", "status": "failed", "failure_reason": "expired_or_canceled_card"}"#))
        guard case .failed(let failure) = failed else { Issue.record("not failed: \(failed)"); return }
        #expect(failure.code == "refund_failed" && failure.declineCode == "expired_or_canceled_card")
        let tooMuch = bytes(#"{"error": {"type": "invalid_request_error", "code": "amount_too_large", "message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($10.00)"}}"#)
        #expect(throws: GatewayError.invalidRequest(code: "amount_too_large", message: "Refund amount ($20.00) is greater than unrefunded amount on charge ($10.00)")) {
            try StripeResponses.refundOutcome(status: 400, body: tooMuch)
        }
    }

    @Test func anAttachedCardIsASavedMethod() throws {
        let body = bytes("""
            {"id": "pm_1", "object": "payment_method", "type": "card", "customer": "cus_1",
             "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034, "funding": "credit"}}
            """)
        #expect(try StripeResponses.savedMethod(status: 200, body: body) == GatewaySavedMethod(
            gatewayMethodId: "pm_1", customerId: "cus_1", kind: "card", brand: "visa", last4: "4242", expMonth: 12, expYear: 2034))
        // Attaching a card the bank refuses saves nothing: a refusal, not a decline.
        #expect(throws: GatewayError.invalidRequest(code: "card_declined", message: "Your card was declined.")) {
            try StripeResponses.savedMethod(status: 402, body: declineBody(code: "card_declined", declineCode: "generic_decline", paymentIntent: nil))
        }
    }

    @Test func searchPicksTheChargeMadeWithTheKey() throws {
        let body = bytes("""
            {"object": "search_result", "has_more": false, "data": [
              {"id": "pi_old", "status": "succeeded", "created": 1, "metadata": {"idempotency_key": "pay_1"}},
              {"id": "pi_other", "status": "succeeded", "created": 3, "metadata": {"idempotency_key": "pay_2"}},
              {"id": "pi_new", "status": "succeeded", "created": 2, "metadata": {"idempotency_key": "pay_1"}}]}
            """)
        let list = try StripeResponses.success(StripeList<StripePaymentIntent>.self, status: 200, body: body, what: "search result")
        #expect(StripeResponses.matching("pay_1", in: list)?.id == "pi_new")
        #expect(StripeResponses.matching("pay_3", in: list) == nil)
    }

    @Test func webhookEventsAboutOurPaymentIntents() throws {
        func event(_ type: String, _ object: String) -> [UInt8] {
            bytes(#"{"id": "evt_1", "object": "event", "type": "\#(type)", "data": {"object": \#(object)}}"#)
        }
        let succeeded = #"{"id": "pi_1", "object": "payment_intent", "status": "succeeded", "latest_charge": "ch_1", "metadata": {"idempotency_key": "pay_1"}}"#
        #expect(try StripeResponses.webhook(payload: event("payment_intent.succeeded", succeeded))
            == GatewayWebhook(id: "evt_1", fact: .chargeSettled(idempotencyKey: "pay_1", .succeeded(GatewayCharge(id: "pi_1")))))

        let failed = """
            {"id": "pi_2", "status": "requires_payment_method", "metadata": {"idempotency_key": "pay_2"},
             "last_payment_error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}}
            """
        let failure = PaymentFailure(code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds.")
        #expect(try StripeResponses.webhook(payload: event("payment_intent.payment_failed", failed))
            == GatewayWebhook(id: "evt_1", fact: .chargeSettled(idempotencyKey: "pay_2", .declined(GatewayDecline(failure: failure, soft: true), charge: GatewayCharge(id: "pi_2")))))

        let notOurs = #"{"id": "pi_3", "status": "succeeded", "metadata": {}}"#
        #expect(try StripeResponses.webhook(payload: event("payment_intent.succeeded", notOurs))
            == GatewayWebhook(id: "evt_1", fact: .ignored(type: "payment_intent.succeeded")))
        #expect(try StripeResponses.webhook(payload: event("charge.refunded", #"{"id": "ch_1", "status": "succeeded"}"#))
            == GatewayWebhook(id: "evt_1", fact: .ignored(type: "charge.refunded")))
        #expect(performing: { try StripeResponses.webhook(payload: bytes("[]")) },
                throws: { if case .invalidRequest(code: "webhook_unreadable", _) = $0 as? GatewayError { true } else { false } })
    }

    @Test func formsUseBracketKeysAndPercentEncoding() {
        let form = StripeForm.encode([("metadata[payment_id]", "pay 1&2"), ("expand[]", "latest_charge"), ("description", "Visit — 2026-11-20")])
        #expect(form == "metadata%5Bpayment_id%5D=pay%201%262&expand%5B%5D=latest_charge&description=Visit%20%E2%80%94%202026-11-20")
    }
}

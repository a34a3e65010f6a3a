import Contracts
import Foundation
import PaymentsService
import Testing

@Suite struct StripeSignatureTests {
    let secret = "whsec_test"
    let payload = Array(#"{"id":"evt_1","type":"payment_intent.succeeded"}"#.utf8)
    let signedAt: Int64 = 1_800_000_000
    var now: Date { Date(timeIntervalSince1970: TimeInterval(signedAt)) }

    func reason(_ header: String?, at now: Date? = nil) -> String? {
        do {
            try StripeSignature.verify(payload: payload, header: header, secret: secret, now: now ?? self.now)
            return nil
        } catch {
            guard case .badSignature(let why) = error else { return "unexpected \(error)" }
            return why
        }
    }

    @Test func aSignatureStripeWouldSendVerifies() {
        let header = StripeSignature.header(payload: payload, secret: secret, timestamp: signedAt)
        #expect(reason(header) == nil)
        #expect(reason(header, at: now.addingTimeInterval(300)) == nil)
    }

    /// A vector computed outside Swift (Python's hmac): hex HMAC-SHA256("whsec_test", "1800000000.<payload>").
    @Test func theSignedStringIsTimestampDotPayload() {
        let expected = "t=1800000000,v1=bceb87540d9c388c5fcbe6846213e754c3fc9cc0693e96fa471395d650f526c4"
        #expect(StripeSignature.header(payload: payload, secret: secret, timestamp: signedAt) == expected)
        #expect(reason(expected) == nil)
        #expect(reason(expected.uppercased().replacingOccurrences(of: "T=", with: "t=").replacingOccurrences(of: "V1=", with: "v1=")) == nil)
    }

    @Test func oneGoodV1AmongSeveralIsEnough() {
        let good = StripeSignature.header(payload: payload, secret: secret, timestamp: signedAt).split(separator: "v1=")[1]
        let header = "t=\(signedAt),v1=\(String(repeating: "ab", count: 32)),v1=\(good),v0=\(String(repeating: "cd", count: 32))"
        #expect(reason(header) == nil)
    }

    @Test func aSignatureUnderAnotherSecretOrOfAnotherPayloadFails() {
        let otherSecret = StripeSignature.header(payload: payload, secret: "whsec_other", timestamp: signedAt)
        #expect(reason(otherSecret) == "no v1 signature matches the payload under the webhook secret")
        let otherPayload = StripeSignature.header(payload: Array("{}".utf8), secret: secret, timestamp: signedAt)
        #expect(reason(otherPayload) == "no v1 signature matches the payload under the webhook secret")
        // The timestamp is signed too: moving it breaks the signature.
        let moved = StripeSignature.header(payload: payload, secret: secret, timestamp: signedAt)
            .replacingOccurrences(of: "t=\(signedAt)", with: "t=\(signedAt + 1)")
        #expect(reason(moved) == "no v1 signature matches the payload under the webhook secret")
    }

    @Test func staleAndFutureTimestampsAreRefusedEvenWhenSigned() {
        let stale = StripeSignature.header(payload: payload, secret: secret, timestamp: signedAt - 301)
        #expect(reason(stale) == "timestamp outside the 300 s tolerance")
        let future = StripeSignature.header(payload: payload, secret: secret, timestamp: signedAt + 301)
        #expect(reason(future) == "timestamp outside the 300 s tolerance")
    }

    @Test func missingAndMalformedHeadersAreRefused() {
        #expect(reason(nil) == "no Stripe-Signature header")
        #expect(reason("  ") == "no Stripe-Signature header")
        #expect(reason("garbage") == "Stripe-Signature is malformed: 'garbage' is not key=value")
        #expect(reason("t=yesterday,v1=00") == "Stripe-Signature is malformed: t='yesterday' is not a unix time")
        #expect(reason("v1=\(String(repeating: "ab", count: 32))") == "Stripe-Signature has no timestamp (t=…)")
        let v0Only = "t=\(signedAt),v0=\(String(repeating: "ab", count: 32))"
        #expect(reason(v0Only) == "Stripe-Signature has no v1 signature")
        #expect(reason("t=\(signedAt),v1=not-hex") == "Stripe-Signature has no v1 signature")
    }

    @Test func theGatewayFindsTheHeaderInAnyCase() throws {
        let gateway = StripeGateway(settings: StripeSettings(secretKey: "sk_test_x", webhookSecret: secret))
        let event = Array(#"{"id":"evt_9","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#.utf8)
        let header = StripeSignature.header(payload: event, secret: secret, timestamp: signedAt)
        for name in ["stripe-signature", "Stripe-Signature", "STRIPE-SIGNATURE"] {
            let webhook = try gateway.parseWebhook(payload: event, headers: [name: header], now: now)
            #expect(webhook == GatewayWebhook(id: "evt_9", fact: .ignored(type: "customer.created")))
        }
        #expect(throws: GatewayError.badSignature("no Stripe-Signature header")) {
            try gateway.parseWebhook(payload: event, headers: [:], now: now)
        }
    }

    @Test func settingsNameTheMissingVariable() throws {
        let full = ["PAYMENTS_STRIPE_SECRET_KEY": "sk_test_x", "PAYMENTS_STRIPE_WEBHOOK_SECRET": "whsec_x"]
        let settings = try StripeSettings.fromEnvironment(full.merging(["PAYMENTS_STRIPE_API_BASE": "http://127.0.0.1:9/"]) { $1 })
        #expect(settings.apiBase == "http://127.0.0.1:9")
        #expect(try StripeSettings.fromEnvironment(full).apiBase == "https://api.stripe.com")
        for missing in full.keys {
            var env = full
            env[missing] = nil
            #expect { try StripeSettings.fromEnvironment(env) } throws: { "\($0)".contains(missing) }
        }
    }
}

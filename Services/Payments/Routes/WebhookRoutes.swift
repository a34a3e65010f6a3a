import Contracts
import Foundation
import Hummingbird
import ServiceRuntime
import WebAPI

/// `POST /v1/webhooks/stripe`: the gateway tells of charges that settled later (ACH, 3-D Secure). No
/// token: the `Stripe-Signature` header (HMAC over the timestamp and the raw body, 300 s tolerance on wall
/// time) is the protection. A replayed event is answered as a duplicate and has no second effect: the
/// payment's state machine ignores news about a final payment, and event ids are remembered.
enum WebhookRoutes {
    struct Received: Codable, Sendable {
        var received: Bool
        var duplicate: Bool
    }

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        api.catalog.add(.publicRoute(
            method: "POST", path: "/v1/webhooks/stripe",
            summary: "Stripe's webhooks (Stripe-Signature verified; no bearer token)",
            output: try? SchemaInference.schema(of: Received(received: true, duplicate: false)), errorStatuses: [400]))
        api.router.post("/v1/webhooks/stripe") { request, requestContext in
            let body = Array(buffer: try await request.body.collect(upTo: 1_048_576))
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let webhook: GatewayWebhook
            do {
                webhook = try context.collector.gateway.parseWebhook(payload: body, headers: headers, now: Date())
            } catch {
                throw APIError.invalid("\(error)", param: "Stripe-Signature", code: "signature_invalid")
            }
            let gateway = context.collector.gateway.name
            let isNew = try await context.resources.client.withConnection { connection in
                try await connection.query("""
                    SELECT NOT EXISTS (SELECT 1 FROM gateway_webhooks WHERE gateway = \(gateway) AND event_id = \(webhook.id))
                    """, logger: context.resources.logger).decode(Bool.self).all().first ?? true
            }
            if isNew, case .chargeSettled(let paymentId, let outcome) = webhook.fact {
                _ = try await context.collector.settleFromWebhook(paymentId: paymentId, outcome: outcome)
            }
            // Remembered after the effect: if settling failed, the gateway's retry is not mistaken for a replay.
            try await context.resources.client.withConnection { connection in
                try await connection.query("""
                    INSERT INTO gateway_webhooks (gateway, event_id) VALUES (\(gateway), \(webhook.id)) ON CONFLICT DO NOTHING
                    """, logger: context.resources.logger)
            }
            requestContext.logger.info("gateway webhook", metadata: ["event": "\(webhook.id)", "duplicate": "\(!isNew)"])
            let answer = try JSONEncoder().encode(Received(received: true, duplicate: !isNew))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
    }
}

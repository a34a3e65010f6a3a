import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOHTTP1

/// Where and how to reach Stripe. The secret key and the webhook secret come from the environment only.
public struct StripeSettings: Sendable {
    /// `sk_live_…` / `sk_test_…` (or a restricted `rk_…` key).
    public var secretKey: String
    public var apiBase: String
    /// The `whsec_…` secret of the webhook endpoint, which signs every event Stripe sends us.
    public var webhookSecret: String
    /// For one whole call, answer included; past it the outcome is unknown and the janitor asks later.
    public var timeout: Duration

    public init(secretKey: String, apiBase: String = "https://api.stripe.com", webhookSecret: String,
                timeout: Duration = .seconds(20)) {
        self.secretKey = secretKey
        self.apiBase = apiBase
        self.webhookSecret = webhookSecret
        self.timeout = timeout
    }

    /// `PAYMENTS_STRIPE_SECRET_KEY`, `PAYMENTS_STRIPE_WEBHOOK_SECRET` (required), `PAYMENTS_STRIPE_API_BASE`.
    public static func fromEnvironment(_ env: [String: String]) throws(StripeSettingsError) -> StripeSettings {
        func required(_ name: String) throws(StripeSettingsError) -> String {
            guard let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                throw StripeSettingsError("\(name) is not set: the Stripe gateway needs it (Stripe Dashboard → Developers)")
            }
            return value
        }
        var settings = StripeSettings(secretKey: try required("PAYMENTS_STRIPE_SECRET_KEY"),
                                      webhookSecret: try required("PAYMENTS_STRIPE_WEBHOOK_SECRET"))
        if let base = env["PAYMENTS_STRIPE_API_BASE"], !base.isEmpty {
            guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                throw StripeSettingsError("PAYMENTS_STRIPE_API_BASE is '\(base)'; give a URL such as https://api.stripe.com")
            }
            settings.apiBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        return settings
    }
}

public struct StripeSettingsError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Stripe through its REST API: PaymentIntents for charges, Customers and PaymentMethods for cards on file,
/// Refunds, and signed webhooks. Every POST carries an `Idempotency-Key` (Stripe replays the first answer for
/// 24 h), and `metadata[idempotency_key]` lets `lookup` find a charge whose answer was lost.
public struct StripeGateway: PaymentGateway {
    /// Pinned so that the shapes read in `StripeResponses` do not change with the account's default version.
    public static let apiVersion = "2024-06-20"
    /// Search lags writes by up to a minute (Stripe's "data freshness"); charges this recent are also looked
    /// for in the list API, which does not lag.
    static let searchLag: TimeInterval = 15 * 60

    public let name = "stripe"
    let settings: StripeSettings
    let client: HTTPClient

    public init(settings: StripeSettings, client: HTTPClient = .shared) {
        self.settings = settings
        self.client = client
    }

    public func charge(_ request: GatewayChargeRequest) async throws(GatewayError) -> GatewayChargeOutcome {
        var form: [(String, String)] = [
            ("amount", String(request.amount.amount)),
            ("currency", request.amount.currency.lowercased()),
            ("confirm", "true"),
            ("description", request.description),
            ("expand[]", "latest_charge"),  // for the card's brand and last four digits
        ]
        form += metadata(request.metadata, idempotencyKey: request.idempotencyKey)
        switch request.source {
        case .cardToken(let token):
            form += [("payment_method_types[]", "card"), ("payment_method_data[type]", "card"),
                     ("payment_method_data[card][token]", token)]
        case .savedMethod(let method, let customer, let offSession):
            form += [("payment_method", method)]
            if let customer { form += [("customer", customer)] }
            if offSession { form += [("off_session", "true")] }
            // Whatever type the saved method is, never a redirect: there is nobody to send back.
            form += [("automatic_payment_methods[enabled]", "true"), ("automatic_payment_methods[allow_redirects]", "never")]
        case .bankToken(let token):
            // Kept simple on purpose: real ACH debits need Financial Connections and a mandate; this shape is
            // exercised only against the fake Stripe (Tests/e2e/fake_stripe.py).
            form += [("payment_method_types[]", "us_bank_account"), ("payment_method_data[type]", "us_bank_account"),
                     ("payment_method_data[us_bank_account][token]", token)]
        }
        let answer = try await send(.POST, "/v1/payment_intents", form: form, idempotencyKey: request.idempotencyKey)
        return try StripeResponses.chargeOutcome(status: answer.status, body: answer.body)
    }

    /// PaymentMethod create + attach (rather than a SetupIntent): a card token from the front desk's form needs
    /// no redirect, and attaching runs the card network's check. Each step has its own key derived from the
    /// request's, so a retry replays the steps already done instead of making a second customer or method.
    public func saveMethod(_ request: GatewaySaveRequest) async throws(GatewayError) -> GatewaySavedMethod {
        var customerId = request.customerId
        if customerId == nil {
            let answer = try await send(.POST, "/v1/customers", form: metadata(request.metadata, idempotencyKey: nil),
                                        idempotencyKey: "\(request.idempotencyKey):customer")
            customerId = try StripeResponses.success(StripeCustomer.self, status: answer.status, body: answer.body, what: "Customer").id
        }
        let created = try await send(.POST, "/v1/payment_methods",
                                     form: [("type", "card"), ("card[token]", request.token)] + metadata(request.metadata, idempotencyKey: nil),
                                     idempotencyKey: "\(request.idempotencyKey):method")
        let method = try StripeResponses.success(StripePaymentMethod.self, status: created.status, body: created.body, what: "PaymentMethod")
        let attached = try await send(.POST, "/v1/payment_methods/\(StripeForm.escape(method.id))/attach",
                                      form: [("customer", customerId ?? "")], idempotencyKey: "\(request.idempotencyKey):attach")
        return try StripeResponses.savedMethod(status: attached.status, body: attached.body)
    }

    public func refund(_ request: GatewayRefundRequest) async throws(GatewayError) -> GatewayRefundOutcome {
        let form = [("payment_intent", request.chargeId), ("amount", String(request.amount.amount))]
            + metadata([:], idempotencyKey: request.idempotencyKey)
        let answer = try await send(.POST, "/v1/refunds", form: form, idempotencyKey: request.idempotencyKey)
        return try StripeResponses.refundOutcome(status: answer.status, body: answer.body)
    }

    /// Search finds charges of any age but lags by up to a minute; so a charge not found there is looked for
    /// among the last `searchLag` of PaymentIntents too before we say Stripe never saw it. When that list is
    /// too long to read through, the answer is "still unknown", never "not charged".
    public func lookup(idempotencyKey: String) async throws(GatewayError) -> GatewayChargeOutcome? {
        let quoted = idempotencyKey.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        let search = try await send(.GET, "/v1/payment_intents/search", form: [
            ("query", "metadata['idempotency_key']:'\(quoted)'"), ("limit", "10"), ("expand[]", "data.latest_charge"),
        ], idempotencyKey: nil)
        let found = try StripeResponses.success(StripeList<StripePaymentIntent>.self, status: search.status, body: search.body, what: "search result")
        if let intent = StripeResponses.matching(idempotencyKey, in: found) { return try StripeResponses.outcome(of: intent) }

        let since = Int64(Date().timeIntervalSince1970 - Self.searchLag)
        var startingAfter: String?
        for _ in 0..<10 {
            var form = [("created[gte]", String(since)), ("limit", "100"), ("expand[]", "data.latest_charge")]
            if let startingAfter { form.append(("starting_after", startingAfter)) }
            let page = try await send(.GET, "/v1/payment_intents", form: form, idempotencyKey: nil)
            let recent = try StripeResponses.success(StripeList<StripePaymentIntent>.self, status: page.status, body: page.body, what: "list")
            if let intent = StripeResponses.matching(idempotencyKey, in: recent) { return try StripeResponses.outcome(of: intent) }
            guard recent.hasMore, let last = recent.data.last else { return nil }
            startingAfter = last.id
        }
        throw .outcomeUnknown("more than 1,000 PaymentIntents in the last \(Int(Self.searchLag / 60)) minutes; ask again once search has caught up")
    }

    public func parseWebhook(payload: [UInt8], headers: [String: String], now: Date) throws(GatewayError) -> GatewayWebhook {
        let header = headers.first { $0.key.lowercased() == "stripe-signature" }?.value
        try StripeSignature.verify(payload: payload, header: header, secret: settings.webhookSecret, now: now)
        return try StripeResponses.webhook(payload: payload)
    }

    // MARK: HTTP

    private func metadata(_ values: [String: String], idempotencyKey: String?) -> [(String, String)] {
        var all = values
        if let idempotencyKey { all["idempotency_key"] = idempotencyKey }
        // Sorted, so a retry sends the very same body (Stripe compares a replayed key's parameters).
        return all.sorted { $0.key < $1.key }.map { ("metadata[\($0.key)]", $0.value) }
    }

    /// One call: form in the body of a POST, in the query of a GET. Any failure to get a whole answer is
    /// `outcomeUnknown`: the request may have reached Stripe.
    private func send(_ method: HTTPMethod, _ path: String, form: [(String, String)],
                      idempotencyKey: String?) async throws(GatewayError) -> (status: Int, body: [UInt8]) {
        let encoded = StripeForm.encode(form)
        var request = HTTPClientRequest(url: settings.apiBase + path + (method == .GET && !encoded.isEmpty ? "?\(encoded)" : ""))
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(settings.secretKey)")
        request.headers.add(name: "Stripe-Version", value: Self.apiVersion)
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: encoded))
        }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }

        let (client, timeout, prepared) = (self.client, settings.timeout, request)
        do {
            // The deadline of `execute` ends with the answer's head; the race also bounds reading the body.
            return try await withThrowingTaskGroup(of: (status: Int, body: [UInt8])?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: Self.timeAmount(timeout))
                    let body = try await response.body.collect(upTo: 4 << 20)
                    return (Int(response.status.code), Array(body.readableBytesView))
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let first else { throw StripeTimeout() }
                return first
            }
        } catch is StripeTimeout {
            throw .outcomeUnknown("\(method) \(path): no whole answer within \(timeout)")
        } catch {
            throw .outcomeUnknown("\(method) \(path): \(error)")
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}

private struct StripeTimeout: Error {}

/// Stripe's form encoding: `key=value` pairs joined by `&`, nested keys in brackets (`metadata[payment_id]`),
/// everything but unreserved characters percent-encoded.
public enum StripeForm {
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

/// The only routes answered without a bearer token, each protected its own way. Listed in one place so
/// that a reviewer sees every door at once; every other route requires a valid token.
public enum PublicRoutes {
    public struct Entry: Sendable {
        public var pathPrefix: String
        public var protection: String
    }

    public static let all: [Entry] = [
        Entry(pathPrefix: "/health/", protection: "none: liveness and readiness only, no data"),
        Entry(pathPrefix: "/metrics", protection: "none: counters for the operator's scraper, no patient data"),
        Entry(pathPrefix: "/openapi.json", protection: "none: the API's own description, no data"),
        Entry(pathPrefix: "/v1/webhooks/", protection: "the sender's signature over the raw body (Stripe-Signature: HMAC-SHA256, 300 s tolerance)"),
        Entry(pathPrefix: "/plan-offers/", protection: "a single-use, expiring link token (32 random bytes; only its SHA-256 is stored)"),
        // Later features add their doors here: single-use signed links (pay page, unsubscribe, PDFs) and
        // the dashboard's sign-in page.
    ]

    public static func entry(for path: String) -> Entry? {
        all.first { path == $0.pathPrefix || path.hasPrefix($0.pathPrefix) }
    }
}

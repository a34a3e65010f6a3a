/// A message as it arrived from the broker.
public struct Delivery: Sendable {
    public var deliveryTag: UInt64
    public var exchange: String
    public var routingKey: String
    public var redelivered: Bool
    public var messageId: String?
    public var contentType: String?
    /// String headers as text; integer headers in decimal. Other kinds (tables, arrays) are left out.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(deliveryTag: UInt64, exchange: String, routingKey: String, redelivered: Bool, messageId: String?,
                contentType: String?, headers: [String: String], body: [UInt8]) {
        self.deliveryTag = deliveryTag
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.messageId = messageId
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// How many times the suite has tried to handle this message before (0 on first delivery).
    public var previousAttempts: Int { headers[SuiteHeader.attempts].flatMap { Int($0) } ?? 0 }
}

/// A message to publish: persistent, with string headers.
public struct OutgoingMessage: Sendable {
    public var exchange: String
    public var routingKey: String
    public var messageId: String
    public var contentType: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(exchange: String, routingKey: String, messageId: String, contentType: String = "application/json",
                headers: [(String, String)], body: [UInt8]) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.messageId = messageId
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// Headers the suite adds when it retries or dead-letters a message. They never carry event data.
public enum SuiteHeader {
    public static let attempts = "x-clinicledger-attempts"
    public static let lastError = "x-clinicledger-last-error"
    public static let deadReason = "x-clinicledger-dead-reason"
    public static let deadAt = "x-clinicledger-dead-at"
    public static let deadBy = "x-clinicledger-dead-by"
    public static let originalRoutingKey = "x-clinicledger-original-routing-key"
    public static let originalExchange = "x-clinicledger-original-exchange"

    public static func isSuiteHeader(_ name: String) -> Bool { name.hasPrefix("x-clinicledger-") }
}

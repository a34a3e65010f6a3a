/// Where the broker is and how the suite uses it. Read from the environment by the service runtime.
public struct BrokerSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 5672
    public var user = "guest"
    public var password = "guest"
    public var virtualHost = "/"
    /// Seconds; the broker closes a connection that misses two.
    public var heartbeatSeconds = 30
    /// The one durable topic exchange every event is published to.
    public var exchange = "clinicledger.events"
    /// `classic` on one node; `quorum` on a cluster, where queues must survive a node.
    public var queueType: QueueType = .classic
    /// Unacknowledged deliveries the broker may send ahead; bounds memory and redelivery after a crash.
    public var prefetch = 200
    /// Most deliveries handled in one database transaction.
    public var batchSize = 100
    /// Attempts before a message that keeps failing goes to the dead-letter queue.
    public var maxAttempts = 5
    /// Delay before each retry, growing; attempts beyond the list reuse its last entry.
    public var retryDelaysMilliseconds = [1_000, 5_000, 30_000, 120_000]

    public init() {}

    public enum QueueType: String, Sendable {
        case classic, quorum
    }
}

/// A failure talking to the broker, with what was being done.
public struct BrokerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

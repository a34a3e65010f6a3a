/// The queues of one service: its work queue bound to the event types it handles, one retry queue per
/// delay (TTL, then dead-lettered back to the work queue), and its dead-letter queue.
public struct ServiceQueues: Sendable {
    public let service: String

    public init(service: String) { self.service = service }

    public var work: String { service }
    public var dead: String { "\(service).dead" }
    /// The delay is in the name, so that changing the delays declares new queues instead of clashing
    /// with the arguments of existing ones.
    public func retry(delayMilliseconds: Int) -> String { "\(service).retry.\(delayMilliseconds)ms" }

    /// Declares the exchange and every queue and binding; safe to repeat (after a reconnect).
    func declare(on connection: AMQPConnection, settings: BrokerSettings, routingKeys: [String]) throws(BrokerError) {
        try connection.declareExchange(settings.exchange)
        try connection.declareQueue(work, type: settings.queueType)
        for key in routingKeys { try connection.bind(queue: work, exchange: settings.exchange, routingKey: key) }
        for delay in Set(settings.retryDelaysMilliseconds) {
            try connection.declareQueue(
                retry(delayMilliseconds: delay), type: settings.queueType,
                deadLetterTo: (exchange: "", routingKey: work), messageTTLMilliseconds: delay)
        }
        try connection.declareQueue(dead, type: settings.queueType)
    }

    /// The retry queue for a message that has failed `attempts` times.
    public func retryQueue(afterAttempts attempts: Int, settings: BrokerSettings) -> String {
        let delays = settings.retryDelaysMilliseconds
        let index = min(max(attempts - 1, 0), delays.count - 1)
        return retry(delayMilliseconds: delays[index])
    }
}

public import Foundation
public import Messaging
public import Storage

/// Everything a service reads at start, from the environment. Every key is looked up first as
/// `<SERVICE>_<KEY>` (e.g. `PAYMENTS_HTTP_PORT`), then as `CLINICLEDGER_<KEY>`, then defaults.
public struct ServiceConfiguration: Sendable {
    public var service: String
    public var broker: BrokerSettings
    public var database: DatabaseSettings
    public var httpHost: String
    public var httpPort: Int
    public var logLevel: String
    /// Fault drill (`scripts/dev chaos`): the process dies once the broker has confirmed N outbox batches,
    /// before they are deleted, as a crash at the worst moment would. 0: never.
    public var exitAfterRelayedBatches: Int = 0

    public static func fromEnvironment(
        service: String, defaultHTTPPort: Int, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> ServiceConfiguration {
        let reader = EnvironmentReader(service: service, environment: environment)
        var broker = BrokerSettings()
        broker.host = reader.string("AMQP_HOST", default: broker.host)
        broker.port = try reader.int("AMQP_PORT", default: 5672)
        broker.user = reader.string("AMQP_USER", default: broker.user)
        broker.password = reader.string("AMQP_PASSWORD", default: broker.password)
        broker.virtualHost = reader.string("AMQP_VHOST", default: broker.virtualHost)
        broker.exchange = reader.string("AMQP_EXCHANGE", default: broker.exchange)
        broker.heartbeatSeconds = try reader.int("AMQP_HEARTBEAT_SECONDS", default: broker.heartbeatSeconds)
        broker.prefetch = try reader.int("AMQP_PREFETCH", default: broker.prefetch)
        broker.batchSize = try reader.int("AMQP_BATCH_SIZE", default: broker.batchSize)
        broker.maxAttempts = try reader.int("AMQP_MAX_ATTEMPTS", default: broker.maxAttempts)
        let queueType = reader.string("AMQP_QUEUE_TYPE", default: broker.queueType.rawValue)
        guard let type = BrokerSettings.QueueType(rawValue: queueType) else {
            throw ConfigurationError("\(reader.name("AMQP_QUEUE_TYPE")) is '\(queueType)'; use classic or quorum")
        }
        broker.queueType = type
        let delays = reader.string("AMQP_RETRY_DELAYS_MS", default: broker.retryDelaysMilliseconds.map(String.init).joined(separator: ","))
        let parsedDelays = delays.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsedDelays.isEmpty, parsedDelays.allSatisfy({ $0 > 0 }) else {
            throw ConfigurationError("\(reader.name("AMQP_RETRY_DELAYS_MS")) is '\(delays)'; give positive milliseconds, e.g. 1000,5000,30000")
        }
        broker.retryDelaysMilliseconds = parsedDelays

        var database = DatabaseSettings(
            user: reader.string("POSTGRES_USER", default: service),
            password: reader.string("POSTGRES_PASSWORD", default: "\(service)-dev-password"))
        database.host = reader.string("POSTGRES_HOST", default: database.host)
        database.port = try reader.int("POSTGRES_PORT", default: 5432)
        database.database = reader.string("POSTGRES_DATABASE", default: database.database)
        database.maximumConnections = try reader.int("POSTGRES_MAX_CONNECTIONS", default: database.maximumConnections)

        var configuration = ServiceConfiguration(
            service: service, broker: broker, database: database,
            httpHost: reader.string("HTTP_HOST", default: "127.0.0.1"),
            httpPort: try reader.int("HTTP_PORT", default: defaultHTTPPort),
            logLevel: reader.string("LOG_LEVEL", default: "info"))
        configuration.exitAfterRelayedBatches = try reader.int("FAULT_EXIT_AFTER_RELAYED_BATCHES", default: 0)
        return configuration
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

struct EnvironmentReader {
    let service: String
    let environment: [String: String]

    func name(_ key: String) -> String { "\(service.uppercased())_\(key)" }

    func string(_ key: String, default fallback: String) -> String {
        environment[name(key)] ?? environment["CLINICLEDGER_\(key)"] ?? fallback
    }

    func int(_ key: String, default fallback: Int) throws(ConfigurationError) -> Int {
        let text = string(key, default: String(fallback))
        guard let value = Int(text), value >= 0 else {
            throw ConfigurationError("\(name(key)) (or CLINICLEDGER_\(key)) is '\(text)'; it must be a whole number")
        }
        return value
    }
}

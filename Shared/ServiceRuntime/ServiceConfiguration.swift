public import Foundation
public import Messaging
public import Privacy
public import Storage
public import WebAPI

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
    /// `dev`, `test`, `chaos`, `bench` or `production` (the default): only production refuses a movable clock
    /// and an HS256 token secret.
    public var environment: String = "production"
    /// The file `scripts/dev clock` writes; nil in production.
    public var clockFile: String?
    public var tokens: TokenSettings
    public var cipher: FieldCipher
    public var blindIndex: BlindIndex

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

        let environmentName = reader.string("ENV", default: "production")
        let isProduction = environmentName == "production"
        let clockFile = reader.string("CLOCK_FILE", default: "")
        if isProduction, !clockFile.isEmpty {
            throw ConfigurationError("\(reader.name("CLOCK_FILE")) is set, but a production service never moves its clock; unset it")
        }
        var configuration = ServiceConfiguration(
            service: service, broker: broker, database: database,
            httpHost: reader.string("HTTP_HOST", default: "127.0.0.1"),
            httpPort: try reader.int("HTTP_PORT", default: defaultHTTPPort),
            logLevel: reader.string("LOG_LEVEL", default: "info"),
            tokens: try tokenSettings(reader, isProduction: isProduction),
            cipher: try privacyKey(reader, "FIELD_KEYS") { try PrivacyKeys.fieldCipher(from: $0) },
            blindIndex: try privacyKey(reader, "BLIND_INDEX_KEY") { try PrivacyKeys.blindIndex(from: $0) })
        configuration.exitAfterRelayedBatches = try reader.int("FAULT_EXIT_AFTER_RELAYED_BATCHES", default: 0)
        configuration.environment = environmentName
        configuration.clockFile = clockFile.isEmpty ? nil : clockFile
        return configuration
    }
}

/// The token key: `JWT_ALGORITHM` HS256 (dev and test: `JWT_SECRET_FILE`), EdDSA or RS256
/// (`JWT_PUBLIC_KEY_FILE`, PEM); `JWT_ISSUER` / `JWT_AUDIENCE` are checked when set.
func tokenSettings(_ reader: EnvironmentReader, isProduction: Bool) throws(ConfigurationError) -> TokenSettings {
    let algorithm = reader.string("JWT_ALGORITHM", default: isProduction ? "EdDSA" : "HS256")
    func file(_ key: String) throws(ConfigurationError) -> String {
        guard let text = try reader.fileText(key) else {
            throw ConfigurationError("\(reader.name(key)) is not set: \(algorithm) tokens need it (scripts/dev up writes one for dev and test)")
        }
        return text
    }
    let key: TokenSettings.Key
    switch algorithm {
    case "HS256":
        if isProduction {
            throw ConfigurationError("\(reader.name("JWT_ALGORITHM")) is HS256, which is for dev and test only; production takes EdDSA or RS256 public keys")
        }
        let secret = try file("JWT_SECRET_FILE")
        guard secret.utf8.count >= 32 else { throw ConfigurationError("the HS256 secret must be at least 32 bytes") }
        key = .hs256(secret: Array(secret.utf8))
    case "EdDSA": key = .eddsaPublicKeyPEM(try file("JWT_PUBLIC_KEY_FILE"))
    case "RS256": key = .rs256PublicKeyPEM(try file("JWT_PUBLIC_KEY_FILE"))
    default: throw ConfigurationError("\(reader.name("JWT_ALGORITHM")) is '\(algorithm)'; use EdDSA, RS256 or (dev/test) HS256")
    }
    let issuer = reader.string("JWT_ISSUER", default: "")
    let audience = reader.string("JWT_AUDIENCE", default: "")
    return TokenSettings(key: key, issuer: issuer.isEmpty ? nil : issuer, audience: audience.isEmpty ? nil : audience)
}

/// A key for patient data at rest, from `<KEY>` or the file named by `<KEY>_FILE`.
func privacyKey<T>(_ reader: EnvironmentReader, _ key: String, _ parse: (String) throws -> T) throws(ConfigurationError) -> T {
    let given = reader.string(key, default: "")
    guard let text = given.isEmpty ? try reader.fileText("\(key)_FILE") : given, !text.isEmpty else {
        throw ConfigurationError("\(reader.name(key)) (or \(key)_FILE) is not set: patient data is stored encrypted and needs a key (scripts/dev up writes one for dev and test)")
    }
    do { return try parse(text) } catch {
        throw ConfigurationError("\(reader.name(key)): \(error)")
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

    /// The trimmed contents of the file `key` names; nil when `key` is not set.
    func fileText(_ key: String) throws(ConfigurationError) -> String? {
        let path = string(key, default: "")
        guard !path.isEmpty else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("\(name(key)) names '\(path)', which cannot be read")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func int(_ key: String, default fallback: Int) throws(ConfigurationError) -> Int {
        let text = string(key, default: String(fallback))
        guard let value = Int(text), value >= 0 else {
            throw ConfigurationError("\(name(key)) (or CLINICLEDGER_\(key)) is '\(text)'; it must be a whole number")
        }
        return value
    }
}

public import PostgresNIO

/// How a service reaches its own schema: it logs in as its own role, whose search_path is its schema.
public struct DatabaseSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 5432
    public var database = "clinicledger"
    public var user: String
    public var password: String
    /// Connections the service's pool may open.
    public var maximumConnections = 8

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    /// For a connection of its own, outside the pool (the outbox relay holds one for its session lock).
    public var connectionConfiguration: PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}

public import Hummingbird
public import Logging
public import PostgresNIO
public import Storage

/// What makes one service itself; the runtime supplies everything else (broker, outbox, inbox,
/// health, metrics, shutdown order).
public struct ServiceDefinition: Sendable {
    public var name: String
    public var defaultHTTPPort: Int
    /// The service's own schema changes, applied after the runtime's outbox and inbox tables.
    public var migrations: [Migration]
    public var handlers: EventHandlers
    /// Adds the service's own HTTP routes.
    public var routes: @Sendable (Router<BasicRequestContext>, ServiceResources) -> Void

    public init(name: String, defaultHTTPPort: Int, migrations: [Migration], handlers: EventHandlers,
                routes: @escaping @Sendable (Router<BasicRequestContext>, ServiceResources) -> Void) {
        self.name = name
        self.defaultHTTPPort = defaultHTTPPort
        self.migrations = migrations
        self.handlers = handlers
        self.routes = routes
    }
}

/// What routes may use.
public struct ServiceResources: Sendable {
    public let client: PostgresClient
    public let logger: Logger
}

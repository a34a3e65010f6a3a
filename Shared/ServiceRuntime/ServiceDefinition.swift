public import Logging
public import PostgresNIO
public import Privacy
public import Storage
public import WebAPI

/// What makes one service itself; the runtime supplies everything else (broker, outbox, inbox, audit,
/// idempotency, clock, scheduler, health, metrics, shutdown order).
public struct ServiceDefinition: Sendable {
    public var name: String
    public var defaultHTTPPort: Int
    /// The service's own schema changes (component = the service's name), applied after the runtime's
    /// tables and `sharedMigrations`.
    public var migrations: [Migration]
    /// Tables of shared pieces the service uses (e.g. the event journal), each its own component.
    public var sharedMigrations: [(component: String, migrations: [Migration])] = []
    public var handlers: EventHandlers
    /// Handlers that need the service's resources (e.g. a gateway built on the separate pool), added to
    /// `handlers` once the resources exist.
    public var handlersWithResources: @Sendable (ServiceResources, inout EventHandlers) -> Void = { _, _ in }
    /// Adds the service's own HTTP routes.
    public var routes: @Sendable (APIRoutes, ServiceResources) -> Void
    /// Time-dependent work, run once per due time across replicas; made from the service's resources.
    public var jobs: @Sendable (ServiceResources) -> [ScheduledJob]

    public init(name: String, defaultHTTPPort: Int, migrations: [Migration], handlers: EventHandlers,
                jobs: @escaping @Sendable (ServiceResources) -> [ScheduledJob] = { _ in [] },
                routes: @escaping @Sendable (APIRoutes, ServiceResources) -> Void) {
        self.name = name
        self.defaultHTTPPort = defaultHTTPPort
        self.migrations = migrations
        self.handlers = handlers
        self.jobs = jobs
        self.routes = routes
    }
}

/// What routes may use.
public struct ServiceResources: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    public let clock: ServiceClock
    /// Encrypts patient data at rest.
    public let cipher: FieldCipher
    /// Exact-match look-ups of encrypted values.
    public let blindIndex: BlindIndex
    /// Makes a change (rows, outbox events, audit lines in one transaction) outside a route's own, e.g.
    /// to record an intent that must commit before a gateway call.
    public let runner: ChangeRunner
    /// A second small pool, for a write that must commit on its own while the caller's transaction is
    /// open (never for work that itself waits on `client`).
    public let separateClient: PostgresClient
}

import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage
import Synchronization
import WebAPI

/// Builds and runs one service: `[postgres, event processing, http]` in a ServiceGroup. On SIGTERM the
/// group stops them in reverse: HTTP first, then event processing (the batch in hand finishes, the
/// outbox is flushed, broker connections close), then Postgres.
public enum ServiceHost {
    /// The executable's entry point: `serve` (the default) or an operator command.
    public static func main(_ definition: ServiceDefinition) async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            let configuration = try ServiceConfiguration.fromEnvironment(
                service: definition.name, defaultHTTPPort: definition.defaultHTTPPort)
            switch arguments.first {
            case nil, "serve":
                try await serve(definition, configuration: configuration)
            case "dead-letters":
                try DeadLetterCommand.run(Array(arguments.dropFirst()), service: definition.name, settings: configuration.broker)
            case "audit", "token", "openapi":
                try await OperatorCommands.run(arguments, definition, configuration)
            case "help", "--help", "-h":
                print(usage(definition.name))
            default:
                fail("unknown command '\(arguments[0])'\n\n\(usage(definition.name))")
            }
        } catch {
            fail("\(error)")
        }
    }

    static func usage(_ service: String) -> String {
        """
        usage: \(service) [serve]                         run the service
               \(service) dead-letters list [--json]      list the dead-letter queue \(service).dead
               \(service) dead-letters show MESSAGE_ID    one dead letter with its headers and body
               \(service) dead-letters replay MESSAGE_ID... | --all
                                                 send dead letters back to \(service) for another try
               \(service) audit verify                    walk the audit hash chain; exit 1 at the first bad row
               \(service) token --role ROLE --clinic ID [--patient ID] [--subject SUB] [--ttl 1h|30m|5s]
                                                 print a token (dev and test: HS256 secret)
               \(service) openapi                         print the OpenAPI document of the routes
        Configuration comes from the environment; see README.md, "Configuration".
        """
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        exit(1)
    }

    public static func serve(_ definition: ServiceDefinition, configuration: ServiceConfiguration) async throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            return handler
        }
        let group = try await makeServiceGroup(definition, configuration: configuration, registry: registry)
        try await group.run()
    }

    static func makeServiceGroup(
        _ definition: ServiceDefinition, configuration: ServiceConfiguration, registry: PrometheusCollectorRegistry
    ) async throws -> ServiceGroup {
        let logger = Logger(label: "clinicledger.\(definition.name)")
        let client = PostgresClient(configuration: configuration.database.clientConfiguration, backgroundLogger: logger)
        // A second, small pool for writes that must commit on their own while a request's transaction holds
        // a connection of the first (a payment committed before the gateway is called). Taking them from
        // the first pool could leave every connection waiting for another.
        var separate = configuration.database
        separate.maximumConnections = 4
        let separateClient = PostgresClient(configuration: separate.clientConfiguration, backgroundLogger: logger)
        let clock = configuration.clockFile.map { ServiceClock(file: $0) } ?? .wall
        clock.refresh()
        let publisher = EventPublisher(settings: configuration.broker, logger: logger)
        let queues = ServiceQueues(service: definition.name)
        let relay = OutboxRelay(
            client: client, database: configuration.database,
            publisher: EventPublisher(settings: configuration.broker, logger: logger), inspector: publisher,
            exchange: configuration.broker.exchange, deadLetterQueue: queues.dead, logger: logger,
            exitAfterBatches: configuration.exitAfterRelayedBatches)
        let runner = ChangeRunner(service: definition.name, client: client, clock: clock, logger: logger,
                                  afterCommit: { relay.nudge() })
        let resources = ServiceResources(client: client, logger: logger, clock: clock, cipher: configuration.cipher,
                                         blindIndex: configuration.blindIndex, runner: runner, separateClient: separateClient)
        var handlers = definition.handlers
        definition.handlersWithResources(resources, &handlers)
        let pipeline = EventPipeline(
            service: definition.name, handlers: handlers, client: client, publisher: publisher,
            settings: configuration.broker, relay: relay, clock: clock, cipher: configuration.cipher, logger: logger)
        let consumer = EventConsumer(
            settings: configuration.broker, queues: queues,
            routingKeys: handlers.bindingPatterns, logger: logger, handler: { await pipeline.handle($0) })
        let migrated = Flag()

        let router = Router(context: ClinicRequestContext.self)
        router.add(middleware: PlatformMiddleware(verifier: try await TokenVerifier(configuration.tokens)))
        let catalog = RouteCatalog(service: definition.name)
        HealthRoutes(service: definition.name, client: client, consumer: consumer,
                     migrated: migrated, registry: registry).add(to: router, catalog: catalog)
        addRoutes(definition, api: APIRoutes(router: router, runner: runner, catalog: catalog), resources: resources)
        let http = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort),
                                 serverName: "clinicledger-\(definition.name)"),
            logger: logger)

        let processing = EventProcessing(
            migrate: {
                try await migrate(definition, client: client, logger: logger)
                migrated.set()
            },
            consumer: consumer, relay: relay, publisher: publisher, logger: logger)
        let background = BackgroundWork(
            service: definition.name, jobs: [PlatformJobs.pruneIdempotencyKeys] + definition.jobs(resources), runner: runner,
            migrated: migrated, logger: logger)

        return ServiceGroup(configuration: .init(
            services: [.init(service: client), .init(service: separateClient), .init(service: processing), .init(service: background), .init(service: http)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    }

    /// The platform's routes (audit, OpenAPI), then the service's own.
    static func addRoutes(_ definition: ServiceDefinition, api: APIRoutes, resources: ServiceResources) {
        AuditRoutes.add(to: api, resources)
        definition.routes(api, resources)
        OpenAPIRoute.add(to: api.router, catalog: api.catalog)
    }

    /// The runtime's tables, the platform's, shared pieces', then the service's own; each component
    /// applies its own numbered migrations.
    static func migrate(_ definition: ServiceDefinition, client: PostgresClient, logger: Logger) async throws {
        try await Migrator.apply(Outbox.migrations, component: "runtime", client: client, logger: logger)
        try await Migrator.apply(PlatformTables.migrations, component: "platform", client: client, logger: logger)
        for (component, migrations) in definition.sharedMigrations {
            try await Migrator.apply(migrations, component: component, client: client, logger: logger)
        }
        try await Migrator.apply(definition.migrations, component: definition.name, client: client, logger: logger)
    }
}

/// Migrations, then the consumer and the outbox relay; on shutdown the consumer stops first (the batch
/// in hand is finished and acknowledged), then the relay publishes what is left, then the publisher closes.
struct EventProcessing: Service {
    let migrate: @Sendable () async throws -> Void
    let consumer: EventConsumer
    let relay: OutboxRelay
    let publisher: EventPublisher
    let logger: Logger

    func run() async throws {
        var backoff = Duration.milliseconds(200)
        while true {
            do {
                try await migrate()
                break
            } catch let error as MigrationError {
                // Not a passing outage: this build and the database disagree. Stop, and say why.
                logger.critical("migrations cannot be applied; stopping", metadata: ["error": "\(error)"])
                throw error
            } catch {
                logger.error("cannot apply migrations yet; retrying", metadata: ["error": "\(String(reflecting: error))"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        consumer.start()
        await withDiscardingTaskGroup { group in
            group.addTask { await relay.run() }
            try? await gracefulShutdown()
            await consumer.stop()
            relay.stop()
        }
        await publisher.shutdown()
        logger.info("event processing stopped")
    }
}

/// A Sendable yes/no that starts as no.
final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

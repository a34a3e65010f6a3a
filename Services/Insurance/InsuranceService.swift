import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// Insurance: coverage and benefits, eligibility (X12 270/271), estimates, scrubbing, claims (837D/837P)
/// through a clearinghouse (the embedded simulator or a file drop) that answers 999 and 277CA.
public enum Insurance {
    public static var definition: ServiceDefinition {
        let settings = InsuranceSettings.fromEnvironment()
        var definition = ServiceDefinition(
            name: "insurance", defaultHTTPPort: 8082, migrations: InsuranceMigrations.all, handlers: EventHandlers(),
            jobs: { resources in
                let context = InsuranceContext(resources, settings: settings)
                return [ClaimJobs.build(context), ClaimJobs.exchange(context)]
            },
            routes: { api, resources in
                let context = InsuranceContext(resources, settings: settings)
                CoverageRoutes.add(to: api, context)
                EstimateRoutes.add(to: api, context)
                ClaimRoutes.add(to: api, context)
                FileRoutes.add(to: api, context)
            })
        definition.handlersWithResources = { resources, handlers in
            InsuranceHandlers.register(in: &handlers, InsuranceContext(resources, settings: settings))
        }
        return definition
    }
}

/// What the insurance service is configured with (`INSURANCE_*` environment variables).
struct InsuranceSettings: Sendable {
    enum ClearinghouseKind: String, Sendable { case simulator, filedrop }

    var clearinghouse: ClearinghouseKind
    /// filedrop: where outbound files are written and inbound files are picked up.
    var outboxDirectory: String
    var inboxDirectory: String
    /// How often claims are built and sent, and answers collected (seconds).
    var claimsEverySeconds: Int
    var exchangeEverySeconds: Int
    /// Charges without an appointment are claimed in the batch after this many hours.
    var batchAfterHours: Int
    /// The payers' timely-filing limit, in days after the service date.
    var timelyFilingDays: Int
    /// Who sends our interchanges (ISA06, 1000A) and who receives them (ISA08, 1000B).
    var submitter: Submitter
    var receiverId: String
    var receiverName: String
    /// ISA15: "T" for test files, "P" for production.
    var usage: String
    /// The clinic's zone: "today" for service dates and the timely-filing limit.
    var timeZone: String
    /// The simulator learns its members from the clinic's coverage events (normalised member ids).
    var simulatorEnrolsCoverages: Bool

    struct Submitter: Sendable {
        var id: String
        var name: String
        var contactName: String
        var phone: String
    }

    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> InsuranceSettings {
        let kind = ClearinghouseKind(rawValue: env["INSURANCE_CLEARINGHOUSE"] ?? "simulator") ?? .simulator
        let dropRoot = env["INSURANCE_FILEDROP_DIR"] ?? ".run/filedrop"
        return InsuranceSettings(
            clearinghouse: kind,
            outboxDirectory: env["INSURANCE_FILEDROP_OUTBOX"] ?? dropRoot + "/outbound",
            inboxDirectory: env["INSURANCE_FILEDROP_INBOX"] ?? dropRoot + "/inbound",
            claimsEverySeconds: env["INSURANCE_CLAIMS_EVERY_SECONDS"].flatMap(Int.init) ?? 5,
            exchangeEverySeconds: env["INSURANCE_EXCHANGE_EVERY_SECONDS"].flatMap(Int.init) ?? 2,
            batchAfterHours: env["INSURANCE_BATCH_AFTER_HOURS"].flatMap(Int.init) ?? 24,
            timelyFilingDays: env["INSURANCE_TIMELY_FILING_DAYS"].flatMap(Int.init) ?? 365,
            submitter: Submitter(id: env["INSURANCE_SUBMITTER_ID"] ?? "CLINICLEDGER",
                                 name: env["INSURANCE_SUBMITTER_NAME"] ?? "ClinicLedger",
                                 contactName: env["INSURANCE_SUBMITTER_CONTACT"] ?? "Billing Office",
                                 phone: env["INSURANCE_SUBMITTER_PHONE"] ?? "5555550100"),
            receiverId: env["INSURANCE_RECEIVER_ID"] ?? "CLEARINGHOUSE",
            receiverName: env["INSURANCE_RECEIVER_NAME"] ?? "Embedded Clearinghouse",
            usage: env["INSURANCE_USAGE"] ?? "T",
            timeZone: env["INSURANCE_CLINIC_TIME_ZONE"] ?? "America/New_York",
            simulatorEnrolsCoverages: (env["INSURANCE_SIMULATOR_ENROLS_COVERAGES"] ?? "true") == "true")
    }

    func today(_ now: Date) -> CalendarDate { CalendarDate(containing: now, in: timeZone) }
}

/// What the handlers, routes and jobs of insurance share.
struct InsuranceContext: Sendable {
    let resources: ServiceResources
    let settings: InsuranceSettings
    let sealed: SealedJSON
    let clearinghouse: any Clearinghouse

    init(_ resources: ServiceResources, settings: InsuranceSettings) {
        self.resources = resources
        self.settings = settings
        sealed = SealedJSON(cipher: resources.cipher)
        clearinghouse = switch settings.clearinghouse {
        case .simulator: SimulatorClearinghouse(settings: settings, sealed: SealedJSON(cipher: resources.cipher))
        case .filedrop: FileDropClearinghouse(outbox: settings.outboxDirectory, inbox: settings.inboxDirectory)
        }
    }

    func facts(_ effects: some InsuranceEffects) -> FactsStore {
        FactsStore(connection: effects.connection, logger: effects.logger, sealed: sealed)
    }

    func claims(_ effects: some InsuranceEffects) -> ClaimStore {
        ClaimStore(connection: effects.connection, logger: effects.logger, sealed: sealed)
    }

    func files(_ effects: some InsuranceEffects) -> FileStore {
        FileStore(connection: effects.connection, logger: effects.logger, sealed: sealed)
    }

    /// Reads in a transaction of its own (a route's GET).
    func read<T: Sendable>(_ body: @Sendable (ReadOnly) async throws -> T) async throws -> T {
        try await resources.client.withConnection { connection in
            try await body(ReadOnly(connection: connection, logger: resources.logger, now: resources.clock.now()))
        }
    }
}

import Contracts
import Foundation
import ServiceRuntime
import Storage

/// Payments: the patients' double-entry ledger, and every way a clinic takes money — cash to card on
/// file, ACH, financing — through the built-in sandbox gateway or Stripe; refunds, the daily auto-charge
/// run with its retries, plan installments, insurance remittances, and the fraud checks' review list.
public enum Payments {
    public static var definition: ServiceDefinition {
        var handlers = EventHandlers()
        ChargeHandlers.register(in: &handlers)
        CollectionHandlers.register(in: &handlers)
        var definition = ServiceDefinition(
            name: "payments", defaultHTTPPort: 8081, migrations: PaymentsMigrations.all, handlers: handlers,
            jobs: { resources in
                let collection = PaymentsContext(resources)
                return [PaymentJobs.janitor(collection), PaymentJobs.retries(collection), PaymentJobs.autoCharge(collection)]
            },
            routes: { api, resources in
                let collection = PaymentsContext(resources)
                let settings = collection.settings
                AccountRoutes.add(to: api, resources, nextAutoCharge: { now in
                    JobSchedule.daily(hour: settings.autoChargeHour, minute: settings.autoChargeMinute,
                                      timeZone: settings.timeZone).next(after: now)
                })
                AdjustmentRoutes.add(to: api, resources, largeAbove: collection.settings.largeAdjustmentAbove)
                PaymentRoutes.add(to: api, collection)
                RefundRoutes.add(to: api, collection)
                FinancingRoutes.add(to: api, collection)
                PaymentMethodRoutes.add(to: api, collection)
                AutoChargeRoutes.add(to: api, collection)
                ReviewRoutes.add(to: api, collection)
                WebhookRoutes.add(to: api, collection)
            })
        definition.handlersWithResources = { resources, handlers in
            let gateway = PaymentsContext(resources).collector.gateway
            handlers.on(PlanCardSubmitted.self) { submitted, context in
                try await CollectionHandlers.saveEnrolmentCard(submitted, &context, gateway)
            }
        }
        return definition
    }
}

/// What the payments service is configured with (`PAYMENTS_*` environment variables).
struct PaymentsSettings: Sendable {
    /// `sandbox` (default) or `stripe`.
    var gateway: String
    /// Adjustments and refunds above these many minor units need the practice owner (admin).
    var largeAdjustmentAbove: Int64
    var largeRefundAbove: Int64
    /// Outside lenders a `financing` payment may name, with the link where patients apply.
    var lenders: [String: String]
    var retries: RetrySchedule
    var declineLimit: DeclineLimit
    /// The daily auto-charge run, in the clinic's local time.
    var autoChargeHour: Int
    var autoChargeMinute: Int
    var timeZone: String
    /// How often the janitor looks for payments whose outcome is not final.
    var janitorSeconds: Int
    /// How often it asks the gateway again about a payment it answered `unknown` or `processing` about
    /// (Stripe also sends webhooks, so it is asked rarely).
    var pendingPollSeconds: Int

    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PaymentsSettings {
        func number(_ name: String, _ fallback: Int64) -> Int64 { env[name].flatMap { Int64($0) } ?? fallback }
        let time = (env["PAYMENTS_AUTO_CHARGE_AT"] ?? "09:00").split(separator: ":").compactMap { Int($0) }
        var lenders: [String: String] = [:]
        for entry in (env["PAYMENTS_LENDERS"] ?? "carecredit=https://www.carecredit.com/apply/,sunbit=https://apply.sunbit.com/")
            .split(separator: ",")
        {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            if let name = parts.first, !name.isEmpty { lenders[name] = parts.count > 1 ? parts[1] : "" }
        }
        return PaymentsSettings(
            gateway: env["PAYMENTS_GATEWAY"] ?? "sandbox",
            largeAdjustmentAbove: number("PAYMENTS_LARGE_ADJUSTMENT_ABOVE", 50_000),
            largeRefundAbove: number("PAYMENTS_LARGE_REFUND_ABOVE", 50_000),
            lenders: lenders,
            retries: env["PAYMENTS_SOFT_DECLINE_RETRY_DAYS"].flatMap(RetrySchedule.init) ?? .standard,
            declineLimit: DeclineLimit(declines: Int(number("PAYMENTS_DECLINES_BEFORE_BLOCK", 5)),
                                       withinSeconds: Int(number("PAYMENTS_DECLINE_WINDOW_SECONDS", 3_600))),
            autoChargeHour: time.first ?? 9, autoChargeMinute: time.count > 1 ? time[1] : 0,
            timeZone: env["PAYMENTS_CLINIC_TIME_ZONE"] ?? "America/New_York",
            janitorSeconds: Int(number("PAYMENTS_JANITOR_SECONDS", 2)),
            pendingPollSeconds: Int(number("PAYMENTS_PENDING_POLL_SECONDS", env["PAYMENTS_GATEWAY"] == "stripe" ? 300 : 5)))
    }
}

/// What routes and jobs of payments share: settings, the gateway, the collector.
struct PaymentsContext: Sendable {
    let settings: PaymentsSettings
    let resources: ServiceResources
    let collector: Collector

    init(_ resources: ServiceResources, settings: PaymentsSettings = .fromEnvironment()) {
        self.settings = settings
        self.resources = resources
        let gateway: any PaymentGateway
        switch settings.gateway {
        case "stripe":
            do {
                gateway = StripeGateway(settings: try StripeSettings.fromEnvironment(ProcessInfo.processInfo.environment))
            } catch {
                fatalError("PAYMENTS_GATEWAY=stripe: \(error)")
            }
        default:
            // The sandbox's books are written while a request's transaction is open: the separate pool.
            gateway = SandboxGateway(client: resources.separateClient, clock: resources.clock, logger: resources.logger)
        }
        collector = Collector(gateway: gateway, runner: resources.runner, separateClient: resources.separateClient,
                              logger: resources.logger,
                              settlement: Settlement(retries: settings.retries, declineLimit: settings.declineLimit),
                              grace: PaymentStore.Grace(inFlight: 30, answered: settings.pendingPollSeconds))
    }
}

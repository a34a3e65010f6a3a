import Contracts
import Foundation
import ServiceRuntime
import Storage
import WebAPI

/// Plans: the Payment Plan Builder — options within the clinic's policy, agreements and signatures,
/// schedules exact to the cent, autopay through payments, missed payments and default, pause, changes,
/// early payoff, insurance paying part of a financed treatment, offers a patient can enrol in.
public enum Plans {
    public static var definition: ServiceDefinition {
        let settings = PlansSettings.fromEnvironment()
        var handlers = EventHandlers()
        PlanHandlers.register(in: &handlers, settings)
        // Kept (sealed) for the features that will read them: the patient's contacts, proposed treatment.
        EventJournal.record([PatientRegistered.self, TreatmentPlanProposed.self], in: &handlers)
        var definition = ServiceDefinition(
            name: "plans", defaultHTTPPort: 8083, migrations: PlansMigrations.all, handlers: handlers,
            jobs: { resources in [PlanJobs.due(PlansContext(resources, settings: settings))] },
            routes: { api, resources in
                let context = PlansContext(resources, settings: settings)
                PolicyRoutes.add(to: api, context)
                PlanRoutes.add(to: api, context)
                PlanActionRoutes.add(to: api, context)
                OfferPages.add(to: api, context)
                EventJournal.addRoutes(to: api, resources)
            })
        definition.sharedMigrations = [("journal", EventJournal.migrations)]
        return definition
    }
}

/// What the plans service is configured with (`PLANS_*` environment variables).
struct PlansSettings: Sendable {
    /// The clinic's zone: an installment is due on the clinic's day.
    var timeZone: String
    /// How often the due-installments job looks (seconds).
    var dueEverySeconds: Int
    /// The practice's name, printed on agreements.
    var practiceName: String
    /// Where patients reach plans' own pages (the offer links).
    var publicURL: String
    /// How long an offer's link stays open (days, wall time).
    var offerDays: Int

    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PlansSettings {
        PlansSettings(
            timeZone: env["PLANS_CLINIC_TIME_ZONE"] ?? "America/New_York",
            dueEverySeconds: env["PLANS_DUE_EVERY_SECONDS"].flatMap(Int.init) ?? 5,
            practiceName: env["PLANS_PRACTICE_NAME"] ?? "Your dental practice",
            publicURL: env["PLANS_PUBLIC_URL"] ?? "http://127.0.0.1:\(env["PLANS_HTTP_PORT"] ?? "8083")",
            offerDays: env["PLANS_OFFER_DAYS"].flatMap(Int.init) ?? 14)
    }

    func today(_ now: Date) -> CalendarDate { CalendarDate(containing: now, in: timeZone) }
}

/// What the routes and jobs of plans share.
struct PlansContext: Sendable {
    let resources: ServiceResources
    let settings: PlansSettings

    init(_ resources: ServiceResources, settings: PlansSettings) {
        self.resources = resources
        self.settings = settings
    }

    /// The plan a route names, for reading; a patient reaches only its own.
    func read(_ call: RouteCall) async throws -> PaymentPlan {
        let planId = try call.parameter("planId")
        let plan = try await resources.client.withConnection { connection in
            try await PlanStore(connection: connection, logger: resources.logger).load(clinicId: call.caller.clinicId, planId: planId)
        }
        guard let plan else { throw APIError.notFound("payment plan", planId) }
        try call.caller.requireSee(patientId: plan.patientId, what: "payment plan")
        return plan
    }

    /// Changes the plan a route names, locked for the request's transaction: `body` mutates it (and may
    /// audit through the change it is given) and says its news; the plan, its events, audit lines and history are recorded together.
    func change(_ call: RouteCall, _ change: inout Change,
                _ body: (inout PaymentPlan, CalendarDate, inout Change) async throws -> [PlanNews]) async throws -> PlanView {
        let planId = try call.parameter("planId")
        let store = PlanStore(connection: change.connection, logger: change.logger)
        guard var plan = try await store.load(clinicId: call.caller.clinicId, planId: planId, lock: true) else {
            throw APIError.notFound("payment plan", planId)
        }
        try call.caller.requireSee(patientId: plan.patientId, what: "payment plan")
        let before = plan
        let news: [PlanNews]
        do {
            news = try await body(&plan, settings.today(change.now), &change)
        } catch let problem as PlanProblem {
            throw problem.apiError
        }
        try await PlanCommit.record(plan, was: before, news: news, at: change.now, &change)
        return PlanView(plan)
    }

    /// Autopay needs a saved method of this patient that payments has not revoked.
    func checkAutoPay(_ autoPay: Bool, method: String?, patientId: String, _ change: Change) async throws {
        guard let method else {
            if autoPay {
                throw APIError.unprocessable("autopay needs a saved payment method: send paymentMethodId (save a card in payments first)",
                                             param: "paymentMethodId", code: "payment_method_required")
            }
            return
        }
        let known = try await FactsStore(connection: change.connection, logger: change.logger)
            .method(clinicId: change.clinicId ?? "", paymentMethodId: method)
        guard let known, known.patientId == patientId else {
            throw APIError.unprocessable("payment method \(method) is not a saved method of patient \(patientId)",
                                         param: "paymentMethodId", code: "payment_method_unknown")
        }
        guard known.status == "active" else {
            throw APIError.unprocessable("payment method \(method) can no longer be charged (\(known.status))",
                                         param: "paymentMethodId", code: "payment_method_unusable")
        }
    }
}

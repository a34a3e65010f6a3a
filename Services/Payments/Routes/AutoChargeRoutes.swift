import Contracts
import Foundation
import ServiceRuntime
import WebAPI

/// `POST /v1/auto-charge/runs`: the practice owner starts today's auto-charge run for the clinic now
/// (the daily job runs it anyway). Running it again the same day charges nothing twice.
enum AutoChargeRoutes {

    static func add(to api: APIRoutes, _ context: PaymentsContext) {
        api.write(.post, "/v1/auto-charge/runs", .staff(.settingsUpdate),
                  summary: "Run today's auto-charge for the clinic now (each balance is tried once per day)",
                  idempotent: false, input: NoBody.self, output: AutoChargeRun.Summary.self, status: .created) { _, call, change in
            let summary = try await AutoChargeRun(gateway: context.collector.gateway.name).run(
                clinicId: call.caller.clinicId, runDate: PaymentJobs.runDate(change.now, context.settings), change: &change)
            try change.audit("auto-charge.run", objectType: "auto-charge-run", objectId: summary.runDate,
                             summary: "\(summary.intents) payments on authorized cards, \(summary.balanceDue) balances due without one")
            return summary
        }
    }
}

extension AutoChargeRun.Summary: APIExample {
    static let example = AutoChargeRun.Summary(runDate: "2026-11-25", intents: 12, balanceDue: 3)
}

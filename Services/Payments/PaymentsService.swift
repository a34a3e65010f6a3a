import Foundation
import ServiceRuntime
import Storage

/// Payments: the patients' double-entry ledger. Today it records posted and voided charges and
/// adjustments; payments, refunds, statements and receipts build on the same ledger.
public enum Payments {
    /// Adjustments above this many minor units need the practice owner (`PAYMENTS_LARGE_ADJUSTMENT_ABOVE`).
    static var largeAdjustmentThreshold: Int64 {
        ProcessInfo.processInfo.environment["PAYMENTS_LARGE_ADJUSTMENT_ABOVE"].flatMap { Int64($0) } ?? 50_000
    }

    public static var definition: ServiceDefinition {
        var handlers = EventHandlers()
        ChargeHandlers.register(in: &handlers)
        let threshold = largeAdjustmentThreshold
        return ServiceDefinition(
            name: "payments", defaultHTTPPort: 8081, migrations: PaymentsMigrations.all, handlers: handlers,
            routes: { api, resources in
                AccountRoutes.add(to: api, resources)
                AdjustmentRoutes.add(to: api, resources, largeAbove: threshold)
            })
    }
}

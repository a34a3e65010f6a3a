import ServiceRuntime
import Storage

/// Payments: the patients' double-entry ledger. Today it records posted and voided charges; payments,
/// refunds, statements and receipts build on the same ledger.
public enum Payments {
    public static var definition: ServiceDefinition {
        var handlers = EventHandlers()
        ChargeHandlers.register(in: &handlers)
        return ServiceDefinition(
            name: "payments", defaultHTTPPort: 8081, migrations: PaymentsMigrations.all, handlers: handlers,
            routes: { api, resources in AccountRoutes.add(to: api, resources) })
    }
}

import ServiceRuntime

/// Analytics: read models over every event, for the practice's live view of its money.
public enum Analytics {
    public static var definition: ServiceDefinition {
        var handlers = EventHandlers()
        ReceivablesHandlers.register(in: &handlers)
        return ServiceDefinition(
            name: "analytics", defaultHTTPPort: 8085, migrations: AnalyticsMigrations.all, handlers: handlers,
            routes: { api, resources in SummaryRoutes.add(to: api, resources) })
    }
}

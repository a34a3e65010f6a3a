public import Metrics

/// The suite's metric names in one place, so dashboards and alerts have one list to read.
public enum SuiteMetrics {
    public static func consumed(_ eventType: String, outcome: String) -> Counter {
        Counter(label: "clinicledger_events_consumed_total", dimensions: [("event_type", eventType), ("outcome", outcome)])
    }
    public static func published(_ eventType: String) -> Counter {
        Counter(label: "clinicledger_events_published_total", dimensions: [("event_type", eventType)])
    }
    public static func failed(_ eventType: String) -> Counter {
        Counter(label: "clinicledger_events_failed_total", dimensions: [("event_type", eventType)])
    }
    public static func deadLettered(_ eventType: String) -> Counter {
        Counter(label: "clinicledger_dead_lettered_total", dimensions: [("event_type", eventType)])
    }
    public static func handlerDuration(_ eventType: String) -> Metrics.Timer {
        Metrics.Timer(label: "clinicledger_handler_duration_seconds", dimensions: [("event_type", eventType)],
                      preferredDisplayUnit: .seconds)
    }
    public static let outboxBacklog = Gauge(label: "clinicledger_outbox_backlog")
    public static let deadLetterQueueDepth = Gauge(label: "clinicledger_dead_letter_queue_messages")
}

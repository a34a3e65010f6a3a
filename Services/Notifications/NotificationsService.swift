import Contracts
import ServiceRuntime

/// Notifications: receipts, reminders and statements by email and SMS, within consent and quiet hours.
/// This release journals the events that its features will act on.
public enum Notifications {
    public static var definition: ServiceDefinition {
        EventJournal.definition(name: "notifications", httpPort: 8084, events: [
            PatientRegistered.self, PatientUpdated.self, AppointmentScheduled.self, ChargeRecorded.self,
            BalanceChanged.self,
        ])
    }
}

import Contracts
import ServiceRuntime

/// Notifications: receipts, reminders and statements by email and SMS, within consent and quiet hours.
/// This release journals the events that its features will act on: patients and their consent,
/// appointments (reminders) and balances (statements). A charge alone sends nothing to a patient, so
/// notifications does not take payments.charge.recorded (one delivery less per charge).
public enum Notifications {
    public static var definition: ServiceDefinition {
        EventJournal.definition(name: "notifications", httpPort: 8084, events: [
            PatientRegistered.self, PatientUpdated.self, AppointmentScheduled.self, BalanceChanged.self,
        ])
    }
}

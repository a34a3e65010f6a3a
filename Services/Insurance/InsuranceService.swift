import Contracts
import ServiceRuntime

/// Insurance: coverage, eligibility (X12 270/271), claims (837), status and remittance (835).
/// This release journals the clinic events that its features will act on.
public enum Insurance {
    public static var definition: ServiceDefinition {
        EventJournal.definition(name: "insurance", httpPort: 8082, events: [
            PatientRegistered.self, PatientUpdated.self, CoverageUpdated.self, AppointmentScheduled.self,
            AppointmentCompleted.self, ChargePosted.self, ChargeVoided.self,
        ])
    }
}

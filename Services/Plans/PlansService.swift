import Contracts
import ServiceRuntime

/// Plans: payment plans (options, agreements, schedules, autopay, missed payments, payoff).
/// This release journals the events that its features will act on.
public enum Plans {
    public static var definition: ServiceDefinition {
        EventJournal.definition(name: "plans", httpPort: 8083, events: [
            PatientRegistered.self, TreatmentPlanProposed.self, BalanceChanged.self,
        ])
    }
}

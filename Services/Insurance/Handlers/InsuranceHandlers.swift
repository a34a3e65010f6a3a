import Contracts
import Foundation
import ServiceRuntime

/// What the clinic's systems and payments tell insurance: the facts a claim names, coverages, appointments
/// (an eligibility check before the visit; an estimate of its planned work), the charges payments recorded,
/// treatment plans to estimate.
enum InsuranceHandlers {
    static func register(in handlers: inout EventHandlers, _ context: InsuranceContext) {
        handlers.on(PatientRegistered.self) { patient, event in
            try await context.facts(event).savePatient(clinicId: event.envelope.clinicId, PatientFacts(
                patientId: patient.patientId, name: patient.name, dateOfBirth: patient.dateOfBirth, sex: patient.sex,
                address: patient.contacts.address))
        }
        handlers.on(PatientUpdated.self) { patient, event in
            try await context.facts(event).savePatient(clinicId: event.envelope.clinicId, PatientFacts(
                patientId: patient.patientId, name: patient.name, dateOfBirth: patient.dateOfBirth, sex: patient.sex,
                address: patient.contacts.address))
        }
        handlers.on(ProviderUpdated.self) { provider, event in
            try await context.facts(event).saveProvider(clinicId: event.envelope.clinicId, provider)
        }
        handlers.on(PracticeUpdated.self) { practice, event in
            try await context.facts(event).savePractice(clinicId: event.envelope.clinicId, practice)
        }
        handlers.on(CoverageUpdated.self) { coverage, event in
            do {
                try await CoverageFlow.save(coverage, clinicId: event.envelope.clinicId, context, &event)
            } catch let refused as CoverageRefused {
                throw EventRejection.invalid(refused.description)
            }
        }
        handlers.on(AppointmentScheduled.self) { appointment, event in
            let clinicId = event.envelope.clinicId
            try await context.facts(event).saveAppointment(clinicId: clinicId, appointment)
            try await EligibilityFlow.start(clinicId: clinicId, patientId: appointment.patientId, coverageId: nil,
                                            appointmentId: appointment.appointmentId, context, &event)
        }
        handlers.on(AppointmentCompleted.self) { completed, event in
            try await context.facts(event).completeAppointment(clinicId: event.envelope.clinicId, completed)
        }
        handlers.on(ChargeRecorded.self) { charge, event in
            try await context.facts(event).recordCharge(clinicId: event.envelope.clinicId, charge)
        }
        handlers.on(ChargeReversed.self) { reversal, event in
            try await context.facts(event).reverseCharge(clinicId: event.envelope.clinicId, chargeId: reversal.chargeId)
        }
        handlers.on(TreatmentPlanProposed.self) { plan, event in
            _ = try await EstimateFlow.estimate(
                clinicId: event.envelope.clinicId, patientId: plan.patientId, procedures: plan.items,
                treatmentPlanId: plan.treatmentPlanId, appointmentId: nil, context, &event)
        }
    }
}

/// Coverage from an event or a person: impossible benefits are refused with the reasons.
enum CoverageFlow {
    static func save(_ coverage: CoverageUpdated, clinicId: String, _ context: InsuranceContext,
                     _ effects: inout some InsuranceEffects) async throws {
        let problems = CoverageRules.problems(coverage)
        guard problems.isEmpty else { throw CoverageRefused(problems: problems) }
        try await context.facts(effects).saveCoverage(clinicId: clinicId, coverage, at: effects.now)
        try effects.note("coverage.updated", clinicId: clinicId, objectType: "coverage", objectId: coverage.coverageId,
                         summary: "\(coverage.priority.rawValue) \(coverage.kind?.rawValue ?? "dental") coverage with \(coverage.payer.name) for patient \(coverage.patientId)")
        try await context.clearinghouse.enrol(coverage, effects)
    }
}

struct CoverageRefused: Error, CustomStringConvertible {
    var problems: [String]
    var description: String { "impossible coverage: " + problems.joined(separator: "; ") }
}

// Events that the clinic's own systems (practice management, EHR, scheduling) publish.

/// A patient was registered in the clinic's practice-management system.
public struct PatientRegistered: ClinicEvent {
    public static let type = EventType("clinic.patient.registered", version: 1)
    public static let summary = "A clinic system registered a patient, with contacts and consents."
    public var patientId: String
    public var name: PersonName
    public var dateOfBirth: CalendarDate?
    public var contacts: Contacts
    public var consents: Consents
    /// BCP 47 tag, e.g. "en" or "es-MX".
    public var preferredLanguage: String?
    /// Added compatibly: a claim's DMG segment needs it.
    public var sex: Sex?

    public init(patientId: String, name: PersonName, dateOfBirth: CalendarDate? = nil, contacts: Contacts,
                consents: Consents, preferredLanguage: String? = nil, sex: Sex? = nil) {
        self.patientId = patientId
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.contacts = contacts
        self.consents = consents
        self.preferredLanguage = preferredLanguage
        self.sex = sex
    }

    public static let example = PatientRegistered(
        patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez"),
        dateOfBirth: CalendarDate(year: 1986, month: 4, day: 12),
        contacts: Contacts(
            email: "ana.lopez@example.com", mobilePhone: "+15551234567",
            address: PostalAddress(lines: ["12 Elm St"], city: "Springfield", region: "IL", postalCode: "62701",
                                   country: "US")),
        consents: Consents(email: true, sms: true, cardOnFileAutoCharge: false), preferredLanguage: "en", sex: .female)
}

/// A patient's details changed; the body is the patient's full current state, not a diff.
public struct PatientUpdated: ClinicEvent {
    public static let type = EventType("clinic.patient.updated", version: 1)
    public static let summary = "A clinic system changed a patient's details; the body is the full current state."
    public var patientId: String
    public var name: PersonName
    public var dateOfBirth: CalendarDate?
    public var contacts: Contacts
    public var consents: Consents
    public var preferredLanguage: String?
    public var sex: Sex?

    public static let example = PatientUpdated(
        patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez-Reyes"),
        dateOfBirth: CalendarDate(year: 1986, month: 4, day: 12),
        contacts: Contacts(
            email: "ana@example.com", mobilePhone: "+15551234567",
            address: PostalAddress(lines: ["12 Elm St", "Apt 3"], city: "Springfield", region: "IL",
                                   postalCode: "62701", country: "US")),
        consents: Consents(email: true, sms: false, cardOnFileAutoCharge: true), preferredLanguage: "es-MX", sex: .female)
}

/// An appointment was booked.
public struct AppointmentScheduled: ClinicEvent {
    public static let type = EventType("clinic.appointment.scheduled", version: 1)
    public static let summary = "A clinic system booked an appointment."
    public var appointmentId: String
    public var patientId: String
    public var providerId: String
    public var startsAt: Timestamp
    public var durationMinutes: Int
    public var reason: String?
    /// Added compatibly: what will be done, so that insurance can estimate the patient's share (the co-pay to
    /// collect at check-in). Without it the estimate is the eligibility response's co-pay for the visit.
    public var plannedProcedures: [PlannedProcedure]?

    public static let example = AppointmentScheduled(
        appointmentId: "appt-5001", patientId: "pat-1001", providerId: "prov-12",
        startsAt: Timestamp("2026-12-01T15:30:00Z")!, durationMinutes: 60, reason: "Filling and cleaning",
        plannedProcedures: [
            PlannedProcedure(procedure: Procedure(code: "D2392", codeSystem: .cdt, tooth: "30", surfaces: ["M", "O"],
                                                  description: "Resin composite - two surfaces, posterior"),
                             fee: Money(amount: 18_500, currency: "USD")),
            PlannedProcedure(procedure: Procedure(code: "D1110", codeSystem: .cdt, description: "Prophylaxis - adult"),
                             fee: Money(amount: 11_000, currency: "USD")),
        ])
}

/// The patient was seen.
public struct AppointmentCompleted: ClinicEvent {
    public static let type = EventType("clinic.appointment.completed", version: 1)
    public static let summary = "A clinic system marked an appointment as completed (the patient was seen)."
    public var appointmentId: String
    public var patientId: String
    public var providerId: String
    public var completedAt: Timestamp

    public static let example = AppointmentCompleted(
        appointmentId: "appt-5001", patientId: "pat-1001", providerId: "prov-12",
        completedAt: Timestamp("2026-12-01T16:25:00Z")!)
}

/// A procedure's fee was posted to the patient's account. The clinic's `chargeId` identifies the
/// charge: posting the same `chargeId` again has no second effect.
public struct ChargePosted: ClinicEvent {
    public static let type = EventType("clinic.charge.posted", version: 1)
    public static let summary = "A clinic system posted a charge (a procedure's fee) to a patient's account."
    public var chargeId: String
    public var patientId: String
    public var providerId: String
    public var serviceDate: CalendarDate
    public var procedure: Procedure
    /// Positive, in minor units.
    public var fee: Money
    /// ICD-10-CM codes, most important first.
    public var diagnosisCodes: [String]?
    public var appointmentId: String?
    /// The treatment plan this work carries out, when it is part of one (insurance and plans use it).
    public var treatmentPlanId: String?

    public init(chargeId: String, patientId: String, providerId: String, serviceDate: CalendarDate,
                procedure: Procedure, fee: Money, diagnosisCodes: [String]? = nil, appointmentId: String? = nil,
                treatmentPlanId: String? = nil) {
        self.chargeId = chargeId
        self.patientId = patientId
        self.providerId = providerId
        self.serviceDate = serviceDate
        self.procedure = procedure
        self.fee = fee
        self.diagnosisCodes = diagnosisCodes
        self.appointmentId = appointmentId
        self.treatmentPlanId = treatmentPlanId
    }

    public static let example = ChargePosted(
        chargeId: "chg-90001", patientId: "pat-1001", providerId: "prov-12",
        serviceDate: CalendarDate(year: 2026, month: 11, day: 2)!,
        procedure: Procedure(code: "D2392", codeSystem: .cdt, tooth: "30", surfaces: ["M", "O"],
                             description: "Resin composite - two surfaces, posterior"),
        fee: Money(amount: 18_500, currency: "USD"), diagnosisCodes: ["K02.52"], appointmentId: "appt-5001",
        treatmentPlanId: "tp-300")
}

/// A posted charge was cancelled by the clinic (entered in error, not performed).
public struct ChargeVoided: ClinicEvent {
    public static let type = EventType("clinic.charge.voided", version: 1)
    public static let summary = "A clinic system voided a charge it had posted (entered in error, not performed)."
    public var chargeId: String
    public var patientId: String
    public var reason: String?

    public init(chargeId: String, patientId: String, reason: String? = nil) {
        self.chargeId = chargeId
        self.patientId = patientId
        self.reason = reason
    }

    public static let example = ChargeVoided(chargeId: "chg-90001", patientId: "pat-1001", reason: "Entered in error")
}

public struct PlannedProcedure: Codable, Hashable, Sendable {
    public var procedure: Procedure
    public var fee: Money
    public init(procedure: Procedure, fee: Money) {
        self.procedure = procedure
        self.fee = fee
    }
}

/// A treatment plan was presented to the patient (the start of a payment-plan conversation).
public struct TreatmentPlanProposed: ClinicEvent {
    public static let type = EventType("clinic.treatment-plan.proposed", version: 1)
    public static let summary = "A clinic system proposed a treatment plan to a patient."
    public var treatmentPlanId: String
    public var patientId: String
    public var providerId: String
    public var items: [PlannedProcedure]
    public var total: Money

    public static let example = TreatmentPlanProposed(
        treatmentPlanId: "tp-300", patientId: "pat-1001", providerId: "prov-12",
        items: [
            PlannedProcedure(procedure: Procedure(code: "D2393", codeSystem: .cdt, tooth: "19", surfaces: ["M", "O", "D"],
                                                  description: "Resin composite - three surfaces, posterior"),
                             fee: Money(amount: 120_000, currency: "USD")),
            PlannedProcedure(procedure: Procedure(code: "D2950", codeSystem: .cdt, tooth: "19", description: "Core buildup"),
                             fee: Money(amount: 25_000, currency: "USD")),
        ],
        total: Money(amount: 145_000, currency: "USD"))
}

/// Practice overhead (rent, supplies, lab fees) for the profit-and-loss view.
public struct ExpenseRecorded: ClinicEvent {
    public static let type = EventType("clinic.expense.recorded", version: 1)
    public static let summary = "A clinic system recorded an overhead expense, for profit and loss."
    public var expenseId: String
    public var category: String
    public var amount: Money
    public var incurredOn: CalendarDate
    public var vendor: String?
    public var description: String?

    public static let example = ExpenseRecorded(
        expenseId: "exp-42", category: "lab", amount: Money(amount: 32_000, currency: "USD"),
        incurredOn: CalendarDate(year: 2026, month: 11, day: 20)!, vendor: "Bright Dental Lab",
        description: "Crown, tooth 19")
}

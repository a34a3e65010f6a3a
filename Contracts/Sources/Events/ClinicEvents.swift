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

    public init(patientId: String, name: PersonName, dateOfBirth: CalendarDate? = nil, contacts: Contacts,
                consents: Consents, preferredLanguage: String? = nil) {
        self.patientId = patientId
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.contacts = contacts
        self.consents = consents
        self.preferredLanguage = preferredLanguage
    }

    public static let example = PatientRegistered(
        patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez"),
        dateOfBirth: CalendarDate(year: 1986, month: 4, day: 12),
        contacts: Contacts(
            email: "ana.lopez@example.com", mobilePhone: "+15551234567",
            address: PostalAddress(lines: ["12 Elm St"], city: "Springfield", region: "IL", postalCode: "62701",
                                   country: "US")),
        consents: Consents(email: true, sms: true, cardOnFileAutoCharge: false), preferredLanguage: "en")
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

    public static let example = PatientUpdated(
        patientId: "pat-1001", name: PersonName(given: "Ana", family: "Lopez-Reyes"),
        dateOfBirth: CalendarDate(year: 1986, month: 4, day: 12),
        contacts: Contacts(
            email: "ana@example.com", mobilePhone: "+15551234567",
            address: PostalAddress(lines: ["12 Elm St", "Apt 3"], city: "Springfield", region: "IL",
                                   postalCode: "62701", country: "US")),
        consents: Consents(email: true, sms: false, cardOnFileAutoCharge: true), preferredLanguage: "es-MX")
}

public enum CoveragePriority: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case primary, secondary, tertiary
}

public enum SubscriberRelationship: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case `self`, spouse, child, other
}

public struct Payer: Codable, Hashable, Sendable {
    /// The payer's id at the clearinghouse (X12 NM109 of loop 2010BB).
    public var payerId: String
    public var name: String
    public init(payerId: String, name: String) {
        self.payerId = payerId
        self.name = name
    }
}

/// The plan's benefits as the clinic knows them; eligibility checks refine them later.
public struct PlanBenefits: Codable, Hashable, Sendable {
    public var annualMaximum: Money?
    public var deductible: Money?
    /// What the plan pays, in percent, by service category ("preventive", "basic", "major", …).
    public var coveragePercentByCategory: [String: Int]?
    public init(annualMaximum: Money? = nil, deductible: Money? = nil, coveragePercentByCategory: [String: Int]? = nil) {
        self.annualMaximum = annualMaximum
        self.deductible = deductible
        self.coveragePercentByCategory = coveragePercentByCategory
    }
}

/// A patient's insurance coverage was added or changed.
public struct CoverageUpdated: ClinicEvent {
    public static let type = EventType("clinic.coverage.updated", version: 1)
    public static let summary = "A clinic system added or changed a patient's insurance coverage."
    public var coverageId: String
    public var patientId: String
    public var payer: Payer
    public var memberId: String
    public var groupNumber: String?
    public var priority: CoveragePriority
    public var subscriberRelationship: SubscriberRelationship
    public var effectiveDate: CalendarDate
    public var terminationDate: CalendarDate?
    public var benefits: PlanBenefits?

    public static let example = CoverageUpdated(
        coverageId: "cov-77", patientId: "pat-1001", payer: Payer(payerId: "60054", name: "Aetna Dental"),
        memberId: "W123456789", groupNumber: "GRP-4411", priority: .primary, subscriberRelationship: .self,
        effectiveDate: CalendarDate(year: 2026, month: 1, day: 1)!,
        terminationDate: CalendarDate(year: 2026, month: 12, day: 31),
        benefits: PlanBenefits(
            annualMaximum: Money(amount: 150_000, currency: "USD"), deductible: Money(amount: 5_000, currency: "USD"),
            coveragePercentByCategory: ["preventive": 100, "basic": 80, "major": 50]))
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

    public static let example = AppointmentScheduled(
        appointmentId: "appt-5001", patientId: "pat-1001", providerId: "prov-12",
        startsAt: Timestamp("2026-12-01T15:30:00Z")!, durationMinutes: 60, reason: "Cleaning and exam")
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
        procedure: Procedure(code: "D2392", codeSystem: .cdt, tooth: "30", surfaces: ["M", "O"]),
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
            PlannedProcedure(procedure: Procedure(code: "D2393", codeSystem: .cdt, tooth: "19", surfaces: ["M", "O", "D"]),
                             fee: Money(amount: 120_000, currency: "USD")),
            PlannedProcedure(procedure: Procedure(code: "D2950", codeSystem: .cdt, tooth: "19"),
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

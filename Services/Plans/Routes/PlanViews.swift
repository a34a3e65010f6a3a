import Contracts
import Foundation
import WebAPI

/// A plan as the API shows it: every field of the spec's `PaymentPlan` (amounts as minor units plus
/// currency), with what a clerk needs beside them (compliance, pause, signature state).
struct PlanView: APIExample {
    var id: String
    var planNumber: String
    var clinicId: String
    /// The spec's `accountId`: the patient's account, which is the patient id.
    var accountId: String
    var patientId: String
    var status: PlanStatus
    var totalAmount: Money
    var downPayment: Money
    var financedAmount: Money
    /// The installment amount whatever the frequency (the next open installment's).
    var monthlyPayment: Money
    var remainingBalance: Money
    var payoffAmount: Money
    var financeCharge: Money
    var aprBasisPoints: Int
    var numberOfPayments: Int
    var completedPayments: Int
    var frequency: PaymentFrequency
    var startDate: CalendarDate
    var nextPaymentDate: CalendarDate?
    var endDate: CalendarDate?
    var paymentMethodId: String?
    var autoPayEnabled: Bool
    var agreementUrl: String
    var signedAt: Date?
    var signedBy: String?
    /// True while the current terms still need the patient's signature.
    var signatureNeeded: Bool
    var termsVersion: Int
    var agreementSHA256: String?
    var treatmentType: String?
    var treatmentPlanId: String?
    var estimateId: String?
    var description: String?
    var pausedUntil: CalendarDate?
    var pausedDaysUsed: Int
    var consecutiveMissed: Int
    var compliance: Compliance
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var createdBy: String
    var updatedBy: String

    /// How the patient has kept to the plan so far.
    struct Compliance: Codable, Sendable {
        var onTime: Int
        var late: Int
        var missed: Int
        var averageDaysLate: Int
    }

    init(_ plan: PaymentPlan) {
        func money(_ amount: Int64) -> Money { Money(amount: amount, currency: plan.currency) }
        let paid = plan.installments.filter { $0.status == .paid }
        let late = paid.filter { ($0.daysLate ?? 0) > 0 }
        id = plan.id
        planNumber = plan.planNumber
        clinicId = plan.clinicId
        accountId = plan.patientId
        patientId = plan.patientId
        status = plan.status
        totalAmount = money(plan.totalAmount)
        downPayment = money(plan.downPayment)
        financedAmount = money(plan.financedAmount)
        monthlyPayment = money(plan.monthlyPayment)
        remainingBalance = money(plan.remainingBalance)
        payoffAmount = money(plan.status.isFinal ? 0 : plan.payoffAmount)
        financeCharge = money(plan.financeCharge)
        aprBasisPoints = plan.aprBasisPoints
        numberOfPayments = plan.numberOfPayments
        completedPayments = plan.completedPayments
        frequency = plan.frequency
        startDate = plan.startDate
        nextPaymentDate = plan.status.isFinal ? nil : plan.nextPaymentDate
        endDate = plan.endDate
        paymentMethodId = plan.paymentMethodId
        autoPayEnabled = plan.autoPayEnabled
        agreementUrl = "/api/billing/payment-plans/\(plan.id)/agreement.pdf"
        signedAt = plan.isSigned ? plan.signature?.signedAt : nil
        signedBy = plan.isSigned ? plan.signature?.signedBy : nil
        signatureNeeded = plan.signatureRequired && !plan.isSigned && !plan.status.isFinal
        termsVersion = plan.termsVersion
        agreementSHA256 = plan.isSigned ? plan.signature?.agreementSHA256 : nil
        treatmentType = plan.treatmentType
        treatmentPlanId = plan.treatmentPlanId
        estimateId = plan.estimateId
        description = plan.description
        pausedUntil = plan.pause?.until
        pausedDaysUsed = plan.pausedDaysUsed
        consecutiveMissed = plan.consecutiveMissed
        compliance = Compliance(
            onTime: paid.count - late.count, late: late.count,
            missed: plan.installments.filter { $0.status == .missed || $0.missedAt != nil }.count,
            averageDaysLate: late.isEmpty ? 0 : late.reduce(0) { $0 + ($1.daysLate ?? 0) } / late.count)
        createdAt = plan.createdAt
        updatedAt = plan.updatedAt
        deletedAt = plan.deletedAt
        createdBy = plan.createdBy
        updatedBy = plan.updatedBy
    }

    /// Every field shown (the OpenAPI schema is inferred from it), so a deleted, paused one.
    static let example: PlanView = {
        var view = PlanView(PlanExamples.plan)
        view.pausedUntil = CalendarDate(year: 2027, month: 3, day: 1)
        view.deletedAt = Date(timeIntervalSince1970: 1_797_000_000)
        return view
    }()
}

/// A plan's payment schedule: the down payment (number 0) and every installment.
struct ScheduleView: APIExample {
    var planId: String
    var planNumber: String
    var currency: String
    var payments: [Line]

    struct Line: Codable, Sendable {
        var installmentId: String
        var number: Int
        /// `down_payment` or `installment`.
        var kind: String
        var dueDate: CalendarDate
        var amount: Money
        var principal: Money
        var interest: Money
        var paid: Money
        var status: ScheduledPayment.Status
        var paidAt: Date?
        var daysLate: Int?
    }

    init(_ plan: PaymentPlan) {
        func money(_ amount: Int64) -> Money { Money(amount: amount, currency: plan.currency) }
        planId = plan.id
        planNumber = plan.planNumber
        currency = plan.currency
        payments = plan.payments.map { line in
            Line(installmentId: line.id, number: line.number, kind: line.isDownPayment ? "down_payment" : "installment",
                 dueDate: line.dueDate, amount: money(line.amount), principal: money(line.principal),
                 interest: money(line.interest), paid: money(line.paid), status: line.status, paidAt: line.paidAt,
                 daysLate: line.daysLate)
        }
    }

    static let example = ScheduleView(PlanExamples.plan)
}

enum PlanExamples {
    static let plan: PaymentPlan = {
        let start = CalendarDate(year: 2026, month: 12, day: 1)!
        let at = Date(timeIntervalSince1970: 1_796_000_000)
        var plan = PaymentPlan(
            id: "plan_5f1c", clinicId: "clinic-1", patientId: "pat-1001", planNumber: "PP-2026-000042", status: .active,
            currency: "USD", totalAmount: 120_000, downPayment: 24_000, financedAmount: 96_000, aprBasisPoints: 0,
            frequency: .monthly, numberOfPayments: 6, startDate: start, paymentMethodId: "pm_4f2b", autoPayEnabled: true,
            treatmentType: "major", treatmentPlanId: "tp-77", estimateId: "est-311", description: "Crown and bridge, upper right",
            signatureRequired: true,
            payments: PaymentPlan.schedule(planId: "plan_5f1c", revision: 1, downPayment: 24_000, financed: 96_000, count: 6,
                                           frequency: .monthly, firstDue: start.adding(months: 1), start: start,
                                           aprBasisPoints: 0),
            createdAt: at, updatedAt: at, createdBy: "staff-7", updatedBy: "staff-7")
        plan.signature = PaymentPlan.Signature(signedBy: "Ana Lopez", signedAt: at, method: "typed_name", termsVersion: 1,
                                               agreementSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        _ = plan.recordPayment(installmentId: nil, amount: 24_000 + 16_000, today: start.adding(months: 1), at: at)
        return plan
    }()
}

extension PlanPolicy: APIExample {
    /// The standard policy, its rules each naming a treatment type (a rule without one applies to any).
    static var example: PlanPolicy {
        var policy = PlanPolicy.standard
        policy.maxTermMonths = [TermRule(treatmentType: "major", minAmount: 300_000, months: 24),
                                TermRule(treatmentType: "orthodontics", minAmount: 0, months: 36)]
        return policy
    }
}

import Contracts
import Documents
import Foundation

/// The agreement a patient signs: the full terms of the plan in the shape of a consumer-credit disclosure
/// (amount financed, finance charge, APR, total of payments, payment schedule), the autopay authorization,
/// prepayment, missed-payment and default terms. Deterministic: the same plan and terms version always
/// render the same bytes, so the SHA-256 kept with a signature identifies what was signed.
enum PlanAgreement {
    static func render(_ plan: PaymentPlan, practice: String, policy: PlanPolicy) -> [UInt8] {
        func money(_ amount: Int64) -> String { Money(amount: amount, currency: plan.currency).display }
        let apr = percent(plan.aprBasisPoints)
        let totalOfPayments = plan.installments.reduce(0) { $0 + $1.amount }
        var flow = PDFFlow(title: "Payment plan agreement \(plan.planNumber)")
        flow.creationDate = PDFDate(calendarDate: CalendarDate(containing: plan.createdAt))
        flow.footer = "\(practice) · plan \(plan.planNumber) · terms version \(plan.termsVersion)"
        flow.heading("Payment plan agreement")
        flow.paragraph("\(practice) and the patient (account \(plan.patientId)) agree to the payment plan below.")
        flow.keyValue("Plan number", plan.planNumber)
        flow.keyValue("Terms version", String(plan.termsVersion))
        if let description = plan.description { flow.keyValue("Treatment", description) }
        flow.space(8)
        flow.heading("Truth-in-lending disclosure", size: 12)
        flow.keyValue("Annual percentage rate", apr)
        flow.keyValue("Finance charge", money(plan.financeCharge))
        flow.keyValue("Amount financed", money(plan.financedAmount))
        flow.keyValue("Total of payments", money(totalOfPayments))
        flow.keyValue("Total cost of treatment", money(plan.totalAmount))
        flow.keyValue("Down payment", money(plan.downPayment))
        flow.keyValue("Installments", "\(plan.numberOfPayments) \(plan.frequency.rawValue.lowercased()) payments of \(money(plan.monthlyPayment))")
        flow.space(8)
        flow.heading("Payment schedule", size: 12)
        let rows = plan.payments.filter { $0.status != .cancelled }.map { line in
            [line.isDownPayment ? "Down payment" : "Installment \(line.number)", line.dueDate.description, money(line.amount),
             money(line.principal), money(line.interest)]
        }
        flow.table(header: ["Payment", "Due", "Amount", "Principal", "Interest"], rows: rows)
        flow.space(8)
        flow.heading("Terms", size: 12)
        if plan.autoPayEnabled {
            let method = plan.paymentMethodId.map { "my saved payment method \($0)" } ?? "the card I save with this agreement"
            flow.paragraph("Automatic payments: I authorize \(practice) to charge \(method) for the down payment and each installment on its due date, and for the payoff if I ask for it. I may withdraw this authorization at any time by telling the practice.")
        } else {
            flow.paragraph("Payments: I will pay each installment by its due date at the practice or online.")
        }
        flow.paragraph("Prepayment: I may pay the remaining balance at any time with no penalty; interest not yet due is not charged.")
        flow.paragraph("Missed payments: an installment not paid \(policy.graceDays) days after its due date, or whose automatic charge fails after the practice's retries, is missed and stays owed.")
        flow.paragraph("Default: three missed installments in a row end the plan (default); the remaining balance is then due at once and may be collected as an ordinary balance.")
        flow.paragraph("Pause: the practice may pause the plan at my request for up to \(policy.maxPauseDays) days in total; the schedule moves later by the days paused.")
        flow.paragraph("Insurance: if my insurance pays part of this treatment, my remaining installments go down accordingly; they never go up without a new agreement.")
        flow.paragraph("Changes: any change to these terms needs my new signature.")
        flow.space(12)
        if let signature = plan.signature, signature.termsVersion == plan.termsVersion {
            flow.keyValue("Signed by", signature.signedBy)
            flow.keyValue("Signed at", Timestamp(signature.signedAt).description)
            flow.keyValue("How", signature.method)
        } else {
            flow.keyValue("Patient signature", "______________________________   Date: ____________")
        }
        return flow.render()
    }
}

extension PlanAgreement {
    /// Basis points as people read a rate: 1250 → "12.50 %".
    static func percent(_ basisPoints: Int) -> String {
        let hundredths = String(basisPoints % 100)
        return "\(basisPoints / 100).\(hundredths.count == 1 ? "0" + hundredths : hundredths) %"
    }
}

extension PDFDate {
    init(calendarDate date: CalendarDate) {
        self.init(year: date.year, month: date.month, day: date.day)
    }
}

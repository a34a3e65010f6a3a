import Contracts
import Foundation

/// What a plan's news becomes on the wire (Contracts events) and in the audit trail. Pure.
enum PlanAnnouncements {
    static func events(_ news: [PlanNews], plan: PaymentPlan, at now: Date) -> [any ClinicEvent] {
        let at = Timestamp(now)
        let financed = plan.financedNow
        return news.map { item -> any ClinicEvent in
            switch item {
            case .created: PlanCreated(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .activated: PlanActivated(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .paused: PlanPaused(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .resumed: PlanResumed(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .updated: PlanUpdated(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .defaulted: PlanDefaulted(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .completed: PlanCompleted(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .cancelled: PlanCancelled(planId: plan.id, patientId: plan.patientId, financed: financed, at: at)
            case .charge(let line, let kind):
                PlanPaymentRequested(planId: plan.id, installmentId: line.id, patientId: plan.patientId, kind: kind,
                                     amount: Money(amount: line.amount, currency: plan.currency),
                                     paymentMethodId: plan.paymentMethodId ?? "", dueDate: line.dueDate)
            }
        }
    }

    /// One audit line per piece of news: (action, summary).
    static func audits(_ news: [PlanNews], plan: PaymentPlan) -> [(String, String)] {
        news.map { item in
            let label = "\(plan.planNumber) (\(plan.status.rawValue), remaining \(plan.remainingBalance) \(plan.currency))"
            switch item {
            case .charge(let line, let kind):
                return ("plan.payment-requested", "\(kind.rawValue) \(line.id) of \(line.amount) \(plan.currency) due \(line.dueDate) asked of payments for \(label)")
            default:
                return ("plan.\(item.name)", "\(label): \(item.name)")
            }
        }
    }
}

extension PlanNews {
    var name: String {
        switch self {
        case .created: "created"
        case .activated: "activated"
        case .paused: "paused"
        case .resumed: "resumed"
        case .updated: "updated"
        case .defaulted: "defaulted"
        case .completed: "completed"
        case .cancelled: "cancelled"
        case .charge: "payment-requested"
        }
    }
}

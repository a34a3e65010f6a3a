/// What a caller may do. Names follow the Payment Plan Builder spec (`billing:read`, `billing:create`,
/// `billing:update`) and extend in the same `area:verb` shape. A route declares the one it needs.
public enum Permission: String, Sendable, CaseIterable, Codable {
    case billingRead = "billing:read"
    case billingCreate = "billing:create"
    case billingUpdate = "billing:update"
    case paymentsRefund = "payments:refund"
    case claimsRead = "claims:read"
    case claimsSubmit = "claims:submit"
    case coverageUpdate = "coverage:update"
    case messagesRead = "messages:read"
    case templatesUpdate = "templates:update"
    case approvalsDecide = "approvals:decide"
    case reportsRead = "reports:read"
    case auditRead = "audit:read"
    case settingsUpdate = "settings:update"
    case largeAdjustments = "adjustments:large"
    // A patient's own narrow rights: its own records, its own balance, its own plan.
    case ownRecordsRead = "own:read"
    case ownBalancePay = "own:pay"
    case ownPlanSign = "own:sign"
}

/// The roles of the user's documents. `admin` is the practice owner.
public enum Role: String, Sendable, CaseIterable, Codable {
    case admin
    case billingStaff = "billing_staff"
    case insuranceSpecialist = "insurance_specialist"
    case patient

    /// The one table of who may do what. A later feature that names a role for a route means the
    /// permission that role holds here.
    public var permissions: Set<Permission> {
        switch self {
        case .admin:
            Set(Permission.allCases).subtracting([.ownRecordsRead, .ownBalancePay, .ownPlanSign])
        case .billingStaff:
            [.billingRead, .billingCreate, .billingUpdate, .paymentsRefund, .claimsRead, .messagesRead,
             .approvalsDecide, .reportsRead]
        case .insuranceSpecialist:
            [.billingRead, .claimsRead, .claimsSubmit, .coverageUpdate, .messagesRead, .reportsRead]
        case .patient:
            [.ownRecordsRead, .ownBalancePay, .ownPlanSign]
        }
    }
}

/// Who is calling, from a verified token: the clinic is always the token's, never a parameter.
public struct Caller: Sendable, Equatable {
    public var subject: String
    public var clinicId: String
    public var role: Role
    /// Set for a patient's token: the only patient whose data it may see.
    public var patientId: String?

    public init(subject: String, clinicId: String, role: Role, patientId: String? = nil) {
        self.subject = subject
        self.clinicId = clinicId
        self.role = role
        self.patientId = patientId
    }

    public func may(_ permission: Permission) -> Bool { role.permissions.contains(permission) }

    /// Whether this caller may see the patient's data. A patient sees only its own; the answer for
    /// another patient is 404, like a resource that does not exist, so ids cannot be probed.
    public func maySee(patientId: String) -> Bool {
        role != .patient || self.patientId == patientId
    }

    /// Throws 404 unless this caller may see the patient's data.
    public func requireSee(patientId: String, what: String = "patient") throws(APIError) {
        guard maySee(patientId: patientId) else { throw APIError.notFound(what, patientId) }
    }
}

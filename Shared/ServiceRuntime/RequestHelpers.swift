public import Hummingbird

extension Request {
    /// The clinic a request is about. Until authentication lands (then it comes from the token),
    /// it is the `clinicId` query parameter, required.
    public func clinicId() throws -> String {
        guard let clinicId = uri.queryParameters.get("clinicId"), !clinicId.isEmpty else {
            throw HTTPError(.badRequest, message: "the clinicId query parameter is required, e.g. ?clinicId=clinic-1")
        }
        return clinicId
    }

    /// A whole-number query parameter within bounds, or the default.
    public func limit(default fallback: Int, maximum: Int) throws -> Int {
        guard let text = uri.queryParameters.get("limit") else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw HTTPError(.badRequest, message: "limit must be a whole number from 1 to \(maximum), got '\(text)'")
        }
        return value
    }
}

public import Hummingbird

/// What every route works with: who calls (from the token), and the request id that follows the
/// request into logs, audit rows and the events it causes.
public struct ClinicRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String = ""
    public var caller: Caller?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The verified caller; routes outside `PublicRoutes` always have one (the platform middleware saw to it).
    public func requireCaller() throws(APIError) -> Caller {
        guard let caller else {
            throw APIError.unauthenticated("token_missing", "send 'Authorization: Bearer <token>'")
        }
        return caller
    }
}

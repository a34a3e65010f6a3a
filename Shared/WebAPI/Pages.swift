public import Hummingbird

/// `limit` (default 20, at most 100) and `starting_after` (the id of the last item seen).
public struct PageRequest: Sendable {
    public var limit: Int
    public var startingAfter: String?

    public static let defaultLimit = 20
    public static let maximumLimit = 100

    public init(_ query: [String: String]) throws(APIError) {
        if let text = query["limit"] {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw .invalid("limit must be a whole number from 1 to \(Self.maximumLimit), got '\(text)'", param: "limit")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        startingAfter = query["starting_after"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `starting_after` as a numeric id (0 when absent), for lists ordered by a sequence number.
    public func numericCursor(_ what: String) throws(APIError) -> Int64 {
        guard let startingAfter else { return 0 }
        guard let id = Int64(startingAfter) else { throw .invalid("starting_after must be \(what)", param: "starting_after") }
        return id
    }
}

/// One page of a list: `{"data": [...], "has_more": bool}`. Fetch `limit + 1` rows and pass them all:
/// the extra one only says that there is more.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var data: [Item]
    public var has_more: Bool

    public init(fetched: [Item], limit: Int) {
        data = Array(fetched.prefix(limit))
        has_more = fetched.count > limit
    }
}

extension Page: APIExample where Item: APIExample {
    public static var example: Page { Page(fetched: [Item.example], limit: 1) }
}

/// A performed or planned procedure, coded in CDT (dental), CPT (medical) or HCPCS Level II (supplies,
/// drugs, devices).
public struct Procedure: Codable, Hashable, Sendable {
    public var code: String
    public var codeSystem: CodeSystem
    /// Universal tooth number (1–32, A–T) when the procedure is on a tooth.
    public var tooth: String?
    /// Tooth surfaces, e.g. ["M", "O", "D"].
    public var surfaces: [String]?
    /// The practice's own words for it, e.g. "Prophylaxis - adult" (added compatibly: a charge whose code is
    /// missing or wrong gets a code suggested from the fee schedule entry with this description).
    public var description: String?

    public init(code: String, codeSystem: CodeSystem, tooth: String? = nil, surfaces: [String]? = nil,
                description: String? = nil) {
        self.code = code
        self.codeSystem = codeSystem
        self.tooth = tooth
        self.surfaces = surfaces
        self.description = description
    }
}

public enum CodeSystem: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case cdt = "CDT"
    case cpt = "CPT"
    /// HCPCS Level II: a letter A–V and four digits, e.g. E0114.
    case hcpcs = "HCPCS"
}

/// As X12 DMG03 records it.
public enum Sex: String, Codable, Hashable, Sendable, CaseIterable, SchemaEnum {
    case female, male, unknown
}

public struct PersonName: Codable, Hashable, Sendable {
    public var given: String
    public var family: String
    public init(given: String, family: String) {
        self.given = given
        self.family = family
    }
}

public struct PostalAddress: Codable, Hashable, Sendable {
    public var lines: [String]
    public var city: String
    public var region: String
    public var postalCode: String
    public var country: String
    public init(lines: [String], city: String, region: String, postalCode: String, country: String) {
        self.lines = lines
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }
}

public struct Contacts: Codable, Hashable, Sendable {
    public var email: String?
    /// E.164, e.g. "+15551234567".
    public var mobilePhone: String?
    public var address: PostalAddress?
    public init(email: String? = nil, mobilePhone: String? = nil, address: PostalAddress? = nil) {
        self.email = email
        self.mobilePhone = mobilePhone
        self.address = address
    }
}

/// What the patient agreed to be contacted about, and how. Absent means "not given".
public struct Consents: Codable, Hashable, Sendable {
    public var email: Bool
    public var sms: Bool
    /// Charging a stored card for balances without asking each time.
    public var cardOnFileAutoCharge: Bool
    public init(email: Bool, sms: Bool, cardOnFileAutoCharge: Bool) {
        self.email = email
        self.sms = sms
        self.cardOnFileAutoCharge = cardOnFileAutoCharge
    }
}

/// A page's size in PDF points (1/72 inch).
public struct PageSize: Sendable, Equatable {
    public var width: Double
    public var height: Double

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// US Letter, 8.5 × 11 inches: what US clinics and their patients print on.
    public static let letter = PageSize(width: 612, height: 792)
    /// ISO A4, for clinics outside North America.
    public static let a4 = PageSize(width: 595.28, height: 841.89)
}

/// A position on a page in points, measured from the page's top-left corner with y growing downward,
/// the way documents are laid out. The writer turns it into PDF's bottom-left coordinates.
public struct PDFPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Where a line of text sits relative to its x: starting there, ending there, or centred on it.
public enum PDFAlignment: Sendable, Equatable {
    case left
    case right
    case center
}

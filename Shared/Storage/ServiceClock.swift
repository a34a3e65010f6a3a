public import Foundation
import Synchronization

/// The one clock that time-dependent work reads (auto-charge, statements, installments due, pauses that
/// run out). In dev and test environments `scripts/dev clock` moves it for every running service by
/// writing an offset to a file the services re-read; in production the file is ignored and the clock is
/// wall time. Security clocks (token expiry, webhook tolerance, link expiry) never read it.
public final class ServiceClock: Sendable {
    /// The offset from wall time, in milliseconds.
    private let offsetMilliseconds = Atomic<Int64>(0)
    /// The file holding the offset in seconds; nil when the clock cannot move.
    public let file: String?

    public init(file: String?) { self.file = file }

    /// Wall time; never moves.
    public static let wall = ServiceClock(file: nil)

    public func now() -> Date {
        Date().addingTimeInterval(Double(offsetMilliseconds.load(ordering: .relaxed)) / 1_000)
    }

    public var offsetSeconds: Double { Double(offsetMilliseconds.load(ordering: .relaxed)) / 1_000 }

    /// Re-reads the offset file (cheap; called a few times a second). A missing or empty file is offset 0.
    public func refresh() {
        guard let file else { return }
        let text = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let seconds = Double(text) ?? 0
        offsetMilliseconds.store(Int64((seconds * 1_000).rounded()), ordering: .relaxed)
    }

    /// For tests in one process: moves this clock without a file.
    public func set(offsetSeconds seconds: Double) {
        offsetMilliseconds.store(Int64((seconds * 1_000).rounded()), ordering: .relaxed)
    }
}

// Insurance's pure work for `scripts/dev bench`, without a database or a broker:
//   insurance-bench [--claims N] [--history ROWS] [--file PATH] [--file-claims M] [--json]
// (a) N visits of a practice (70 % dental, 30 % medical) become claims as the service builds them, are checked as
//     it checks them (ClaimChecks.run: scrubber, code suggestions, denial risk from ROWS of history) and written
//     as it writes them (100 claims per 837 interchange, one kind per interchange, every 837D structure-checked):
//     claims/s for each step alone and for the three together, best of 3 runs.
// (b) M medical claims written as one 837P interchange to PATH (default: a temporary file), then read back with
//     X12Interchange.parse: MB/s (10^6 bytes), best of 3.
// Prints a few lines, or with --json one line of JSON (what bench.py reads).
import Contracts
import Foundation
import InsuranceService
import X12

struct Options {
    var claims = 2_000
    var history = 2_000
    /// 2,000 claims make a 1.7 MB 837P: pyx12 (bench.py) reads it in about half a minute.
    var fileClaims = 2_000
    var file = NSTemporaryDirectory() + "insurance-bench-837p.x12"
    var json = false

    init(_ arguments: [String]) throws(Failure) {
        var rest = arguments[...]
        func value(_ name: String) throws(Failure) -> String {
            guard let next = rest.popFirst() else { throw Failure("\(name) needs a value") }
            return next
        }
        func count(_ name: String) throws(Failure) -> Int {
            let text = try value(name)
            guard let n = Int(text), n > 0 else { throw Failure("\(name) needs a positive number, not '\(text)'") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--claims": claims = try count(argument)
            case "--history": history = try count(argument)
            case "--file-claims": fileClaims = try count(argument)
            case "--file": file = try value(argument)
            case "--json": json = true
            default:
                throw Failure("usage: insurance-bench [--claims N] [--history ROWS] [--file PATH] [--file-claims M] [--json]")
            }
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes claims as the service does: one interchange per batch, numbered on; an 837D is structure-checked
/// before it may leave (OutboundX12.claims), an 837P is not (pyx12 checks those in the tests).
struct ClaimWriter {
    var interchange = 1
    var transaction = 1
    let date: X12Writer.DateTime

    init(at now: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "America/New_York") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: now)
        date = X12Writer.DateTime(year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!)
    }

    mutating func write(_ claims: [Claim], kind: CoverageKind) throws -> String {
        let envelope = ClaimFileEnvelope(
            clearinghouse: ClearinghouseEnvelope(
                sender: X12Writer.Party(qualifier: "ZZ", id: "CLINICLEDGER"),
                receiver: X12Writer.Party(qualifier: "ZZ", id: "CLEARINGHOUSE"), interchangeControlNumber: interchange,
                groupControlNumber: interchange, firstTransactionControlNumber: transaction, usage: .test),
            submitter: ClaimSubmitter(name: "ClinicLedger", id: "CLINICLEDGER", contactName: "Billing Office", phone: "5555550100"),
            receiver: ClaimReceiver(name: "Embedded Clearinghouse", id: "CLEARINGHOUSE"))
        let text = try ClaimFile.interchange(claims: claims, kind: kind, envelope: envelope, date: date).text
        if kind == .dental {
            let findings = StructureCheck.check(text)
            guard findings.isEmpty else { throw Failure("an 837D fails its structure check: \(findings[0])") }
        }
        interchange += 1
        transaction += claims.count
        return text
    }

    /// Claims of both kinds, an interchange per kind and `batch` claims; returns the bytes written.
    mutating func writeBatches(_ claims: [Claim], batch: Int = 100) throws -> Int {
        var bytes = 0
        for kind in [CoverageKind.dental, .medical] {
            let ofKind = claims.filter { $0.kind == kind }
            for first in stride(from: 0, to: ofKind.count, by: batch) {
                bytes += try write(Array(ofKind[first..<min(first + batch, ofKind.count)]), kind: kind).utf8.count
            }
        }
        return bytes
    }
}

func seconds(_ work: () throws -> Void) rethrows -> Double {
    let elapsed = try ContinuousClock().measure(work)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The shortest of `runs` runs: the least disturbed by the rest of the machine.
func best(of runs: Int = 3, _ work: () throws -> Void) rethrows -> Double {
    var shortest = Double.infinity
    for _ in 0..<runs { shortest = min(shortest, try seconds(work)) }
    return shortest
}

/// Checks every claim as ClaimFlow.prepare does (the patient's history less the claim's own lines).
func check(_ claim: Claim, of visit: ClaimLoad.Visit, in load: ClaimLoad) -> ClaimChecks.Result {
    ClaimChecks.run(claim, today: load.today, timelyFilingDays: 365, history: visit.history, feeSchedule: load.feeSchedule,
                    risk: load.risk)
}

func rate(_ count: Int, _ seconds: Double) -> Int { Int((Double(count) / seconds).rounded()) }

func run(_ options: Options) throws -> [(String, String)] {
    // (a) Claims built, checked and written, each step alone and then all three per batch of 100 visits.
    let load = ClaimLoad(visits: options.claims, medicalPercent: 30, outcomes: options.history, seed: 20_261_125)
    var built: [(claim: Claim, visit: Int)] = []
    let buildSeconds = best {
        built = load.visits.indices.flatMap { n in load.claims(of: load.visits[n]).map { ($0, n) } }
    }
    var results: [ClaimChecks.Result] = []
    let scrubSeconds = best { results = built.map { check($0.claim, of: load.visits[$0.visit], in: load) } }
    let clean = results.filter(\.blocking.isEmpty).map(\.claim)
    let held = results.count - clean.count
    var bytes = 0
    let writeSeconds = try best {
        var writer = ClaimWriter(at: load.now)
        bytes = try writer.writeBatches(clean)
    }
    var sent = 0
    let togetherSeconds = try best {
        var writer = ClaimWriter(at: load.now)
        sent = 0
        for first in stride(from: 0, to: load.visits.count, by: 100) {
            var ready: [Claim] = []
            for visit in load.visits[first..<min(first + 100, load.visits.count)] {
                for claim in load.claims(of: visit) {
                    let result = check(claim, of: visit, in: load)
                    if result.blocking.isEmpty { ready.append(result.claim) }
                }
            }
            _ = try writer.writeBatches(ready)
            sent += ready.count
        }
    }
    guard sent == clean.count, !clean.isEmpty else {
        throw Failure("the combined run wrote \(sent) claims, the steps alone \(clean.count)")
    }

    // (b) One large 837P, written to the file and read back.
    let medical = ClaimLoad(visits: options.fileClaims, medicalPercent: 100, outcomes: options.history, seed: 837)
    let fileClaims = medical.visits.flatMap { visit in
        medical.claims(of: visit).map { check($0, of: visit, in: medical) }.filter(\.blocking.isEmpty).map(\.claim)
    }
    var writer = ClaimWriter(at: medical.now)
    try writer.write(fileClaims, kind: .medical).write(toFile: options.file, atomically: true, encoding: .utf8)
    let text = try String(contentsOfFile: options.file, encoding: .utf8)
    let fileBytes = text.utf8.count
    var parsedSets = 0
    let parseSeconds = try best {
        let interchange = try X12Interchange.parse(text)
        parsedSets = interchange.transactionSets.count
    }
    guard parsedSets == fileClaims.count else {
        throw Failure("X12Interchange.parse read \(parsedSets) transaction sets of \(fileClaims.count) claims")
    }

    let megabytes = Double(fileBytes) / 1e6
    return [
        ("claims", "\(built.count)"), ("held", "\(held)"), ("history_rows", "\(options.history)"),
        ("built_per_second", "\(rate(built.count, buildSeconds))"),
        ("scrubbed_per_second", "\(rate(results.count, scrubSeconds))"),
        ("written_per_second", "\(rate(clean.count, writeSeconds))"), ("written_bytes", "\(bytes)"),
        ("together_per_second", "\(rate(built.count, togetherSeconds))"),
        ("file", String(decoding: try JSONEncoder().encode(options.file), as: UTF8.self)), ("file_claims", "\(fileClaims.count)"), ("file_bytes", "\(fileBytes)"),
        ("parse_seconds", String(format: "%.4f", parseSeconds)),
        ("parse_mb_per_second", String(format: "%.1f", megabytes / parseSeconds)),
    ]
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let figures = try run(options)
    if options.json {
        print("{" + figures.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    } else {
        let f = Dictionary(uniqueKeysWithValues: figures)
        let megabytes = String(format: "%.1f", Double(f["file_bytes"]!)! / 1e6)
        print("""
            claims built: \(f["built_per_second"]!)/s (\(f["claims"]!) claims, 70 % dental, 30 % medical)
            claims scrubbed: \(f["scrubbed_per_second"]!)/s (scrubber, code suggestions, denial risk over \(f["history_rows"]!) history rows)
            claims written: \(f["written_per_second"]!)/s (\(Int(f["claims"]!)! - Int(f["held"]!)!) clean claims, 100 per interchange)
            claims built+scrubbed+written: \(f["together_per_second"]!)/s (\(f["claims"]!) claims, \(f["held"]!) held by the scrubber)
            x12 parse: \(f["parse_mb_per_second"]!) MB/s (\(megabytes) MB, \(f["file_claims"]!) claims, \(options.file))
            """)
    }
} catch {
    FileHandle.standardError.write(Data("insurance-bench: \(error)\n".utf8))
    exit(1)
}

import Contracts
import Foundation
import WebAPI

/// X12 files in and out (a person may drop in an answer received another way), the work queue of answers
/// naming what insurance does not know, and fee schedules (the practice's, and each payer's allowed amounts).
enum FileRoutes {
    struct FileView: APIExample {
        var fileId: String
        /// in or out
        var direction: String
        /// 270, 271, 837, 999, 277, …
        var transactionSet: String
        var controlNumber: String?
        /// out: pending, sent; in: processed, held, unmatched
        var status: String
        /// Why a file is held or unmatched, naming the segment and position where X12 is at fault.
        var problem: String?
        var createdAt: Date

        init(_ file: FileStore.File) {
            (fileId, direction, transactionSet, controlNumber) = (file.fileId, file.direction, file.transactionSet, file.controlNumber)
            (status, problem, createdAt) = (file.status, file.problem, file.createdAt)
        }

        static let example = FileView(FileStore.File(
            fileId: "xf_bcdfghjklmnpqrstvwxz", clinicId: "clinic-1", direction: "in", transactionSet: "277", controlNumber: "000000042",
            status: "held", problem: "segment 3 (GS): …", content: "", createdAt: Date(timeIntervalSince1970: 1_764_000_000)))
    }

    struct Files: APIExample {
        var data: [FileView]
        static let example = Files(data: [.example])
    }

    struct Upload: APIExample {
        /// The file's text as received (ISA first).
        var content: String
        static let example = Upload(content: "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*CLINICLEDGER   *261125*1200*^*00501*000000042*0*T*:~…")
    }

    struct WorkQueue: APIExample {
        var data: [FileStore.WorkItem]
        static let example = WorkQueue(data: [FileStore.WorkItem(
            itemId: 7, fileId: "xf_bcdfghjklmnpqrstvwxz", kind: "277", reference: "000000042",
            message: "277CA names claim clm_x, which insurance does not have waiting for an answer",
            createdAt: Date(timeIntervalSince1970: 1_764_000_000))])
    }

    struct FeeSchedule: APIExample {
        /// "practice" for the practice's own fees (and code suggestions), else a payer id (its allowed amounts).
        var payerId: String
        var entries: [PracticeFeeEntry]
        static let example = FeeSchedule(payerId: "60054", entries: [
            PracticeFeeEntry(code: "D1110", description: "Prophylaxis - adult", fee: Money(amount: 9_500, currency: "USD"))])
    }

    static func add(to api: APIRoutes, _ context: InsuranceContext) {
        api.get("/v1/x12-files", .staff(.claimsRead), summary: "X12 files in and out, newest first",
                query: [.string("status", "pending, sent, processed, held or unmatched")], output: Files.self) { call in
            let files = try await context.read {
                try await context.files($0).list(clinicId: call.caller.clinicId, status: call.query["status"], limit: 100)
            }
            return Files(data: files.map(FileView.init))
        }

        api.document("/v1/x12-files/:fileId", .staff(.claimsRead), summary: "One X12 file as sent or received",
                     contentType: "application/edi-x12") { call in
            let fileId = try call.parameter("fileId")
            let file = try await context.read { try await context.files($0).file(fileId: fileId) }
            guard let file, file.clinicId == call.caller.clinicId else { throw APIError.notFound("X12 file", fileId) }
            return Array(file.content.utf8)
        }

        api.write(.post, "/v1/x12-files", .staff(.claimsSubmit),
                  summary: "Hand in an answer received another way (271, 999, 277CA): read like the clearinghouse's",
                  idempotent: true, input: Upload.self, output: FileView.self, status: .created) { upload, call, change in
            guard upload.content.hasPrefix("ISA") else {
                throw APIError.invalid("content must be an X12 interchange starting with ISA", param: "content")
            }
            guard let outcome = try await InboundFlow.receive(upload.content, uploadedBy: call.caller.clinicId, context, &change) else {
                throw APIError.unprocessable("this file was received before; nothing was applied again", param: "content",
                                             code: "file_already_received")
            }
            guard let file = try await context.files(change).file(fileId: outcome.fileId) else { throw APIError.notFound("X12 file", outcome.fileId) }
            return FileView(file)
        }

        api.get("/v1/work-queue", .staff(.claimsRead), summary: "Answers that name a claim or member insurance does not know",
                output: WorkQueue.self) { call in
            WorkQueue(data: try await context.read { try await context.files($0).openWork(clinicId: call.caller.clinicId) })
        }

        api.write(.put, "/v1/fee-schedules/:payerId", .staff(.settingsUpdate),
                  summary: "Replace a fee schedule: the practice's (payerId \"practice\") or a payer's allowed amounts",
                  idempotent: false, input: FeeSchedule.self, output: FeeSchedule.self) { schedule, call, change in
            let payerId = try call.parameter("payerId")
            for (index, entry) in schedule.entries.enumerated() where entry.fee.amount < 0 || entry.code.isEmpty {
                throw APIError.invalid("entries[\(index)] needs a code and a fee that is not negative", param: "entries[\(index)]")
            }
            try await context.facts(change).saveFeeSchedule(clinicId: call.caller.clinicId, payerId: key(payerId), schedule.entries)
            try change.audit("fee_schedule.replaced", objectType: "fee_schedule", objectId: payerId,
                             summary: "\(schedule.entries.count) entries")
            return FeeSchedule(payerId: payerId, entries: schedule.entries)
        }

        api.get("/v1/fee-schedules/:payerId", .staff(.billingRead), summary: "A fee schedule", output: FeeSchedule.self) { call in
            let payerId = try call.parameter("payerId")
            let entries = try await context.read { try await context.facts($0).feeSchedule(clinicId: call.caller.clinicId, payerId: key(payerId)) }
            return FeeSchedule(payerId: payerId, entries: entries)
        }
    }

    /// The practice's own schedule is stored under "".
    static func key(_ payerId: String) -> String { payerId == "practice" ? "" : payerId }
}

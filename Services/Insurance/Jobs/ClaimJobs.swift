import Foundation
import ServiceRuntime
import WebAPI

/// Insurance's time-driven work, on the service clock and once across replicas.
enum ClaimJobs {
    /// Every few seconds: charges of finished visits become claims; drafts and corrections are scrubbed and
    /// the clean ones written into 837 interchanges.
    static func build(_ context: InsuranceContext) -> ScheduledJob {
        ScheduledJob(name: "insurance.claims", schedule: .every(seconds: context.settings.claimsEverySeconds)) { _, change in
            _ = try await ClaimFlow.buildClaims(context, &change)
            try await ClaimFlow.sendReady(context, &change)
        }
    }

    /// Every few seconds: files waiting to go out are handed to the clearinghouse, and its answers (271,
    /// 999, 277CA) are read — each answer once, in the transaction that applies it.
    static func exchange(_ context: InsuranceContext) -> ScheduledJob {
        ScheduledJob(name: "insurance.exchange", schedule: .every(seconds: context.settings.exchangeEverySeconds)) { _, change in
            let files = context.files(change)
            for file in try await files.pendingOutbound(limit: 200) {
                try await context.clearinghouse.send(fileId: file.fileId, content: file.content, change)
                try await files.markSent(fileId: file.fileId, at: change.now)
            }
            let answers = try await context.clearinghouse.collect(change) { try await files.isKnownInbound($0) }
            for content in answers {
                try await InboundFlow.receive(content, context, &change)
            }
        }
    }
}

import Foundation
import Synchronization

/// A thread of its own for one blocking rabbitmq-c connection: jobs run on it one at a time, in order,
/// so the connection is never touched from two threads nor from Swift's cooperative pool.
final class BrokerThread: Sendable {
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wakeUp = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    /// Runs `job` on the thread and returns its result to the caller's task.
    func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try job() }) }
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        wakeUp.signal()
    }

    /// Ends the thread after the jobs already submitted.
    func stop() {
        stopped.withLock { $0 = true }
        wakeUp.signal()
    }

    private func loop() {
        while true {
            wakeUp.wait()
            let next = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let next { next() } else if stopped.withLock({ $0 }) { return }
        }
    }
}

/// Runs async work from a dedicated (non-pool) thread and blocks that thread until it is done.
func waitForTask<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<T?>(nil)
    Task {
        let value = await operation()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}

import Foundation
import Dispatch

/// The one threading knob of the project (ggml's ith/nth idea): every parallel loop goes through
/// `parallelFor`, so `ThreadSettings.threadCount` decides how many workers run.
public enum ThreadSettings {
    /// Number of worker threads used by `parallelFor`. Defaults to the active processor count,
    /// or `AUDIOPLANE_THREADS` from the environment when set.
    nonisolated(unsafe) public static var threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["AUDIOPLANE_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()
}

/// Runs `body(chunkRange)` over `range` split into chunks of at most `chunk` elements, on up to
/// `ThreadSettings.threadCount` threads. Chunks are handed out dynamically (work stealing by an
/// atomic counter), so uneven chunk costs balance. `body` must be safe to call concurrently on
/// disjoint ranges. With one thread (or one chunk) it runs inline on the caller's thread.
public func parallelFor(_ range: Range<Int>, chunk: Int = 1, _ body: (Range<Int>) -> Void) {
    let count = range.count
    guard count > 0 else { return }
    let chunk = max(1, chunk)
    let chunks = (count + chunk - 1) / chunk
    let workers = min(ThreadSettings.threadCount, chunks)
    if workers <= 1 {
        var start = range.lowerBound
        while start < range.upperBound {
            body(start..<min(start + chunk, range.upperBound))
            start += chunk
        }
        return
    }
    let next = ChunkCounter()
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let c = next.take()
                if c >= chunks { break }
                let lo = range.lowerBound + c * chunk
                body(lo..<min(lo + chunk, range.upperBound))
            }
        }
    }
}

/// A lock-protected counter handing out chunk indices to `parallelFor` workers.
final class ChunkCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int {
        lock.lock(); defer { lock.unlock() }
        let v = value; value += 1; return v
    }
}

import Foundation

/// Accumulated wall-clock time per named stage (whisper.cpp `whisper_timings` idea): libraries time
/// their own stages so `audioplane bench` can print a breakdown of exactly what was timed.
public struct StageTimings: Sendable {
    public private(set) var seconds: [String: Double] = [:]
    public private(set) var calls: [String: Int] = [:]
    public private(set) var order: [String] = []

    public init() {}

    /// Runs `body`, adding its duration to `stage`.
    @discardableResult
    public mutating func measure<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        add(stage, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        return result
    }

    public mutating func add(_ stage: String, seconds s: Double) {
        if seconds[stage] == nil { order.append(stage) }
        seconds[stage, default: 0] += s
        calls[stage, default: 0] += 1
    }

    /// Mean milliseconds per call of `stage` (0 when never measured).
    public func meanMilliseconds(_ stage: String) -> Double {
        guard let s = seconds[stage], let c = calls[stage], c > 0 else { return 0 }
        return 1000 * s / Double(c)
    }

    public mutating func reset() { seconds = [:]; calls = [:]; order = [] }
}

/// Seconds since an arbitrary start, monotonic.
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

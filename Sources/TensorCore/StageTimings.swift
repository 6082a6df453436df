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

    /// Adds every stage of `other` (keeping this one's order, then other's new stages).
    public mutating func add(_ other: StageTimings) {
        for stage in other.order { add(stage, seconds: other.seconds[stage] ?? 0) }
    }

    /// One line per stage, `indent` + name padded to `nameWidth` + milliseconds per unit (each
    /// stage's total divided by `units`, e.g. frames or iterations), in the order first measured.
    public func table(perUnit units: Int, unit: String = "", indent: String = "  ", nameWidth: Int = 24) -> String {
        order.map { stage in
            indent + stage.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + String(format: " %8.2f ms", 1000 * (seconds[stage] ?? 0) / Double(max(units, 1))) + unit + "\n"
        }.joined()
    }
}

/// Seconds since an arbitrary start, monotonic.
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

import Foundation

/// Progress of a long-running loop, on stderr: a single updating line with rate and ETA on a
/// terminal, plain lines (about every 5% or 10 s) when piped to a file or another program.
public final class ProgressReporter {
    public let stage: String
    public let total: Int
    private let start = monotonicSeconds()
    // The first line waits for a measurable rate (0.2 s on a terminal, 5% or 10 s otherwise).
    private lazy var lastPrint = start
    private var lastFraction = 0.0
    private let interactive: Bool
    private let enabled: Bool

    /// `quiet` disables all output (tests, library use).
    public init(stage: String, total: Int, quiet: Bool = false) {
        self.stage = stage
        self.total = max(total, 1)
        self.interactive = isatty(2) != 0
        self.enabled = !quiet
    }

    /// Reports that `done` of `total` units are finished; `extra` is appended (e.g. "loss 0.01").
    public func update(_ done: Int, extra: String = "") {
        guard enabled else { return }
        let now = monotonicSeconds()
        let fraction = Double(done) / Double(total)
        let finished = done >= total
        if interactive {
            guard finished || now - lastPrint >= 0.2 else { return }
        } else {
            guard finished || now - lastPrint >= 10 || fraction - lastFraction >= 0.05 else { return }
        }
        lastPrint = now; lastFraction = fraction
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "[%@] %d/%d %3.0f%% | %.1f/s | elapsed %@ | ETA %@%@", stage, done, total,
                          100 * fraction, rate, Self.clock(elapsed), Self.clock(eta), extra.isEmpty ? "" : " | " + extra)
        let text = interactive ? "\r\u{1B}[2K" + line + (finished ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Formats seconds as m:ss or h:mm:ss.
    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Prints one informational line to stderr (keeps stdout for machine-readable results).
public func logLine(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

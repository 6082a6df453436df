import AudioFeatures
import Foundation
import XCTest
import _TestSupport

/// Audio the tests make themselves: tones, chirps, files written natively or by ffmpeg.
enum Fixtures {
    static let rate = 16_000

    /// `amplitude · sin(2π f t)`, `[seconds · rate]`.
    static func tone(_ frequency: Double, seconds: Double, amplitude: Float = 0.5, rate: Int = rate) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// Linear chirp from `f0` to `f1` Hz over the duration.
    static func chirp(from f0: Double, to f1: Double, seconds: Double, amplitude: Float = 0.5) -> [Float] {
        let count = Int(seconds * Double(rate))
        return (0..<count).map { n in
            let t = Double(n) / Double(rate)
            return amplitude * Float(sin(2 * Double.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds))))
        }
    }

    /// Index of the largest element.
    static func argmax(_ values: ArraySlice<Float>) -> Int {
        var best = values.startIndex
        for i in values.indices where values[i] > values[best] { best = i }
        return best - values.startIndex
    }

    /// Runs a program; returns exit status, stdout and stderr.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        try runProcess(executable, arguments)
    }

    /// ffmpeg's path, or skips the test when it is missing.
    static func ffmpeg() throws -> String {
        for candidate in ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw XCTSkip("ffmpeg is not installed (run scripts/setup.sh)")
    }

    /// Runs ffmpeg quietly, failing the test if it fails.
    static func ffmpeg(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(try ffmpeg(), ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments)
        XCTAssertEqual(result.status, 0, "ffmpeg \(arguments.joined(separator: " ")): \(result.stderr)", file: file, line: line)
    }
}

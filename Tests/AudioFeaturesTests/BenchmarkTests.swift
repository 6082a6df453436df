@testable import AudioFeatures
import XCTest

final class BenchmarkTests: XCTestCase {
    /// The bench API runs end to end on a short signal and reports consistent numbers (speed targets
    /// are checked on release builds by `audioplane features --bench`, not here).
    func testBenchmarkReport() throws {
        let report = try AudioFeatureBenchmark.run(seconds: 2, repeats: 1)
        XCTAssertEqual(report.featureShape, [50, 16, 32])
        XCTAssertGreaterThan(report.batchSeconds, 0)
        XCTAssertGreaterThan(report.streamingRealTimeFactor, 1)
        XCTAssertEqual(report.latencyMilliseconds, 152.5)
        XCTAssertTrue(report.description.contains("real time"))
    }
}

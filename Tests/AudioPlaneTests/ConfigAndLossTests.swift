import XCTest
import Foundation
import TensorCore
@testable import AudioPlane
import _TestSupport

final class ConfigAndLossTests: XCTestCase {
    func testConfigRoundTripsThroughJSON() throws {
        var c = AudioPlaneConfig(audioChannels: 29)
        c.audio = .concat; c.dynamism = .off; c.attention = .mlp; c.fusion = .multiply; c.margin = 0.3
        let data = try JSONEncoder().encode(c)
        XCTAssertEqual(try JSONDecoder().decode(AudioPlaneConfig.self, from: data), c)
        let json = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(json.contains("\"audio\":\"concat\""), json)
    }

    func testFeatureWidths() {
        var c = AudioPlaneConfig(audioChannels: 29)
        XCTAssertEqual(c.featureWidth, 192)
        c.fusion = .add
        XCTAssertEqual(c.featureWidth, 64)
        c.audio = .concat
        XCTAssertEqual(c.featureWidth, 96)
    }

    func testInvalidConfigsThrow() {
        var c = AudioPlaneConfig(audioChannels: 29)
        c.featureDimension = 12
        XCTAssertThrowsError(try c.validate())
        c = AudioPlaneConfig(audioChannels: 0)
        XCTAssertThrowsError(try AudioPlaneModel(config: c, headBox: Fixtures.box))
    }

    func testMarginMaskLossValuesAndGradient() {
        let g: [Float] = [0.9, 0.1, 0.5, 0.0]
        let m: [Float] = [1.0, 1.0, 0.0, 0.0]
        let (loss, grad) = MarginMaskLoss.evaluate(dynamismMap: g, mask: m, margin: 0.2)
        // |m − g| − 0.2 = −0.1, 0.7, 0.3, −0.2 → (0.7 + 0.3)/4.
        XCTAssertEqual(loss, 0.25, accuracy: 1e-6)
        XCTAssertEqual(grad, [0, -0.25, 0.25, 0])
        var rng = SeededRandom(seed: 1)
        let gm = (0..<64).map { _ in rng.uniform() }, mm = (0..<64).map { _ in rng.uniform() < 0.3 ? Float(1) : 0 }
        let (_, dg) = MarginMaskLoss.evaluate(dynamismMap: gm, mask: mm, margin: 0.2)
        // Piecewise linear: away from the kinks (|m − g| = margin, step 1e-4) the difference is exact.
        GradientCheck.check("L_mask", analytic: dg, indices: Array(gm.indices), step: 1e-4, relativeTolerance: 2e-2) { i, h in
            var gp = gm; gp[i] += h
            return Double(MarginMaskLoss.evaluate(dynamismMap: gp, mask: mm, margin: 0.2).loss)
        }
    }

    func testBenchmarkRunsOnASmallCloud() throws {
        let report = try AudioPlaneBenchmark.run(gaussians: 500, repeats: 1)
        XCTAssertEqual(report.gaussians, 500)
        XCTAssertTrue(report.stages.contains { $0.stage == "plane query" })
        XCTAssertTrue(report.stages.allSatisfy { $0.milliseconds >= 0 })
    }
}

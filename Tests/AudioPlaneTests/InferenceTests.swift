import XCTest
import TensorCore
import Splatting
@testable import AudioPlane
import _TestSupport

/// The inference path (`infer` with a `SpatialFeatureCache`) gives what the training forward gives.
final class InferenceTests: XCTestCase {
    /// Every variant: G' and d equal to float rounding. Several audio windows through one cache
    /// (the cache holds no audio).
    func testCachedInferenceMatchesForward() throws {
        let variants: [(String, AudioPlaneConfig)] = [
            ("default", Fixtures.config()),
            ("w/o A", Fixtures.config { $0.audio = .concat }),
            ("w/o D", Fixtures.config { $0.dynamism = .off }),
            ("add", Fixtures.config { $0.fusion = .add }),
            ("multiply + mlp", Fixtures.config { $0.fusion = .multiply; $0.attention = .mlp }),
        ]
        for (name, config) in variants {
            var rng = SeededRandom(seed: 5)
            let model = try AudioPlaneModel(config: config, headBox: Fixtures.box)
            let cloud = Fixtures.cloud(count: 300, config: config, rng: &rng)
            let cache = model.spatialFeatureCache(for: cloud)
            var timings = StageTimings()
            var outputs: [[Float]] = []
            for _ in 0..<3 {
                let window = Fixtures.window(channels: config.audioChannels, rng: &rng)
                let reference = model.forward(cloud, audioWindow: window).0
                let fast = model.infer(cloud, audioWindow: window, cache: cache, timings: &timings)
                let pairs: [([Float], [Float], String)] = [
                    (fast.cloud.means, reference.cloud.means, "means"), (fast.cloud.rotations, reference.cloud.rotations, "rotations"),
                    (fast.cloud.logScales, reference.cloud.logScales, "log-scales"),
                    (fast.cloud.opacityLogits, reference.cloud.opacityLogits, "opacity"),
                    (fast.cloud.shCoefficients, reference.cloud.shCoefficients, "SH"), (fast.dynamism, reference.dynamism, "d"),
                ]
                for (a, b, what) in pairs {
                    assertClose(a, b, atol: 1e-5, rtol: 1e-4, "\(name): \(what)")
                }
                outputs.append(fast.cloud.means)
            }
            XCTAssertNotEqual(outputs[0], outputs[1], "\(name): different audio must deform differently")
            for stage in ["audio encoder", "plane query", "decoders", "deformation"] {
                XCTAssertEqual(timings.calls[stage], 3, "\(name): stage \(stage) timed once per frame")
            }
        }
    }
}

import XCTest
import TensorCore
import _TestSupport
@testable import Splatting

/// The fast backward against central finite differences of the reference forward (Double), for
/// every parameter group: means (projection), rotations and log-scales (covariance), opacity
/// logits (blending), SH (colour) and extra channels, with a loss on RGB, alpha and extras.
/// Step 1e-6 in Double: truncation error ~1e-12, rounding ~1e-16/1e-6 = 1e-10; the scene avoids
/// the α thresholds so no step crosses a discontinuity. Tolerance: 1e-3 of the group's largest
/// gradient (the fast path runs in Float).
final class FiniteDifferenceTests: XCTestCase {
    func testFastBackwardMatchesFiniteDifferencesOfReference() {
        let cam = SceneFixtures.camera(width: 30, height: 22, focal: 36)
        let cloud = SceneFixtures.scene(count: 8, shDegree: 2, seed: 31, edgeCases: false, camera: cam)
        let channels = 1
        let extras = SceneFixtures.extras(count: cloud.count, channels: channels, seed: 4)
        let settings = RenderSettings(background: [0.3, 0.6, 0.1])
        let w = SceneFixtures.lossWeights(cam, channels: channels, seed: 77)
        let g = SceneFixtures.fastGradients(cloud, extras: extras, channels: channels, camera: cam, settings: settings, weights: w)

        func loss(_ scene: ReferenceScene<Double>) -> Double {
            let out = ReferenceRenderer.render(scene, camera: cam, settings: settings)
            var l = 0.0
            for (j, v) in out.rgb.enumerated() { l += v * Double(w.image[j]) }
            for (j, v) in out.alpha.enumerated() { l += v * Double(w.alpha[j]) }
            for (j, v) in out.extras.enumerated() { l += v * Double(w.extras[j]) }
            return l
        }
        let base: ReferenceScene<Double> = SceneFixtures.referenceScene(cloud, extras: extras, channels: channels)
        let groups: [(String, WritableKeyPath<ReferenceScene<Double>, [Double]>, [Float])] = [
            ("means", \.means, g.means), ("rotations", \.rotations, g.rotations), ("logScales", \.logScales, g.logScales),
            ("opacityLogits", \.opacityLogits, g.opacityLogits), ("shCoefficients", \.shCoefficients, g.shCoefficients),
            ("extras", \.extras, g.extras)]
        for (name, kp, fast) in groups {
            let scale = fast.map { abs($0) }.max() ?? 0
            XCTAssertGreaterThan(scale, 1e-3, name)
            for index in stride(from: 0, to: fast.count, by: max(1, fast.count / 7)) {
                var plus = base, minus = base
                plus[keyPath: kp][index] += 1e-6
                minus[keyPath: kp][index] -= 1e-6
                let numeric = (loss(plus) - loss(minus)) / 2e-6
                XCTAssertEqual(Double(fast[index]), numeric, accuracy: Double(scale) * 1e-3, "\(name)[\(index)]")
            }
        }
    }
}

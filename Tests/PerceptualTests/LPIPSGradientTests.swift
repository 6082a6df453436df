import Foundation
@testable import Perceptual
import TensorCore
import _TestSupport
import XCTest

/// The backward pass against central finite differences, on small crops with random weights (no
/// download needed). Everything scalar is in Float, so the check samples pixels whose gradient is
/// well above the finite-difference noise.
final class LPIPSGradientTests: XCTestCase {
    let network = LPIPS(weights: .random(seed: 3))

    func image(_ h: Int, _ w: Int, seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        return (0..<(h * w * 3)).map { _ in rng.uniform(0.05, 0.95) }
    }

    /// Finite differences on a 35×33 crop (odd sizes exercise every padding/stride edge).
    /// Step h = 1e-2 in [0, 1] units: the network is piecewise smooth (ReLU, max pool), so a larger
    /// step risks crossing kinks, a smaller one drowns in Float rounding (distance ~1e-1, eps ~1e-8).
    /// Tolerance: 3% of the largest gradient entry, from observed FD noise at this step.
    func testGradientMatchesFiniteDifferences() throws {
        let h = 35, w = 33
        let x = image(h, w, seed: 1), y = image(h, w, seed: 2)
        let session = LPIPSSession(network: network)
        let (d, gradient) = session.distanceAndGradient(x, y, height: h, width: w)
        XCTAssertEqual(d, session.distance(x, y, height: h, width: w), accuracy: 1e-5, "backward pass reports the forward distance")
        let scale = gradient.map { abs($0) }.max()!
        XCTAssertGreaterThan(scale, 0)
        var rng = SeededRandom(seed: 9)
        let step: Float = 1e-2
        var analytic: [Float] = [], numeric: [Float] = []
        for _ in 0..<40 {
            let i = rng.index(x.count)
            var xp = x, xm = x
            xp[i] += step; xm[i] -= step
            let fd = (session.distance(xp, y, height: h, width: w) - session.distance(xm, y, height: h, width: w)) / (2 * step)
            analytic.append(gradient[i]); numeric.append(fd)
        }
        assertClose(analytic, numeric, atol: 0.03 * scale, "LPIPS ∂/∂x vs central differences")
    }

    /// Directional derivative along the gradient of a 64×64 crop: (f(x + εg) − f(x − εg)) / 2ε ≈ ‖g‖².
    func testDirectionalDerivativeAlongGradient() {
        let h = 64, w = 64
        let x = image(h, w, seed: 4), y = image(h, w, seed: 5)
        let session = LPIPSSession(network: network)
        let (_, g) = session.distanceAndGradient(x, y, height: h, width: w)
        let norm2 = g.reduce(0) { $0 + $1 * $1 }
        let eps = 1e-2 / norm2.squareRoot()
        let xp = zip(x, g).map { $0 + eps * $1 }, xm = zip(x, g).map { $0 - eps * $1 }
        let fd = (session.distance(xp, y, height: h, width: w) - session.distance(xm, y, height: h, width: w)) / (2 * eps)
        XCTAssertEqual(fd / norm2, 1, accuracy: 0.02, "directional derivative \(fd) vs ‖g‖² \(norm2)")
    }
}

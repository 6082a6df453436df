import XCTest
import TensorCore
import _TestSupport
@testable import Splatting

/// Small kernels of the splatting engine: vector exp, SH gradient, sorting, PLY mapping.
final class KernelTests: XCTestCase {
    func testLaneExpRelativeErrorIsTiny() {
        var worst: Double = 0
        var x: Float = -60
        while x <= 0 {
            let v = Lanes((0..<16).map { x + Float($0) * 0.0001 })
            let e = laneExp(v)
            for i in 0..<16 {
                let truth = Foundation.exp(Double(v[i]))
                worst = max(worst, abs(Double(e[i]) - truth) / truth)
            }
            x += 0.0173
        }
        XCTAssertLessThan(worst, 4e-7, "documented bound: ≈2 ulp")
        // Below −60 it saturates at e^−60 instead of producing denormals.
        XCTAssertEqual(Double(laneExp(Lanes(repeating: -500))[0]), Foundation.exp(-60.0), accuracy: 1e-30)
    }

    func testSHBasisGradientMatchesFiniteDifferences() {
        // Central differences in Double on the same formulas; step 1e-3, tolerance 1e-3 absolute
        // (Float evaluation error of the basis ≈ 1e-7 / 1e-3 step).
        var basis = [Float](repeating: 0, count: 16), grad = [SIMD3<Float>](repeating: .zero, count: 16)
        var plus = basis, minus = basis
        for d in [SIMD3<Float>(0.3, -0.5, 0.81), SIMD3<Float>(-0.7, 0.2, 0.68), SIMD3<Float>(0.1, 0.95, -0.3)] {
            SphericalHarmonics.basisGradient(d, degree: 3, into: &grad)
            for axis in 0..<3 {
                var dp = d, dm = d
                dp[axis] += 1e-3; dm[axis] -= 1e-3
                SphericalHarmonics.basis(dp, degree: 3, into: &plus)
                SphericalHarmonics.basis(dm, degree: 3, into: &minus)
                for k in 0..<16 { XCTAssertEqual((plus[k] - minus[k]) / 2e-3, grad[k][axis], accuracy: 1e-3, "k=\(k) axis=\(axis)") }
            }
            SphericalHarmonics.basis(d, degree: 3, into: &basis)
            XCTAssertEqual(basis[0], SphericalHarmonics.c0)
        }
    }

    func testQuaternionGradientMatchesFiniteDifferences() {
        // L(q) = Σ G ⊙ R(q/|q|) for a random G; compare ∂L/∂q (after the normalisation chain).
        var rng = SeededRandom(seed: 5)
        let g = Matrix3(rows: [rng.normal(), rng.normal(), rng.normal()], [rng.normal(), rng.normal(), rng.normal()],
                        [rng.normal(), rng.normal(), rng.normal()])
        let q = SIMD4<Float>(0.6, -0.3, 0.9, 0.2)
        func loss(_ x: [Double]) -> Double {
            let r = rotationMatrix(quaternion: SIMD4(Float(x[0]), Float(x[1]), Float(x[2]), Float(x[3])))
            var s: Double = 0
            for a in 0..<3 { for b in 0..<3 { s += Double(g[a, b] * r[a, b]) } }
            return s
        }
        let numeric = finiteDifferenceGradient([0.6, -0.3, 0.9, 0.2], step: 1e-3, loss)
        let qn = q / (q * q).sum().squareRoot()
        let dq = quaternionGradient(qn, g)
        let analytic = (dq - qn * (qn * dq).sum()) / (q * q).sum().squareRoot()
        assertClose([analytic[0], analytic[1], analytic[2], analytic[3]], numeric.map { Float($0) }, atol: 2e-3)
    }

    func testRadixSortOrdersByDepthStably() {
        var rng = SeededRandom(seed: 8)
        let depths = (0..<5000).map { _ in Float(rng.index(50)) * 0.1 + 0.05 }   // many ties
        var keys = depths.enumerated().map { UInt64($0.element.bitPattern) << 32 | UInt64($0.offset) }
        var scratch: [UInt64] = []
        radixSort(&keys, scratch: &scratch)
        let ids = keys.map { Int($0 & 0xFFFF_FFFF) }
        let expected = depths.indices.sorted { (depths[$0], $0) < (depths[$1], $1) }
        XCTAssertEqual(ids, expected)
    }
}

import Foundation

import TensorCore
import _TestSupport
import XCTest

/// `Gemm` against a Double-accumulating triple loop, for every operand form, edge sizes that are
/// not multiples of the 12×32 tile or the 256-deep cache block, accumulation and thread counts.
/// Tolerance: Float products summed over k terms of magnitude ≤ 1 → error ≲ k·2⁻²⁴·√k; 1e-5·k covers it.
final class GemmTests: XCTestCase {
    func reference(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, aOp: Gemm.Operand, bOp: Gemm.Operand) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = aOp == .normal ? a[i * k + p] : a[p * m + i]
                    let bv = bOp == .normal ? b[p * n + j] : b[j * k + p]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }

    func random(_ count: Int, _ rng: inout SeededRandom) -> [Float] { (0..<count).map { _ in rng.uniform(-1, 1) } }

    func testAllOperandFormsAndEdgeSizes() {
        var rng = SeededRandom(seed: 1)
        let sizes = [(1, 1, 1), (5, 7, 3), (12, 32, 16), (13, 33, 257), (37, 65, 300), (130, 20, 9), (3, 100, 520)]
        for (m, n, k) in sizes {
            for aOp in [Gemm.Operand.normal, .transposed] {
                for bOp in [Gemm.Operand.normal, .transposed] {
                    let a = random(m * k, &rng), b = random(k * n, &rng)
                    let c = Gemm.multiply(a, b, m: m, n: n, k: k, aOp: aOp, bOp: bOp)
                    assertClose(c, reference(a, b, m: m, n: n, k: k, aOp: aOp, bOp: bOp), atol: 1e-5 * Float(k),
                                "m \(m) n \(n) k \(k) \(aOp) \(bOp)")
                }
            }
        }
    }

    func testAccumulateAddsToC() {
        var rng = SeededRandom(seed: 2)
        let (m, n, k) = (29, 70, 280)
        let a = random(m * k, &rng), b = random(k * n, &rng), c0 = random(m * n, &rng)
        var c = c0
        Gemm.multiply(a, b, m: m, n: n, k: k, into: &c, accumulate: true)
        let expected = zip(reference(a, b, m: m, n: n, k: k, aOp: .normal, bOp: .normal), c0).map(+)
        assertClose(c, expected, atol: 1e-5 * Float(k))
    }

    func testZeroDepthZeroesOrKeepsC() {
        var c: [Float] = [1, 2, 3, 4]
        Gemm.multiply([], [], m: 2, n: 2, k: 0, into: &c, accumulate: true)
        XCTAssertEqual(c, [1, 2, 3, 4])
        Gemm.multiply([], [], m: 2, n: 2, k: 0, into: &c, accumulate: false)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }

    /// Strided views (leading dimensions larger than the logical width) and a pre-packed B reused twice.
    func testLeadingDimensionsAndPackedReuse() {
        var rng = SeededRandom(seed: 3)
        let (m, n, k, lda, ldc) = (20, 40, 50, 64, 48)
        let a = random(m * lda, &rng), b = random(k * n, &rng)
        let packed = PackedMatrix(rows: k, columns: n, b)
        var c = [Float](repeating: 7, count: m * ldc)
        for _ in 0..<2 {
            a.withUnsafeBufferPointer { pa in
                c.withUnsafeMutableBufferPointer { pc in
                    Gemm.multiply(m: m, a: pa.baseAddress!, lda: lda, packed: packed, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        let dense = (0..<m).flatMap { i in a[(i * lda)..<(i * lda + k)] }
        let expected = reference(dense, b, m: m, n: n, k: k, aOp: .normal, bOp: .normal)
        for i in 0..<m {
            assertClose(Array(c[(i * ldc)..<(i * ldc + n)]), Array(expected[(i * n)..<(i * n + n)]), atol: 1e-5 * Float(k))
            XCTAssertEqual(Array(c[(i * ldc + n)..<(i * ldc + ldc)]), [Float](repeating: 7, count: ldc - n), "padding untouched")
        }
    }

    func testSingleThreadMatchesParallel() {
        var rng = SeededRandom(seed: 4)
        let (m, n, k) = (250, 64, 100)
        let a = random(m * k, &rng), b = random(k * n, &rng)
        let parallel = Gemm.multiply(a, b, m: m, n: n, k: k)
        let saved = ThreadSettings.threadCount
        ThreadSettings.threadCount = 1
        defer { ThreadSettings.threadCount = saved }
        XCTAssertEqual(Gemm.multiply(a, b, m: m, n: n, k: k), parallel)
    }
}

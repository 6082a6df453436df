import XCTest
import TensorCore
import NeuralNet

/// `WeightGradient` against a Double reference on shapes that exercise its fast path: several row
/// chunks (1024 rows each) with a ragged last one, a 32-column tile plus a 16-column tail, outputs
/// padded to the 8-row tile, leading dimensions wider than the used columns; and bitwise
/// independence from the thread count (fixed partitions).
final class WeightGradientTests: XCTestCase {
    func run(rows: Int, outputs: Int, inputs: Int, ldy: Int, ldx: Int, dY: [Float], x: [Float],
             start w0: [Float], b0: [Float]) -> ([Float], [Float]) {
        var w = w0, b = b0
        dY.withUnsafeBufferPointer { g in x.withUnsafeBufferPointer { xp in
        w.withUnsafeMutableBufferPointer { wp in b.withUnsafeMutableBufferPointer { bp in
            WeightGradient.accumulate(rows: rows, outputs: outputs, inputs: inputs, outputGradient: g.baseAddress!, ldy: ldy,
                                      input: xp.baseAddress!, ldx: ldx, weightGradient: wp.baseAddress!, ldw: inputs,
                                      biasGradient: bp.baseAddress!)
        }}}}
        return (w, b)
    }

    func testMatchesReferenceAndIsThreadIndependent() {
        var rng = SeededRandom(seed: 5)
        let rows = 2_500, outputs = 14, inputs = 48, ldy = 17, ldx = 53
        let dY = (0..<(rows * ldy)).map { _ in rng.normal() }
        let x = (0..<(rows * ldx)).map { _ in rng.normal() }
        let w0 = (0..<(outputs * inputs)).map { _ in rng.normal() }
        let b0 = (0..<outputs).map { _ in rng.normal() }
        let saved = ThreadSettings.threadCount
        defer { ThreadSettings.threadCount = saved }
        ThreadSettings.threadCount = 1
        let (w1, b1) = run(rows: rows, outputs: outputs, inputs: inputs, ldy: ldy, ldx: ldx, dY: dY, x: x, start: w0, b0: b0)
        ThreadSettings.threadCount = 3
        let (w3, b3) = run(rows: rows, outputs: outputs, inputs: inputs, ldy: ldy, ldx: ldx, dY: dY, x: x, start: w0, b0: b0)
        XCTAssertEqual(w1, w3)
        XCTAssertEqual(b1, b3)
        for j in 0..<outputs {
            var bias = Double(b0[j])
            for r in 0..<rows { bias += Double(dY[r * ldy + j]) }
            XCTAssertEqual(Double(b1[j]), bias, accuracy: 1e-3 * (1 + abs(bias)))
            for i in 0..<inputs {
                var s = Double(w0[j * inputs + i])
                for r in 0..<rows { s += Double(dY[r * ldy + j]) * Double(x[r * ldx + i]) }
                XCTAssertEqual(Double(w1[j * inputs + i]), s, accuracy: 1e-3 * (1 + abs(s)), "(\(j), \(i))")
            }
        }
    }
}

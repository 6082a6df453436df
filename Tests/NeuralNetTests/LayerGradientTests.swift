import XCTest
import TensorCore
import NeuralNet
import _TestSupport

/// Finite-difference tests of every NeuralNet layer: L = Σ r_i y_i (random r, Double accumulation),
/// central differences with step h on Float parameters and inputs.
/// Tolerance: Float outputs carry ~1e-7 relative rounding, so the difference quotient has an error
/// of ~1e-7·|L|/h ≈ 1e-5 at h = 1e-2 plus O(h²) truncation (these layers are linear or piecewise
/// linear in each checked entry except sigmoid/softmax); 2e-3 relative (norm) covers both.
final class LayerGradientTests: XCTestCase {
    let tolerance = 2e-3
    let step: Float = 1e-2

    func testLinearGradients() {
        var rng = SeededRandom(seed: 11)
        let layer = Linear(inFeatures: 7, outFeatures: 5, rng: &rng)
        let rows = 13
        let x = (0..<(rows * 7)).map { _ in rng.normal() }
        let r = GradientCheck.functionalWeights(rows * 5, rng: &rng)
        let (y, saved) = layer.forwardSaving(x, rows: rows)
        XCTAssertEqual(y.count, rows * 5)
        var grads = layer.zerosLike()
        let dx = layer.backward(saved, outputGradient: r.map { Float($0) }, gradients: &grads)
        GradientCheck.check("Linear x", analytic: dx, indices: Array(x.indices), step: step, relativeTolerance: tolerance) { i, h in
            var xp = x; xp[i] += h; return GradientCheck.functional(layer.forward(xp, rows: rows), r)
        }
        GradientCheck.check("Linear W", analytic: grads.weight.data, indices: Array(grads.weight.data.indices), step: step,
                            relativeTolerance: tolerance) { i, h in
            var l = layer; l.weight.data[i] += h; return GradientCheck.functional(l.forward(x, rows: rows), r)
        }
        GradientCheck.check("Linear b", analytic: grads.bias.data, indices: Array(grads.bias.data.indices), step: step,
                            relativeTolerance: tolerance) { i, h in
            var l = layer; l.bias.data[i] += h; return GradientCheck.functional(l.forward(x, rows: rows), r)
        }
    }

    func testLinearMatchesDirectSum() {
        var rng = SeededRandom(seed: 3)
        let layer = Linear(inFeatures: 40, outFeatures: 33, rng: &rng)
        let x = (0..<(50 * 40)).map { _ in rng.normal() }
        let y = layer.forward(x, rows: 50)
        var expected = [Float](repeating: 0, count: 50 * 33)
        for b in 0..<50 { for o in 0..<33 {
            var s = Double(layer.bias.data[o])
            for i in 0..<40 { s += Double(layer.weight.data[o * 40 + i]) * Double(x[b * 40 + i]) }
            expected[b * 33 + o] = Float(s)
        } }
        // GEMM in Float over 40 products of magnitude ~0.15: error ~1e-6.
        assertClose(y, expected, atol: 1e-4)
    }

    func checkConv(stride: Int, padding: Int, length: Int, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRandom(seed: UInt64(17 + stride))
        let conv = Conv1d(inChannels: 3, outChannels: 4, kernelSize: 3, stride: stride, padding: padding, rng: &rng)
        let batch = 2
        let x = (0..<(batch * 3 * length)).map { _ in rng.normal() }
        let (y, saved) = conv.forward(x, batch: batch, length: length)
        XCTAssertEqual(y.count, batch * 4 * conv.outputLength(length))
        let r = GradientCheck.functionalWeights(y.count, rng: &rng)
        var grads = conv.zerosLike()
        let dx = conv.backward(saved, outputGradient: r.map { Float($0) }, gradients: &grads)
        GradientCheck.check("Conv1d x (stride \(stride))", analytic: dx, indices: Array(x.indices), step: step,
                            relativeTolerance: tolerance, file: file, line: line) { i, h in
            var xp = x; xp[i] += h; return GradientCheck.functional(conv.forward(xp, batch: batch, length: length).0, r)
        }
        GradientCheck.check("Conv1d W (stride \(stride))", analytic: grads.weight.data, indices: Array(grads.weight.data.indices),
                            step: step, relativeTolerance: tolerance, file: file, line: line) { i, h in
            var c = conv; c.weight.data[i] += h; return GradientCheck.functional(c.forward(x, batch: batch, length: length).0, r)
        }
        GradientCheck.check("Conv1d b (stride \(stride))", analytic: grads.bias.data, indices: Array(grads.bias.data.indices),
                            step: step, relativeTolerance: tolerance, file: file, line: line) { i, h in
            var c = conv; c.bias.data[i] += h; return GradientCheck.functional(c.forward(x, batch: batch, length: length).0, r)
        }
    }

    func testConv1dGradients() {
        checkConv(stride: 2, padding: 1, length: 16)
        checkConv(stride: 1, padding: 1, length: 8)
        checkConv(stride: 1, padding: 0, length: 5)
    }

    func testConv1dKnownValues() {
        var rng = SeededRandom(seed: 1)
        var conv = Conv1d(inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        conv.weight.data = [1, 2, 3]; conv.bias.data = [0.5]
        // x = [1, 2, 3, 4], padded [0, 1, 2, 3, 4, 0]; outputs at t = 0, 1: windows [0,1,2], [2,3,4].
        let (y, _) = conv.forward([1, 2, 3, 4], batch: 1, length: 4)
        XCTAssertEqual(y, [0.5 + 0 + 2 + 6, 0.5 + 2 + 6 + 12])
    }

    func testActivationGradients() {
        var rng = SeededRandom(seed: 5)
        // Keep inputs away from the kink at 0 (|x| ≥ 0.05 > h) for ReLU / LeakyReLU.
        let x = (0..<40).map { _ -> Float in let v = rng.normal(); return v < 0 ? min(v, -0.05) : max(v, 0.05) }
        let r = GradientCheck.functionalWeights(x.count, rng: &rng)
        for act in [Activation.relu, .leakyReLU(slope: 0.02), .sigmoid, .identity] {
            let y = act(x)
            var g = r.map { Float($0) }
            act.backward(output: y, gradient: &g)
            GradientCheck.check("\(act)", analytic: g, indices: Array(x.indices), step: 1e-3, relativeTolerance: tolerance) { i, h in
                var xp = x; xp[i] += h; return GradientCheck.functional(act(xp), r)
            }
        }
    }

    func testSoftmaxGradientsAndRows() {
        var rng = SeededRandom(seed: 6)
        let rows = 3, width = 8
        let x = (0..<(rows * width)).map { _ in 2 * rng.normal() }
        let y = Softmax.forward(x, rows: rows, width: width)
        for r in 0..<rows { XCTAssertEqual(y[(r * width)..<((r + 1) * width)].reduce(0, +), 1, accuracy: 1e-6) }
        let w = GradientCheck.functionalWeights(x.count, rng: &rng)
        let dx = Softmax.backward(output: y, outputGradient: w.map { Float($0) }, rows: rows, width: width)
        GradientCheck.check("softmax", analytic: dx, indices: Array(x.indices), step: 1e-3, relativeTolerance: 5e-3) { i, h in
            var xp = x; xp[i] += h; return GradientCheck.functional(Softmax.forward(xp, rows: rows, width: width), w)
        }
    }

    func testMLPGradients() {
        var rng = SeededRandom(seed: 8)
        let mlp = MLP(widths: [6, 9, 7, 3], activation: .leakyReLU(slope: 0.1), rng: &rng)
        let rows = 5
        let x = (0..<(rows * 6)).map { _ in rng.normal() }
        let (y, saved) = mlp.forward(x, rows: rows)
        let r = GradientCheck.functionalWeights(y.count, rng: &rng)
        var grads = mlp.zerosLike()
        let dx = mlp.backward(saved, outputGradient: r.map { Float($0) }, gradients: &grads)
        GradientCheck.check("MLP x", analytic: dx, indices: Array(x.indices), step: 1e-3, relativeTolerance: tolerance) { i, h in
            var xp = x; xp[i] += h; return GradientCheck.functional(mlp.forward(xp, rows: rows).0, r)
        }
        let names = grads.namedParameters()
        XCTAssertEqual(names.names, ["layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"])
        for name in names.names {
            let analytic = names[name]!.data
            GradientCheck.check("MLP \(name)", analytic: analytic, indices: Array(analytic.indices), step: 1e-3,
                                relativeTolerance: tolerance) { i, h in
                var m = mlp
                m.visitParameters(prefix: "") { n, t in if n == name { t.data[i] += h } }
                return GradientCheck.functional(m.forward(x, rows: rows).0, r)
            }
        }
    }

    func testInitialisationIsDeterministicAndBounded() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        let l1 = Linear(inFeatures: 16, outFeatures: 4, rng: &a), l2 = Linear(inFeatures: 16, outFeatures: 4, rng: &b)
        XCTAssertEqual(l1, l2)
        XCTAssertTrue(l1.weight.data.allSatisfy { abs($0) <= 0.25 })   // 1/√16
        var mlp = MLP(widths: [16, 8, 2], activation: .relu, rng: &a)
        mlp.scaleLastLayerTowardsZero(1e-3)
        XCTAssertTrue(mlp.layers[1].weight.data.allSatisfy { abs($0) <= Float(1e-3 / 8.0.squareRoot() + 1e-9) })
        XCTAssertTrue(mlp.layers[1].bias.data.allSatisfy { $0 == 0 })
    }

    func testAdamStepsNamedParametersAndLoadRoundTrip() throws {
        var rng = SeededRandom(seed: 9)
        var mlp = MLP(widths: [3, 4, 2], activation: .relu, rng: &rng)
        let before = mlp
        var grads = mlp.zerosLike()
        grads.layers[0].weight.data[0] = 1
        let adam = Adam()
        adam.step(&mlp, gradients: grads, learningRate: { $0.hasSuffix("weight") ? 0.1 : 0 })
        // First Adam step moves a parameter with a non-zero gradient by ≈ lr·sign(g).
        XCTAssertEqual(mlp.layers[0].weight.data[0], before.layers[0].weight.data[0] - 0.1, accuracy: 1e-5)
        XCTAssertEqual(mlp.layers[0].weight.data[1], before.layers[0].weight.data[1])
        XCTAssertEqual(Set(adam.states.keys), Set(mlp.namedParameters().names))
        var restored = before
        try restored.load(mlp.namedParameters())
        XCTAssertEqual(restored, mlp)
        var wrong = ParameterSet()
        wrong.append("layer0.weight", Tensor(zeros: [1]))
        XCTAssertThrowsError(try restored.load(wrong))
    }
}

import XCTest
import TensorCore
import NeuralNet
import Splatting
@testable import AudioPlane
import _TestSupport

/// Finite differences through the whole deformation path: audio window → encoder → attention →
/// planes → D1/D2 → G' (all parameters) and d, w.r.t. every model parameter and every canonical
/// Gaussian parameter (means through both eq. 7 and the plane lookup).
/// L = Σ r·G' + Σ r_d·d with random r (Double accumulation of the Float outputs).
/// Tolerance 3e-2 (relative, norm over ≤ 8 sampled entries per tensor): steps of 3e-3 on values of
/// order 1 keep Float rounding below ~1e-3 relative; deep parameters (encoder) see gradients
/// attenuated by several layers, whose absolute floor is 1e-5.
final class ModelGradientTests: XCTestCase {
    func checkModel(_ config: AudioPlaneConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        var model = try AudioPlaneModel(config: config, headBox: Fixtures.box)
        // Sharpen the prototype attention (W_q × 20, score MLP output × 10): at initialisation the
        // softmax is nearly uniform and ∂L/∂W_q, ∂L/∂a (~1e-4) would sit at the Float rounding level
        // of the quotient (~5e-5 at h = 1e-3).
        for i in model.levels.indices {
            for j in model.levels[i].attention.query.data.indices { model.levels[i].attention.query.data[j] *= 20 }
            if var net = model.levels[i].attention.scoreNet {
                let last = net.layers.count - 1
                for j in net.layers[last].weight.data.indices { net.layers[last].weight.data[j] *= 10 }
                model.levels[i].attention.scoreNet = net
            }
        }
        var rng = SeededRandom(seed: 5)
        let n = 6
        let cloud = Fixtures.cloud(count: n, config: config, rng: &rng)
        let window = Fixtures.window(channels: config.audioChannels, rng: &rng)
        let functional = CloudFunctional(count: n, shCount: cloud.shCoefficientCount, rng: &rng)
        let (out, state) = model.forward(cloud, audioWindow: window)
        XCTAssertEqual(out.cloud.count, n)
        XCTAssertEqual(out.dynamism.count, n)
        var grads = model.zerosLike()
        let canonical = model.backward(state, functional.gradients, gradients: &grads)
        XCTAssertEqual(grads.encoder, {
            var e = model.encoder.zerosLike()
            let (_, s) = model.encoder.forward(window: window)
            let (_, st) = model.forward(cloud, code: model.encoder.forward(window: window).0)
            var scratch = model.zerosLike(), t = StageTimings()
            model.encoder.backward(s, codeGradient: model.backwardToCode(st, functional.gradients, gradients: &scratch, timings: &t).1,
                                   gradients: &e)
            return e
        }(), "the encoder receives exactly ∂L/∂a")
        let label = "\(config.audio)/\(config.dynamism)/\(config.attention)/\(config.fusion): "
        // Encoder parameters: their influence on this L is ~1e-5, below the Float rounding of the
        // quotient; they are checked by testAudioEncoderGradients, and the hand-over ∂L/∂a below.
        checkParameterGradients(model, gradients: grads, step: 1e-3, tolerance: 3e-2,
                                label: label, skip: { $0.hasPrefix("encoder.") },
                                stepFor: { $0.hasSuffix("attention.query") ? 1e-2 : nil },   // small gradients: larger step
                                file: file, line: line) { m in
            let (o, s) = m.forward(cloud, audioWindow: window)
            return (functional(o), activationSignature(s))
        }
        // ∂L/∂a (the code handed to the encoder's backward), from a forward that starts at a.
        let code = model.encoder.forward(window: window).0
        let (_, codeState) = model.forward(cloud, code: code)
        var scratch = model.zerosLike(), t = StageTimings()
        let (_, da) = model.backwardToCode(codeState, functional.gradients, gradients: &scratch, timings: &t)
        GradientCheck.check(label + "code a", analytic: da, indices: Array(da.indices), step: 1e-3, relativeTolerance: 3e-2,
                            file: file, line: line) { i, h in
            var c = code; c[i] += h; return functional(model.forward(cloud, code: c).0)
        }
        func checkCloud(_ name: String, _ analytic: [Float], step: Float, _ edit: @escaping (inout GaussianCloud, Int, Float) -> Void) {
            GradientCheck.check(label + "canonical " + name, analytic: analytic, indices: Array(analytic.indices), step: step,
                                relativeTolerance: 3e-2, file: file, line: line) { i, h in
                var c = cloud; edit(&c, i, h); return functional(model.forward(c, audioWindow: window).0)
            }
        }
        // Means: 1e-4 world units ≈ 5e-4 in x̂, |Δu| ≤ 0.008 — inside the grid cell.
        checkCloud("means", canonical.means, step: 1e-4) { c, i, h in c.means[i] += h }
        checkCloud("rotations", canonical.rotations, step: 1e-2) { c, i, h in c.rotations[i] += h }
        checkCloud("logScales", canonical.logScales, step: 1e-2) { c, i, h in c.logScales[i] += h }
        checkCloud("opacityLogits", canonical.opacityLogits, step: 1e-2) { c, i, h in c.opacityLogits[i] += h }
        checkCloud("shCoefficients", canonical.shCoefficients, step: 1e-2) { c, i, h in c.shCoefficients[i] += h }
        XCTAssertTrue(canonical.extras.isEmpty)
    }

    func testDefaultModelGradients() throws { try checkModel(Fixtures.config()) }

    func testWithoutAudioPlaneGradients() throws { try checkModel(Fixtures.config { $0.audio = .concat }) }

    func testWithoutDynamismGradients() throws { try checkModel(Fixtures.config { $0.dynamism = .off }) }

    func testWithoutAudioPlaneAndDynamismGradients() throws {
        try checkModel(Fixtures.config { $0.audio = .concat; $0.dynamism = .off })
    }

    func testMLPAttentionAndMultiplyFusionGradients() throws {
        try checkModel(Fixtures.config { $0.attention = .mlp; $0.fusion = .multiply })
    }

    func testAddFusionGradients() throws { try checkModel(Fixtures.config { $0.fusion = .add }) }

    func testDeformationFormula() throws {
        let config = Fixtures.config()
        let model = try AudioPlaneModel(config: config, headBox: Fixtures.box)
        var rng = SeededRandom(seed: 6)
        let cloud = Fixtures.cloud(count: 4, config: config, rng: &rng)
        let (out, state) = model.forward(cloud, audioWindow: Fixtures.window(channels: 5, rng: &rng))
        let k3 = 3 * cloud.shCoefficientCount
        for g in 0..<4 {
            let d = out.dynamism[g]
            XCTAssertTrue(d > 0 && d < 1)
            for c in 0..<3 {
                XCTAssertEqual(out.cloud.means[3 * g + c], cloud.means[3 * g + c] + d * state.delta[14 * g + c], accuracy: 1e-6)
                XCTAssertEqual(out.cloud.shCoefficients[g * k3 + c], cloud.shCoefficients[g * k3 + c] + d * state.delta[14 * g + 11 + c],
                               accuracy: 1e-6)
            }
            XCTAssertEqual(out.cloud.opacityLogits[g], cloud.opacityLogits[g] + d * state.delta[14 * g + 10], accuracy: 1e-6)
            // Higher SH coefficients pass through unchanged.
            XCTAssertEqual(Array(out.cloud.shCoefficients[(g * k3 + 3)..<((g + 1) * k3)]),
                           Array(cloud.shCoefficients[(g * k3 + 3)..<((g + 1) * k3)]))
        }
    }

    func testDefaultInitialisationStartsNearCanonicalHead() throws {
        let model = try AudioPlaneModel(config: AudioPlaneConfig(audioChannels: 29), headBox: Fixtures.box)
        var rng = SeededRandom(seed: 7)
        let cloud = AudioPlaneBenchmark.randomCloud(count: 50, box: Fixtures.box, rng: &rng)
        let (out, state) = model.forward(cloud, audioWindow: Fixtures.window(channels: 29, rng: &rng))
        // Grids 1 ± 0.1 → features (products of three factors) within [0.9³, 1.1³].
        XCTAssertEqual(model.config.featureWidth, 192)
        // D1's last layer at 1% of the PyTorch bound: |ΔG| stays well below 0.05.
        XCTAssertLessThan(state.delta.map(abs).max()!, 0.05)
        let maxMove = zip(out.cloud.means, cloud.means).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(maxMove, 0.05)
        XCTAssertEqual(model.levels.map(\.resolution), [64, 128, 192, 256])
    }

    func testParameterNamesAndCount() throws {
        let model = try AudioPlaneModel(config: AudioPlaneConfig(audioChannels: 29), headBox: Fixtures.box)
        let names = model.namedParameters().names
        XCTAssertTrue(names.contains("encoder.net.conv0.weight"))
        XCTAssertTrue(names.contains("scale4.planes"))
        XCTAssertTrue(names.contains("scale1.attention.query"))
        XCTAssertTrue(names.contains("d1.layer2.weight"))
        XCTAssertTrue(names.contains("d2.layer1.bias"))
        XCTAssertEqual(Set(names).count, names.count)
        let ablated = try AudioPlaneModel(config: { var c = AudioPlaneConfig(audioChannels: 29); c.audio = .concat; c.dynamism = .off; return c }(),
                                          headBox: Fixtures.box)
        let ablatedNames = ablated.namedParameters().names
        XCTAssertFalse(ablatedNames.contains("scale1.lines"))
        XCTAssertFalse(ablatedNames.contains { $0.hasPrefix("d2.") })
        XCTAssertEqual(ablated.config.featureWidth, 192 + 32)
    }
}

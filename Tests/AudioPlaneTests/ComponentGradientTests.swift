import XCTest
import TensorCore
import NeuralNet
import Splatting
@testable import AudioPlane
import _TestSupport

/// Finite-difference tests of the model's parts: encoder, prototype attention, plane query.
/// Tolerances (relative, norm over the sampled entries): Float forward, Double functional;
/// rounding contributes ~1e-6/h, truncation O(h²·curvature) — LeakyReLU/ReLU kinks are avoided
/// by the small step and the norm criterion tolerates a rare crossing.
final class ComponentGradientTests: XCTestCase {
    func testAudioEncoderGradients() {
        var rng = SeededRandom(seed: 1)
        var encoder = AudioEncoder(channels: 5, rng: &rng)
        // Sharpen the temporal attention (×3 per layer): at PyTorch scale its gradients (~1e-5) sit
        // below the Float rounding of the difference quotient.
        for i in encoder.attConvs.indices { for j in encoder.attConvs[i].weight.data.indices { encoder.attConvs[i].weight.data[j] *= 3 } }
        for j in encoder.attFC.weight.data.indices { encoder.attFC.weight.data[j] *= 3 }
        let window = Fixtures.window(channels: 5, rng: &rng)
        let (a, saved) = encoder.forward(window: window)
        XCTAssertEqual(a.count, 32)
        let r = GradientCheck.functionalWeights(32, rng: &rng)
        var grads = encoder.zerosLike()
        encoder.backward(saved, codeGradient: r.map { Float($0) }, gradients: &grads)
        // Directional, kink-aware, step 1e-3 (shrunk to avoid LeakyReLU kinks among ~1,000 units,
        // down to ~4e-6, where Float rounding of the quotient reaches ~5%): 8e-2. The layers
        // themselves are checked to 2e-3 in NeuralNetTests; this test is about the wiring.
        checkParameterGradients(encoder, gradients: grads, step: 1e-3, tolerance: 8e-2) { e in
            let (y, s) = e.forward(window: window)
            return (GradientCheck.functional(y, r), activationSignature(s))
        }
    }

    func testAudioEncoderWindowPadsWithZeros() {
        let c = 2, frames = 3
        let features = (0..<(frames * 16 * c)).map { Float($0 + 1) }
        let w = AudioEncoder.window(features: features, frameCount: frames, channels: c, frame: 0)
        // Context frames −4…3: the first four are zero, then frames 0, 1, 2, then zero.
        XCTAssertTrue(w[0..<(4 * 32)].allSatisfy { $0 == 0 })
        XCTAssertEqual(Array(w[(4 * 32)..<(7 * 32)]), features)
        XCTAssertTrue(w[(7 * 32)...].allSatisfy { $0 == 0 })
    }

    func checkAttention(_ mode: AudioPlaneConfig.Attention) {
        var rng = SeededRandom(seed: 2)
        let r = 12, d = 16
        var att = PrototypeAttention(mode: mode, rows: r, dimension: d, codeDimension: 32, hidden: [20], rng: &rng)
        if mode == .cross { for i in att.query.data.indices { att.query.data[i] *= 4 } }   // sharper attention
        let a = (0..<32).map { _ in rng.normal() }
        let protos = Tensor(shape: [r, d], data: (0..<(r * d)).map { _ in rng.normal() })
        let w = GradientCheck.functionalWeights(d, rng: &rng)
        let (fa, saved) = att.forward(code: a, prototypes: protos)
        XCTAssertEqual(fa.count, d)
        var grads = att.zerosLike()
        var dA = [Float](repeating: 0, count: r * d), da = [Float](repeating: 0, count: 32)
        att.backward(saved, code: a, prototypes: protos, outputGradient: w.map { Float($0) }, gradients: &grads,
                     prototypeGradient: &dA, codeGradient: &da)
        let tol = 5e-3
        checkParameterGradients(att, gradients: grads, step: 1e-3, tolerance: tol, label: "\(mode) ") { m in
            let (y, s) = m.forward(code: a, prototypes: protos)
            return (GradientCheck.functional(y, w), s.net.map { $0.inputs.dropFirst().flatMap { $0.map { $0 > 0 } } } ?? [])
        }
        GradientCheck.check("\(mode) A", analytic: dA, indices: Array(dA.indices), step: 1e-2, relativeTolerance: tol) { i, h in
            var p = protos; p.data[i] += h; return GradientCheck.functional(att.forward(code: a, prototypes: p).0, w)
        }
        GradientCheck.check("\(mode) a", analytic: da, indices: Array(da.indices), step: 1e-2, relativeTolerance: tol) { i, h in
            var ap = a; ap[i] += h; return GradientCheck.functional(att.forward(code: ap, prototypes: protos).0, w)
        }
    }

    func testCrossAttentionGradients() { checkAttention(.cross) }
    func testMLPAttentionGradients() { checkAttention(.mlp) }

    /// The plane lookup alone: grids, f_a and positions, for every fusion and both audio modes.
    func testPlaneQueryGradients() {
        for audio in AudioPlaneConfig.AudioMode.allCases {
            for fusion in AudioPlaneConfig.Fusion.allCases {
                var rng = SeededRandom(seed: 3)
                let config = Fixtures.config { $0.audio = audio; $0.fusion = fusion }
                let levels = config.scales.map { s in
                    PlaneLevel(resolution: s * 8, dimension: 16, hasAudio: audio == .plane, attention: .cross, attentionHidden: [],
                               codeDimension: 32, spread: 0.5, rng: &rng)
                }
                let n = 5
                let x = Fixtures.positions(count: n, resolutions: config.scales.map { $0 * 8 }, rng: &rng)
                let fa = levels.map { l in l.hasAudio ? (0..<16).map { _ in 1 + 0.5 * rng.normal() } : [] }
                let width = config.scales.count * PlaneQuery.levelWidth(16, fusion)
                let r = GradientCheck.functionalWeights(n * width, rng: &rng)
                func run(_ lv: [PlaneLevel], _ fa: [[Float]], _ x: [Float]) -> Double {
                    var f = [Float](repeating: 0, count: n * width)
                    PlaneQuery.forward(levels: lv, audio: fa, positions: x, count: n, fusion: fusion, features: &f, width: width)
                    return GradientCheck.functional(f, r)
                }
                var grads = levels.map { $0.zerosLike() }
                var dFa = fa.map { [Float](repeating: 0, count: $0.count) }
                var dx = [Float](repeating: 0, count: 3 * n)
                PlaneQuery.backward(levels: levels, audio: fa, positions: x, count: n, fusion: fusion,
                                    featureGradient: r.map { Float($0) }, width: width,
                                    gradients: &grads, audioGradient: &dFa, positionGradient: &dx)
                let label = "audio \(audio) fusion \(fusion): "
                // Multilinear in each grid value and f_a → exact up to rounding; positions: step 1e-3
                // in x̂ (|Δu| ≤ 0.016, inside the cell), curvature only from products of two axes.
                for li in levels.indices {
                    checkParameterGradients(levels[li], gradients: grads[li], step: 1e-2, tolerance: 2e-3,
                                            label: label + "level \(li) ") { lv in
                        var all = levels; all[li] = lv; return (run(all, fa, x), [])
                    }
                    if audio == .plane {
                        GradientCheck.check(label + "f_a \(li)", analytic: dFa[li], indices: Array(0..<16), step: 1e-2,
                                            relativeTolerance: 2e-3) { i, h in
                            var f = fa; f[li][i] += h; return run(levels, f, x)
                        }
                    }
                }
                GradientCheck.check(label + "positions", analytic: dx, indices: Array(dx.indices), step: 1e-3,
                                    relativeTolerance: 1e-2) { i, h in
                    var xp = x; xp[i] += h; return run(levels, fa, xp)
                }
            }
        }
    }

    func testPlaneQueryOutsideBoxIsClampedWithoutPositionGradient() {
        var rng = SeededRandom(seed: 4)
        let level = PlaneLevel(resolution: 8, dimension: 16, hasAudio: true, attention: .cross, attentionHidden: [],
                               codeDimension: 32, spread: 0.5, rng: &rng)
        let fa = [[Float](repeating: 1, count: 16)]
        let x: [Float] = [1.5, 0.2, -0.3]
        let clamped: [Float] = [1.0, 0.2, -0.3]
        var f1 = [Float](repeating: 0, count: 48), f2 = f1
        PlaneQuery.forward(levels: [level], audio: fa, positions: x, count: 1, fusion: .concat, features: &f1, width: 48)
        PlaneQuery.forward(levels: [level], audio: fa, positions: clamped, count: 1, fusion: .concat, features: &f2, width: 48)
        XCTAssertEqual(f1, f2)
        var grads = [level.zerosLike()], dFa = [[Float](repeating: 0, count: 16)], dx = [Float](repeating: 0, count: 3)
        PlaneQuery.backward(levels: [level], audio: fa, positions: x, count: 1, fusion: .concat,
                            featureGradient: [Float](repeating: 1, count: 48), width: 48,
                            gradients: &grads, audioGradient: &dFa, positionGradient: &dx)
        XCTAssertEqual(dx[0], 0)
        XCTAssertNotEqual(dx[1], 0)
    }
}

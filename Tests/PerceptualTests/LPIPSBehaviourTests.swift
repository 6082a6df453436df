import DataIO
import Foundation
@testable import Perceptual
import TensorCore
import _TestSupport
import XCTest

/// Properties every perceptual distance must have, checked with the installed weights when present
/// (random weights otherwise), plus input validation and weight-file loading.
final class LPIPSBehaviourTests: XCTestCase {
    lazy var network: LPIPS = ((try? LPIPS.loadInstalled()) ?? nil) ?? LPIPS(weights: .random(seed: 11))

    func smoothImage(_ h: Int, _ w: Int) -> [Float] {
        var out = [Float](repeating: 0, count: h * w * 3)
        for y in 0..<h {
            for x in 0..<w {
                let u = Float(x) / Float(w), v = Float(y) / Float(h)
                out[(y * w + x) * 3 + 0] = 0.5 + 0.4 * sin(6 * u + 2 * v)
                out[(y * w + x) * 3 + 1] = 0.5 + 0.3 * cos(5 * v - u)
                out[(y * w + x) * 3 + 2] = 0.3 + 0.4 * u * v
            }
        }
        return out
    }

    func testIdenticalImagesGiveZeroAndZeroGradient() throws {
        let x = Tensor(shape: [48, 40, 3], data: smoothImage(48, 40))
        let (d, g) = try network.distanceAndGradient(x, x)
        XCTAssertEqual(d, 0)
        XCTAssertEqual(try network.distance(x, x), 0)
        XCTAssertEqual(g.map { abs($0) }.max()!, 0)
    }

    func testNoiseOfIncreasingStrengthGivesIncreasingDistance() throws {
        let h = 64, w = 64
        let clean = smoothImage(h, w)
        var rng = SeededRandom(seed: 21)
        let noise = (0..<clean.count).map { _ in rng.normal() }
        let session = LPIPSSession(network: network)
        var previous: Float = 0
        for sigma: Float in [0.01, 0.03, 0.1, 0.3] {
            let noisy = zip(clean, noise).map { min(1, max(0, $0 + sigma * $1)) }
            let d = session.distance(clean, noisy, height: h, width: w)
            XCTAssertGreaterThan(d, previous, "sigma \(sigma)")
            previous = d
        }
    }

    func testSymmetricAndLayerTermsSumToDistance() {
        let h = 40, w = 52
        var rng = SeededRandom(seed: 5)
        let x = (0..<(h * w * 3)).map { _ in rng.uniform() }, y = (0..<(h * w * 3)).map { _ in rng.uniform() }
        let session = LPIPSSession(network: network)
        let dxy = session.distance(x, y, height: h, width: w)
        XCTAssertEqual(session.layerDistances.count, 5)
        XCTAssertEqual(session.layerDistances.reduce(0, +), dxy, accuracy: 1e-5)
        XCTAssertEqual(session.distance(y, x, height: h, width: w), dxy, accuracy: 1e-5)
    }

    func testRejectsBadShapes() {
        let a = Tensor(zeros: [40, 40, 3])
        XCTAssertThrowsError(try network.distance(a, Tensor(zeros: [40, 41, 3]))) {
            XCTAssertEqual($0 as? LPIPSError, .shapeMismatch([40, 40, 3], [40, 41, 3]))
        }
        XCTAssertThrowsError(try network.distance(Tensor(zeros: [30, 64, 3]), Tensor(zeros: [30, 64, 3]))) {
            XCTAssertEqual($0 as? LPIPSError, .tooSmall(height: 30, width: 64))
        }
        XCTAssertThrowsError(try network.distance(Tensor(zeros: [40, 40]), Tensor(zeros: [40, 40])))
        XCTAssertNoThrow(try network.distance(Tensor(zeros: [31, 31, 3]), Tensor(zeros: [31, 31, 3])))
    }

    func testWeightsRoundTripThroughSafetensors() throws {
        let folder = makeTemporaryDirectory("audioplane-lpips")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = LPIPSWeights.random(seed: 2)
        let url = folder.appendingPathComponent("w.safetensors")
        try Safetensors.write(weights.archive(metadata: ["network": "alexnet"]), to: url)
        let a = LPIPS(weights: weights), b = try LPIPS(contentsOf: url)
        let x = Tensor(shape: [32, 32, 3], data: smoothImage(32, 32))
        let y = Tensor(shape: [32, 32, 3], data: smoothImage(32, 32).map { 1 - $0 })
        XCTAssertEqual(try a.distance(x, y), try b.distance(x, y))
    }

    func testBadWeightFilesGiveOneLineErrorsNamingTheFile() throws {
        let folder = makeTemporaryDirectory("audioplane-lpips")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("none.safetensors")
        XCTAssertThrowsError(try LPIPS(contentsOf: missing)) {
            XCTAssertTrue("\($0)".contains(missing.path)); XCTAssertFalse("\($0)".contains("\n"))
        }
        var archive = LPIPSWeights.random(seed: 1).archive()
        archive.tensors["conv3.bias"] = .init(shape: [3], float32: [0, 0, 0])
        let bad = folder.appendingPathComponent("bad.safetensors")
        try Safetensors.write(archive, to: bad)
        XCTAssertThrowsError(try LPIPS(contentsOf: bad)) {
            XCTAssertEqual("\($0)", "\(bad.path): tensor 'conv3.bias' has shape [3], expected [384]")
        }
    }
}

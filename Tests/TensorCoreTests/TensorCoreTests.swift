import XCTest
import TensorCore
import _TestSupport

final class TensorCoreTests: XCTestCase {
    func testSeededRandomIsDeterministicAndUniform() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xs = (0..<1000).map { _ in a.uniform() }
        XCTAssertEqual(xs, (0..<1000).map { _ in b.uniform() })
        XCTAssertNotEqual(xs, (0..<1000).map { _ in c.uniform() })
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(xs.reduce(0, +) / 1000, 0.5, accuracy: 0.05)
        var n = SeededRandom(seed: 1)
        let normals = (0..<20000).map { _ in Double(n.normal()) }
        let mean = normals.reduce(0, +) / 20000
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    func testRotationMatrixIsOrthonormalAndMatchesAxisAngle() {
        // 90° about +Z: (w, x, y, z) = (cos45°, 0, 0, sin45°) maps +X to +Y.
        let r = rotationMatrix(quaternion: [0.7071068, 0, 0, 0.7071068])
        assertClose([(r * [1, 0, 0]).x, (r * [1, 0, 0]).y, (r * [1, 0, 0]).z], [0, 1, 0], atol: 1e-6)
        var rng = SeededRandom(seed: 3)
        for _ in 0..<20 {
            let m = rotationMatrix(quaternion: [rng.normal(), rng.normal(), rng.normal(), rng.normal()])
            let i = m * m.transposed
            for a in 0..<3 { for b in 0..<3 { XCTAssertEqual(i[a, b], a == b ? 1 : 0, accuracy: 1e-5) } }
            XCTAssertEqual(m.determinant, 1, accuracy: 1e-5)
        }
    }

    func testCameraOpenGLRoundTripAndProjection() {
        let cam = Camera.lookAt(eye: [0.2, 0.1, 1.5], target: [0, 0, 0], width: 64, height: 48, focal: 50)
        // The target projects to the principal point, in front of the camera.
        let (px, depth) = cam.project([0, 0, 0])
        XCTAssertEqual(px.x, 32, accuracy: 1e-4); XCTAssertEqual(px.y, 24, accuracy: 1e-4)
        XCTAssertGreaterThan(depth, 0)
        // World +Y appears above the centre (smaller row).
        XCTAssertLessThan(cam.project([0, 0.1, 0]).pixel.y, 24)
        let m = cam.cameraToWorldOpenGL
        XCTAssertTrue(isRigid(m))
        let back = Camera(cameraToWorldOpenGL: m, width: 64, height: 48, fx: 50, fy: 50, cx: 32, cy: 24)
        for a in 0..<3 { for b in 0..<3 { XCTAssertEqual(back.rotation[a, b], cam.rotation[a, b], accuracy: 1e-6) } }
        assertClose([back.translation.x, back.translation.y, back.translation.z],
                    [cam.translation.x, cam.translation.y, cam.translation.z], atol: 1e-6)
        // OpenGL camera looks down −Z: the camera-to-world third column points away from the target.
        let backward = SIMD3<Float>(m[0][2], m[1][2], m[2][2])
        XCTAssertGreaterThan((backward * cam.centre).sum(), 0)
    }

    func testIsRigidRejectsScaledAndSkewedMatrices() {
        XCTAssertTrue(isRigid([[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]]))
        XCTAssertFalse(isRigid([[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
        XCTAssertFalse(isRigid([[1, 0.3, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
        XCTAssertFalse(isRigid([[-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))  // reflection
        XCTAssertFalse(isRigid([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]))
    }

    func testParallelForCoversRangeOnce() {
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { h in
            parallelFor(0..<1000, chunk: 7) { r in for i in r { h[i] += 1 } }
        }
        XCTAssertEqual(hits, [Int](repeating: 1, count: 1000))
    }
}

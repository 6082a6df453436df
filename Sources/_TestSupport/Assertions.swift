import XCTest
import TensorCore

/// Asserts |a - b| ≤ atol + rtol·|b| element-wise, reporting the worst index.
public func assertClose(_ a: [Float], _ b: [Float], atol: Float, rtol: Float = 0,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count mismatch \(message)", file: file, line: line)
    var worst = -1
    var worstExcess: Float = 0
    for i in 0..<min(a.count, b.count) {
        let excess = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if !(excess <= worstExcess) || a[i].isNaN != b[i].isNaN { worstExcess = excess.isNaN ? .infinity : excess; worst = i }
    }
    if worst >= 0 {
        XCTFail("not close at [\(worst)]: \(a[worst]) vs \(b[worst]) (atol \(atol), rtol \(rtol)) \(message)", file: file, line: line)
    }
}

/// Same as `assertClose` for Double arrays.
public func assertClose(_ a: [Double], _ b: [Double], atol: Double, rtol: Double = 0,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose(a.map { Float($0) }, b.map { Float($0) }, atol: Float(atol), rtol: Float(rtol), message, file: file, line: line)
}

/// Central finite-difference gradient of a scalar function of a Double vector.
/// `step` is the perturbation h; error is O(h²) for smooth functions.
public func finiteDifferenceGradient(_ x: [Double], step: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var g = [Double](repeating: 0, count: x.count)
    var xp = x
    for i in 0..<x.count {
        let orig = xp[i]
        xp[i] = orig + step; let fp = f(xp)
        xp[i] = orig - step; let fm = f(xp)
        xp[i] = orig
        g[i] = (fp - fm) / (2 * step)
    }
    return g
}

/// A fresh temporary directory for a test; removed by the caller or at process exit by the OS.
public func makeTemporaryDirectory(_ name: String = "audioplane-test") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

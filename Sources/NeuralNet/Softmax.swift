import Foundation

/// Row-wise softmax over `[rows, width]`: y_j = e^(x_j − max x) / Σ_k e^(x_k − max x).
/// Backward (from the output): ∂L/∂x_j = y_j (g_j − Σ_k y_k g_k), g = ∂L/∂y.
/// Used by the attention of the audio encoder and the Audio-Plane (paper eq. 4).
public enum Softmax {
    public static func forward(_ x: [Float], rows: Int, width: Int) -> [Float] {
        precondition(x.count == rows * width, "Softmax: \(x.count) values is not \(rows)×\(width)")
        var y = x
        y.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                let row = p.baseAddress! + r * width
                var m = -Float.infinity
                for j in 0..<width { m = max(m, row[j]) }
                var s: Float = 0
                for j in 0..<width { let e = expf(max(row[j] - m, -80)); row[j] = e; s += e }
                let inv = 1 / s
                for j in 0..<width { row[j] *= inv }
            }
        }
        return y
    }

    /// ∂L/∂x from the forward output `y` and ∂L/∂y `dY` (both `[rows, width]`).
    public static func backward(output y: [Float], outputGradient dY: [Float], rows: Int, width: Int) -> [Float] {
        precondition(y.count == rows * width && dY.count == y.count, "Softmax.backward: sizes differ")
        var dx = [Float](repeating: 0, count: y.count)
        for r in 0..<rows {
            let o = r * width
            var dot: Float = 0
            for j in 0..<width { dot += y[o + j] * dY[o + j] }
            for j in 0..<width { dx[o + j] = y[o + j] * (dY[o + j] - dot) }
        }
        return dx
    }
}

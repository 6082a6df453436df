import TensorCore

/// AlexNet's 3×3, stride-2 max pooling without padding on NHWC maps (PyTorch `MaxPool2d(3, 2)`,
/// floor mode): `out[b, oy, ox, c] = max_{dy,dx ∈ 0..<3} in[b, 2oy + dy, 2ox + dx, c]`.
enum MaxPool {
    /// Output size for input size `n`: `⌊(n − 3) / 2⌋ + 1`.
    static func outputSize(_ n: Int) -> Int { (n - 3) / 2 + 1 }

    /// Forward over `[B, H, W, C]` (C a multiple of 16). `argmax` (`[B, Ho, Wo, C]`) receives the
    /// flat within-image index `(iy·W + ix)·C + c` of each maximum (the first in scan order on ties).
    static func forward(_ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
                        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        precondition(channels % 16 == 0, "MaxPool: channels must be a multiple of 16")
        let ho = outputSize(height), wo = outputSize(width), c = channels
        let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        parallelFor(0..<(batch * ho), chunk: max(1, batch * ho / (4 * ThreadSettings.threadCount))) { range in
            for row in range {
                let b = row / ho, oy = row % ho
                let image = input + b * height * width * c
                for ox in 0..<wo {
                    let outBase = ((b * ho + oy) * wo + ox) * c
                    var ch = 0
                    while ch < c {
                        var best = SIMD16<Float>(repeating: -.infinity)
                        var index = SIMD16<Int32>(repeating: 0)
                        for dy in 0..<3 {
                            for dx in 0..<3 {
                                let offset = ((2 * oy + dy) * width + 2 * ox + dx) * c + ch
                                let v = UnsafeRawPointer(image + offset).loadUnaligned(as: SIMD16<Float>.self)
                                let better = v .> best
                                best.replace(with: v, where: better)
                                index.replace(with: lanes &+ Int32(offset), where: better)
                            }
                        }
                        UnsafeMutableRawPointer(output + outBase + ch).storeBytes(of: best, as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(argmax + outBase + ch).storeBytes(of: index, as: SIMD16<Int32>.self)
                        ch += 16
                    }
                }
            }
        }
    }

    /// Backward for one image: `inputGradient` (`[H, W, C]`, `inputCount` elements) is zeroed, then
    /// each output gradient is added at its argmax. Windows overlap, so this runs on one thread.
    static func backward(_ outputGradient: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, outputCount: Int,
                         into inputGradient: UnsafeMutablePointer<Float>, inputCount: Int) {
        inputGradient.update(repeating: 0, count: inputCount)
        for i in 0..<outputCount { inputGradient[Int(argmax[i])] += outputGradient[i] }
    }
}

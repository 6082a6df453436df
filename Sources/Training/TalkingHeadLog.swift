import Foundation

/// One validation row of the training log (`log.csv` in the model directory).
/// Columns: `stage,iteration,train_loss,psnr,mouth_psnr,gaussians,perceptual,seconds` — the mean
/// training loss since the previous row, val-split PSNR and mouth-region (lips rectangle) PSNR in
/// dB, the Gaussian count, which perceptual term the loss used (LPIPS or D-SSIM) and wall-clock
/// seconds since the run started (resumed runs continue the clock).
public struct TrainingLogRow: Equatable, Sendable {
    public var stage: String
    public var iteration: Int
    public var trainLoss: Double
    public var psnr: Double
    public var mouthPSNR: Double
    public var gaussians: Int
    public var perceptual: String
    public var seconds: Double

    public static let header = "stage,iteration,train_loss,psnr,mouth_psnr,gaussians,perceptual,seconds"

    public var csvLine: String {
        String(format: "%@,%d,%.6f,%.4f,%.4f,%d,%@,%.1f", stage, iteration, trainLoss, psnr, mouthPSNR, gaussians, perceptual, seconds)
    }

    /// The whole CSV text (header + rows).
    public static func csv(_ rows: [TrainingLogRow]) -> String {
        ([header] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
    }

    /// Parses `csv(_:)` output; nil for a malformed file.
    public static func parse(_ text: String) -> [TrainingLogRow]? {
        var lines = text.split(separator: "\n").map(String.init)
        guard lines.first == header else { return nil }
        lines.removeFirst()
        var rows: [TrainingLogRow] = []
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let it = Int(f[1]), let loss = Double(f[2]), let psnr = Double(f[3]), let mouth = Double(f[4]),
                  let g = Int(f[5]), let sec = Double(f[7]) else { return nil }
            rows.append(TrainingLogRow(stage: f[0], iteration: it, trainLoss: loss, psnr: psnr, mouthPSNR: mouth, gaussians: g,
                                       perceptual: f[6], seconds: sec))
        }
        return rows
    }
}
